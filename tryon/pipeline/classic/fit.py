"""Stage 3, warping: where each part of the garment goes on the body (`body_points.py`).

The garment's body is placed by a thin-plate spline (`tps.py`) through matching garment and body
points. Tops: collar below the base of the neck, neckline corners beside it, shoulders and armpits to
the wearer's, the garment's own length below; each sleeve is a rigid piece along the upper arm
(shoulder → elbow) and, when it reaches past the elbow, a second piece along the forearm (elbow →
wrist), so it bends where the arm bends; each lies on the arm by the sleeve's own middle, and the two
overlap at the elbow, so the bend leaves no gap.
Bottoms: waistband corners to the wearer's waistband, each trouser or shorts leg along hip → knee →
ankle (trousers end at the ankles, shorts and skirts where their own length says). Dresses: a top
down to the waist, then a skirt of its own length and flare.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from tryon.pipeline.classic.body_points import BodyPoints, Limb
from tryon.pipeline.classic.garment_points import BottomPoints, Point, TopPoints
from tryon.pipeline.classic.tps import ThinPlateSpline, fit_thin_plate_spline
from tryon.pipeline.contract import NoPersonFoundError

SEAM_OVERLAP_FRACTION = 0.1  # of the garment's body width
# The upper piece is laid on the arm by the sleeve's middle at the elbow (or this share of the way to its
# cuff for a shorter sleeve), read across a band of this share of that distance.
MIDDLE_SHARE = 0.8
MIDDLE_BAND = 0.05
# Without neckline corners to measure from, the front of the neckline sits this far (face widths) below
# the base of the neck, so the wearer's neck and collar show through the opening.
COLLAR_BELOW_NECK = 0.3
NECKLINE_MAX_SHOULDER_FRACTION = 0.8
NECKLINE_BELOW_CHIN = 0.2
# The neckline's front is never higher than this below the chin (face widths): the neck shows above it.
COLLAR_BELOW_CHIN = 0.35
# How much the hem follows the garment's own width rather than the body's (0 = skin-tight).
HEM_LOOSENESS = 0.5
# At a bent elbow each piece of a sleeve reaches past the elbow, the other lying over it, so no gap opens
# on the outside of the bend: by this share of the sleeve's width, plus half the width times the tangent of
# half the bend (where the two pieces' outer edges meet), the bend counted up to ELBOW_MAX_BEND_DEGREES.
ELBOW_OVERLAP = 0.25
WRIST_OVERHANG = 0.15  # of the forearm's length: how far a long sleeve may reach past the wrist
ELBOW_MAX_BEND_DEGREES = 90.0
# A sleeve's top is sewn to the garment's body: its seam goes where the body's spline puts the armhole
# (shoulder, halfway down, armpit), while from this share of the way to its end (the cuff, or the elbow
# for a long sleeve) it lies rigidly along the arm; in between it stretches or gathers, as cloth under a
# raised arm does.
SLEEVE_RIGID_FROM = 0.6
# A seam point the rigid sleeve already lays over the body's side (an arm hanging down) stays where the
# rigid map puts it; one it swings off the body is pulled onto the armhole, fully from this far (face widths).
SEAM_PULL_DISTANCE = 0.1
# Laid flat, a garment shows half its girth, which is about this much wider than the body seen from the
# front (an elliptical cross-section with depth 0.7 of its width); a bottom's lengths are scaled by its
# waist's scale times this, its widths by the waist's scale alone.
FLAT_TO_FRONTAL = 1.3
# Trouser legs reaching at least this share of the way to the ankles are full length: they end there.
FULL_LENGTH_SHARE = 0.6
# Points placed down each trouser leg (shares of its length) and down a skirt.
LEG_STATIONS = (0.0, 0.25, 0.5, 0.75, 1.0)
# The crotch sits below the waistband by the garment's own rise, but within this share of the thigh
# below the hip joints.
CROTCH_RANGE = (0.0, 0.35)


def fit_points(
    garment: TopPoints, body: BodyPoints, *, skirt_hem: tuple[Point, Point] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Matching points (body N×2, garment N×2) for the spline that puts the garment on the body.

    The spline places the garment's body; sleeves are placed apart (`place_sleeves`). The collar goes
    below the base of the neck, the neckline's corners beside the neck, the shoulders and armpits to
    the wearer's. Below the armpits the
    garment keeps its own length, scaled so its shoulders span the wearer's, while the body decides
    how wide the torso is at each height. A dress passes its `skirt_hem` corners: below its waist (the
    top's hem) the skirt keeps its own length and flare, over the hips at least.
    """
    scale = body.shoulder_width / max(garment.shoulder_width, 1.0)
    shoulders = (garment.left_shoulder, garment.right_shoulder)
    garment_armpit_y = (garment.left_armpit[1] + garment.right_armpit[1]) / 2
    body_armpit_y = (body.left_chest[1] + body.right_chest[1]) / 2

    sleeveless = garment.left_sleeve_end is None and garment.right_sleeve_end is None
    # A sleeveless top with straps does not reach the shoulder seams: its straps' tops (the neckline's
    # corners) lie on the shoulders and, with its armholes, place it; pinning its sides to the shoulders
    # folded the warp.
    strapped = sleeveless and garment.left_neckline is not None and garment.right_neckline is not None
    shoulder_line = (garment.left_neckline, garment.right_neckline) if strapped else shoulders

    def body_y(garment_y: float) -> float:
        if garment_y > garment_armpit_y:
            return body_armpit_y + scale * (garment_y - garment_armpit_y)
        garment_shoulder_y = (shoulder_line[0][1] + shoulder_line[1][1]) / 2
        body_shoulder_y = (body.left_shoulder[1] + body.right_shoulder[1]) / 2
        if garment_shoulder_y >= garment_armpit_y:
            return body_armpit_y - scale * (garment_armpit_y - garment_y)
        return float(np.interp(garment_y, [garment_shoulder_y, garment_armpit_y], [body_shoulder_y, body_armpit_y]))

    def side_points(left: Point, right: Point, looseness: float) -> list[tuple[Point, Point]]:
        y = body_y((left[1] + right[1]) / 2)
        body_left, body_right = body.torso_sides_at(y)
        half_garment = scale * (right[0] - left[0]) / 2
        centre = body.centre_x
        left_x = (1 - looseness) * body_left + looseness * min(body_left, centre - half_garment)
        right_x = (1 - looseness) * body_right + looseness * max(body_right, centre + half_garment)
        return [(left, (left_x, y)), (right, (right_x, y))]

    garment_centre = garment.centre_x
    middle_y = (garment.left_armpit[1] + garment.left_hem[1]) / 2
    middle_left = (_interpolate_x(garment.left_armpit, garment.left_hem, middle_y), middle_y)
    middle_right = (_interpolate_x(garment.right_armpit, garment.right_hem, middle_y), middle_y)
    hem_y = (garment.left_hem[1] + garment.right_hem[1]) / 2
    necklines = (
        (garment.left_neckline, garment.left_shoulder, body.left_shoulder),
        (garment.right_neckline, garment.right_shoulder, body.right_shoulder),
    )
    neckline_pairs = []
    collar_heights = []
    for corner, garment_shoulder, shoulder in necklines:
        if corner is None:
            continue
        # The corner keeps its own place relative to the shoulder seam, never crowding the neck or chin.
        limit = NECKLINE_MAX_SHOULDER_FRACTION * abs(shoulder[0] - body.centre_x)
        x = body.centre_x + float(np.clip(scale * (corner[0] - garment.collar[0]), -limit, limit))
        # A sleeveless top's neckline corners are its straps' tops, which lie on the shoulders.
        y = shoulder[1] if sleeveless else shoulder[1] - scale * (garment_shoulder[1] - corner[1])
        neckline_pairs.append((corner, (x, max(y, body.chin_y + NECKLINE_BELOW_CHIN * body.unit))))
        # The neckline's front keeps its own depth below the corners (as placed before any clamp), so the
        # chest is neither dragged down nor pushed up against the shoulders.
        collar_heights.append(y + scale * (garment.collar[1] - corner[1]))
    if strapped:
        collar_y = max(body_y(garment.collar[1]), body.chin_y + COLLAR_BELOW_CHIN * body.unit)
    elif len(collar_heights) == 2:
        collar_y = max(float(np.mean(collar_heights)), body.neck[1], body.chin_y + COLLAR_BELOW_CHIN * body.unit)
    else:
        # A low neckline (a cami's, below its armpits) keeps its own depth below the shoulders.
        collar_y = max(body.neck[1] + COLLAR_BELOW_NECK * body.unit, body_y(garment.collar[1]))
    pairs = [
        (garment.collar, (body.neck[0], collar_y)),
        ((garment_centre, garment.left_armpit[1]), (body.centre_x, body_y(garment.left_armpit[1]))),
        ((garment_centre, hem_y), (body.centre_x, body_y(hem_y))),
        *neckline_pairs,
    ]
    if not strapped:
        pairs[1:1] = [(garment.left_shoulder, body.left_shoulder), (garment.right_shoulder, body.right_shoulder)]
    # Halfway down each armhole the body of the garment is held in place, so that turning a sleeve
    # does not drag the chest's stripes with it.
    for garment_armpit, garment_shoulder, body_shoulder, body_chest in (
        ()
        if strapped
        else (
            (garment.left_armpit, garment.left_shoulder, body.left_shoulder, body.left_chest),
            (garment.right_armpit, garment.right_shoulder, body.right_shoulder, body.right_chest),
        )
    ):
        garment_point = (garment_armpit[0], (garment_shoulder[1] + garment_armpit[1]) / 2)
        body_point = ((body_shoulder[0] + body_chest[0]) / 2, (body_shoulder[1] + body_chest[1]) / 2)
        pairs.append((garment_point, body_point))
    pairs += side_points(garment.left_armpit, garment.right_armpit, 0.0)
    pairs += side_points(middle_left, middle_right, HEM_LOOSENESS / 2)
    if skirt_hem is None:
        pairs += side_points(garment.left_hem, garment.right_hem, HEM_LOOSENESS)
    else:
        pairs += side_points(garment.left_hem, garment.right_hem, 0.0)
        pairs += _skirt_points(garment.left_hem, garment.right_hem, skirt_hem, body, scale=scale, body_y=body_y)
    return _as_point_arrays(pairs)


def _as_point_arrays(pairs: list[tuple[Point, Point]]) -> tuple[np.ndarray, np.ndarray]:
    """(body N×2, garment N×2) from (garment, body) pairs; of two pairs sent to one body point (which
    would make the spline singular) the first wins."""
    kept: list[tuple[Point, Point]] = []
    for garment_point, body_point in pairs:
        if all(np.hypot(body_point[0] - other[0], body_point[1] - other[1]) >= 0.5 for _, other in kept):
            kept.append((garment_point, body_point))
    on_garment = np.array([pair[0] for pair in kept], dtype=np.float64)
    on_body = np.array([pair[1] for pair in kept], dtype=np.float64)
    return on_body, on_garment


def _skirt_points(
    left_waist: Point,
    right_waist: Point,
    hem: tuple[Point, Point],
    body: BodyPoints,
    *,
    scale: float,
    body_y: Callable[[float], float],
) -> list[tuple[Point, Point]]:
    """A skirt below its waist: its own length (`body_y` maps the garment's rows) and flare, centred
    between the legs, never narrower than the hips."""
    left_hem, right_hem = hem
    pairs = []
    for share in LEG_STATIONS[1:]:
        garment_left = _between(left_waist, left_hem, share)
        garment_right = _between(right_waist, right_hem, share)
        y = body_y((garment_left[1] + garment_right[1]) / 2)
        centre_x = _legs_centre_x(body, y)
        half = scale * (garment_right[0] - garment_left[0]) / 2
        hip_left, hip_right = body.torso_sides_at(y)
        pairs += [
            (garment_left, (min(centre_x - half, hip_left), y)),
            (garment_right, (max(centre_x + half, hip_right), y)),
            (((garment_left[0] + garment_right[0]) / 2, garment_left[1]), (centre_x, y)),
        ]
    return pairs


def _between(start: Point, end: Point, share: float) -> Point:
    return start[0] + share * (end[0] - start[0]), start[1] + share * (end[1] - start[1])


def _legs_centre_x(body: BodyPoints, y: float) -> float:
    """The middle between the legs at height y (from the hip joints through knees and ankles)."""
    heights = [body.hip_centre[1], (body.left_leg.joint[1] + body.right_leg.joint[1]) / 2]
    heights.append((body.left_leg.end[1] + body.right_leg.end[1]) / 2)
    centres = [body.hip_centre[0], (body.left_leg.joint[0] + body.right_leg.joint[0]) / 2]
    centres.append((body.left_leg.end[0] + body.right_leg.end[0]) / 2)
    if not heights[0] < heights[1] < heights[2]:
        return float(body.hip_centre[0])
    return float(np.interp(y, heights, centres))


def fit_bottom_points(garment: BottomPoints, body: BodyPoints) -> tuple[np.ndarray, np.ndarray]:
    """Matching points (body N×2, garment N×2) for the spline that puts trousers, shorts or a skirt on.

    The waistband's corners go to the wearer's waistband, which sets the scale. Each leg of trousers
    or shorts runs down its own leg from the crotch: points across it at LEG_STATIONS keep the garment's
    own width (scaled) and follow hip → knee → ankle. Full-length trousers end at the ankles; shorts
    and skirts keep their own length.
    """
    waist_width = body.right_waistband[0] - body.left_waistband[0]
    scale = waist_width / max(garment.waist_width, 1.0)
    pairs: list[tuple[Point, Point]] = [
        (garment.left_waist, body.left_waistband),
        (garment.right_waist, body.right_waistband),
        (
            ((garment.left_waist[0] + garment.right_waist[0]) / 2, garment.waist_y),
            ((body.left_waistband[0] + body.right_waistband[0]) / 2, body.waistband_y),
        ),
    ]
    if garment.crotch is None:

        def body_y(garment_y: float) -> float:
            return body.waistband_y + FLAT_TO_FRONTAL * scale * (garment_y - garment.waist_y)

        pairs += _skirt_points(
            garment.left_waist,
            garment.right_waist,
            (garment.left_hem, garment.right_hem),
            body,
            scale=scale,
            body_y=body_y,
        )
        return _as_point_arrays(pairs)

    hip_y = float(body.hip_centre[1])
    thigh = (body.left_leg.upper_length + body.right_leg.upper_length) / 2
    crotch_y = float(
        np.clip(
            body.waistband_y + FLAT_TO_FRONTAL * scale * (garment.crotch[1] - garment.waist_y),
            hip_y + CROTCH_RANGE[0] * thigh,
            hip_y + CROTCH_RANGE[1] * thigh,
        )
    )
    pairs.append((garment.crotch, (float(body.hip_centre[0]), crotch_y)))
    left_stations, right_stations = (
        _leg_stations(
            leg, garment.crotch, waist, outer_hem, inner_hem, crotch_y=crotch_y, scale=scale, outwards=outwards
        )
        for leg, waist, outer_hem, inner_hem, outwards in (
            (body.left_leg, garment.left_waist, garment.left_hem, garment.left_inner_hem, -1),
            (body.right_leg, garment.right_waist, garment.right_hem, garment.right_inner_hem, 1),
        )
    )
    for left, right in zip(left_stations, right_stations, strict=True):
        if left.inner is not None and right.inner is not None:
            # Wide legs on legs held together: the garment's legs would overlap between the body's and
            # fold the spline over itself. Each moves outwards until the gap between their inner edges
            # is the garment's own, scaled: loose shorts stand away from the legs, as they hang.
            needed = scale * (right.inner[0][0] - left.inner[0][0])
            shortfall = needed - (right.inner[1][0] - left.inner[1][0])
            if shortfall > 0:
                left, right = left.moved(-shortfall / 2), right.moved(shortfall / 2)
        pairs += left.pairs() + right.pairs()
    return _as_point_arrays(pairs)


@dataclass(frozen=True)
class _LegStation:
    """One height across a garment leg: its outer and inner edge as (garment point, body point) pairs;
    no inner pair at the crotch, which both legs share."""

    outer: tuple[Point, Point]
    inner: tuple[Point, Point] | None

    def moved(self, dx: float) -> _LegStation:
        def shift(pair: tuple[Point, Point]) -> tuple[Point, Point]:
            return pair[0], (pair[1][0] + dx, pair[1][1])

        return _LegStation(shift(self.outer), None if self.inner is None else shift(self.inner))

    def pairs(self) -> list[tuple[Point, Point]]:
        return [self.outer] if self.inner is None else [self.outer, self.inner]


def _leg_stations(
    leg: Limb,
    crotch: Point,
    waist: Point,
    outer_hem: Point,
    inner_hem: Point,
    *,
    crotch_y: float,
    scale: float,
    outwards: int,
) -> list[_LegStation]:
    """Points across one garment leg at LEG_STATIONS, from the crotch's height to its hem, placed along
    the body's leg."""
    garment_length = max(outer_hem[1] - crotch[1], 1.0)
    # How far down the body's leg the crotch's height is (the thigh's drop there).
    thigh_drop = max(leg.joint[1] - leg.root[1], 1.0)
    start = leg.upper_length * float(np.clip((crotch_y - leg.root[1]) / thigh_drop, 0.0, 1.0))
    body_length = max(leg.length - start, 1.0)
    stretch = FLAT_TO_FRONTAL * scale
    if stretch * garment_length >= FULL_LENGTH_SHARE * body_length:
        stretch = body_length / garment_length  # full-length trousers end at the ankle
    outer_top = _between(waist, outer_hem, (crotch[1] - waist[1]) / max(outer_hem[1] - waist[1], 1.0))
    stations = []
    for share in LEG_STATIONS:
        garment_outer = _between(outer_top, outer_hem, share)
        garment_inner = _between(crotch, inner_hem, share)
        garment_centre_x = (garment_outer[0] + garment_inner[0]) / 2
        point, direction = leg.along(start + stretch * share * garment_length)
        across = np.array([-direction[1], direction[0]]) * -outwards  # perpendicular, pointing outwards
        if across[0] * outwards < 0:
            across = -across
        outer = point + across * scale * abs(garment_outer[0] - garment_centre_x)
        inner_pair = None
        if share > 0:  # at the top, the inner edge is the crotch, placed once for both legs
            inner = point - across * scale * abs(garment_centre_x - garment_inner[0])
            inner_pair = (garment_inner, (float(inner[0]), float(inner[1])))
        stations.append(_LegStation((garment_outer, (float(outer[0]), float(outer[1]))), inner_pair))
    return stations


@dataclass(frozen=True)
class SleevePlacement:
    """One sleeve piece on the photo: `garment_to_photo` (2×3 affine, garment pixels to photo pixels), the
    rigid placement along the arm, and `alpha`, the garment's alpha with everything but this piece cleared.

    A piece sewn to the garment's body also has `seam_spline` (photo pixels to garment pixels), which
    bends its top onto the body's armhole and agrees with the rigid map towards its end; `seam_anchors`
    are the photo points that spline pins (they bound where the piece lands, with the rigid corners).
    """

    garment_to_photo: np.ndarray
    alpha: np.ndarray
    seam_spline: ThinPlateSpline | None = None
    seam_anchors: np.ndarray | None = None

    @property
    def garment_corners(self) -> np.ndarray:
        """The corners (4×2, garment pixels) of the box around the sleeve."""
        left, top, width, height = cv2.boundingRect((self.alpha > 0).astype(np.uint8))
        return np.array([[left, top], [left + width, top], [left, top + height], [left + width, top + height]], float)

    def to_garment(self, photo_points: np.ndarray) -> np.ndarray:
        """The garment pixels (M×2) that land on `photo_points` (M×2) through this piece."""
        if self.seam_spline is not None:
            return self.seam_spline.evaluate(photo_points)
        inverse = cv2.invertAffineTransform(self.garment_to_photo)
        return np.asarray(photo_points, dtype=np.float64) @ inverse[:, :2].T + inverse[:, 2]


def place_sleeves(
    garment: TopPoints, garment_alpha: np.ndarray, body: BodyPoints
) -> tuple[np.ndarray, list[SleevePlacement]]:
    """Split the garment at its armholes: the body's alpha (for the spline) and each sleeve as rigid
    pieces along the wearer's arm, bent at the elbow when the sleeve reaches past it.

    A sleeve is rigid: bending it with the body's spline would drag the chest's stripes after it. Below
    the sleeves (a dress's skirt) nothing is cut from the body.
    """
    rows = np.arange(garment_alpha.shape[0], dtype=np.float32)[:, None]
    columns = np.arange(garment_alpha.shape[1], dtype=np.float32)[None, :]
    left_seam, right_seam = garment.left_armpit[0], garment.right_armpit[0]
    # The body reaches a little past its seams, under the sleeves, so no gap opens where a turned sleeve
    # leaves the side of the body.
    overlap = SEAM_OVERLAP_FRACTION * (right_seam - left_seam)
    sleeve_points = [
        point
        for point in (
            garment.left_sleeve_end,
            garment.left_sleeve_bottom,
            garment.right_sleeve_end,
            garment.right_sleeve_bottom,
        )
        if point is not None
    ]
    sleeves_end_y = max([garment.left_armpit[1], garment.right_armpit[1], *(point[1] for point in sleeve_points)])
    beside_body = rows <= sleeves_end_y
    within_seams = (columns >= left_seam - overlap) & (columns <= right_seam + overlap)
    torso_alpha = garment_alpha * (within_seams | ~beside_body)
    scale = body.shoulder_width / max(garment.shoulder_width, 1.0)
    left_seam_pairs, right_seam_pairs = armhole_seams(garment, body)
    sleeves = []
    for ends, garment_shoulder, body_shoulder, arm, outwards, side, seam in (
        (
            (garment.left_sleeve_end, garment.left_sleeve_bottom),
            garment.left_shoulder,
            body.left_shoulder,
            body.left_arm,
            -1,
            (columns < left_seam) & beside_body,
            left_seam_pairs,
        ),
        (
            (garment.right_sleeve_end, garment.right_sleeve_bottom),
            garment.right_shoulder,
            body.right_shoulder,
            body.right_arm,
            1,
            (columns > right_seam) & beside_body,
            right_seam_pairs,
        ),
    ):
        present = [point for point in ends if point is not None]
        if present:
            sleeve_alpha = (garment_alpha * side).astype(np.float32)
            pieces = _sleeve_pieces(garment_shoulder, present, sleeve_alpha, body_shoulder, arm, scale)
            if pieces:
                top = _sewn_to_body(
                    pieces[0], seam, garment_shoulder, present, outwards, SEAM_PULL_DISTANCE * body.unit
                )
                sleeves += [top, *pieces[1:]]
    return torso_alpha.astype(np.float32), sleeves


def armhole_seams(garment: TopPoints, body: BodyPoints) -> tuple[list[tuple[Point, Point]], list[tuple[Point, Point]]]:
    """(garment point, photo point) pairs down each armhole (image left, then right): shoulder, halfway
    down, armpit, placed as `fit_points` places them for the garment's body, so a sleeve sewn there meets it."""
    body_armpit_y = (body.left_chest[1] + body.right_chest[1]) / 2
    sides_x = body.torso_sides_at(body_armpit_y)
    seams = []
    for garment_armpit, garment_shoulder, body_shoulder, body_chest, side_x in (
        (garment.left_armpit, garment.left_shoulder, body.left_shoulder, body.left_chest, sides_x[0]),
        (garment.right_armpit, garment.right_shoulder, body.right_shoulder, body.right_chest, sides_x[1]),
    ):
        halfway = (garment_armpit[0], (garment_shoulder[1] + garment_armpit[1]) / 2)
        body_halfway = ((body_shoulder[0] + body_chest[0]) / 2, (body_shoulder[1] + body_chest[1]) / 2)
        seams.append(
            [
                (garment_shoulder, (float(body_shoulder[0]), float(body_shoulder[1]))),
                (halfway, (float(body_halfway[0]), float(body_halfway[1]))),
                (garment_armpit, (float(side_x), float(body_armpit_y))),
            ]
        )
    return seams[0], seams[1]


def _sewn_to_body(
    piece: SleevePlacement,
    seam: list[tuple[Point, Point]],
    garment_shoulder: Point,
    ends: list[Point],
    outwards: int,
    pull_distance: float,
) -> SleevePlacement:
    """The top piece of a sleeve with its seam on the body's armhole: a spline through the seam's pairs
    and, from SLEEVE_RIGID_FROM of the way to the piece's end, points across the sleeve where the rigid map
    puts them. A rigid sleeve turned up the arm swung its seam off the body and left a wedge of skin or old
    top between them. Turned down the arm, it already lies over the body's side there and stays so: pinned
    to the armhole, its underside would be squeezed between the armpit and the arm."""
    rows, columns = np.nonzero(piece.alpha >= 0.5)
    if len(rows) == 0:
        return piece
    cloth = np.column_stack([columns, rows]).astype(np.float64)
    origin = np.array(garment_shoulder, dtype=np.float64)
    axis = np.mean(np.array(ends, dtype=np.float64), axis=0) - origin
    axis /= max(float(np.linalg.norm(axis)), 1e-6)
    across = np.array([-axis[1], axis[0]])
    along = (cloth - origin) @ axis
    length = float(along.max())
    if length < 1.0:
        return piece
    garment_points = []
    for share in (SLEEVE_RIGID_FROM, 1.0):
        station = share * length
        near = np.abs(along - station) <= max(1.0, 0.02 * length)
        offsets = (cloth[near] - origin) @ across
        centre = origin + axis * station
        garment_points += [centre + across * offsets.min(), centre, centre + across * offsets.max()]
    rigid = apply_affine(piece.garment_to_photo, np.array(garment_points))
    seam_on_garment = np.array([pair[0] for pair in seam], dtype=np.float64)
    seam_rigid = apply_affine(piece.garment_to_photo, seam_on_garment)
    seam_on_body = np.array([pair[1] for pair in seam], dtype=np.float64)
    swung_off = (seam_rigid[:, 0] - seam_on_body[:, 0]) * outwards  # > 0: the rigid seam lies off the body
    pull = np.clip(swung_off / max(pull_distance, 1e-6), 0.0, 1.0)[:, None]
    on_photo = np.vstack([seam_rigid + pull * (seam_on_body - seam_rigid), rigid])
    on_garment = np.vstack([seam_on_garment, garment_points])
    try:
        spline = fit_thin_plate_spline(on_photo, on_garment)
    except ValueError:  # anchors on one line or on one point: keep the rigid piece
        return piece
    return SleevePlacement(piece.garment_to_photo, piece.alpha, spline, on_photo)


def _sleeve_pieces(
    garment_shoulder: Point,
    ends: list[Point],
    sleeve_alpha: np.ndarray,
    body_shoulder: Point,
    arm: Limb,
    scale: float,
) -> list[SleevePlacement]:
    """One sleeve as one piece along the upper arm, or two (upper arm, forearm) when it reaches past
    the elbow; the forearm piece turns about the sleeve's middle at the elbow, where the upper piece puts it."""
    origin = np.array(garment_shoulder, dtype=np.float64)
    cuff = np.mean(np.array(ends, dtype=np.float64), axis=0)
    axis = cuff - origin
    sleeve_length = float(np.linalg.norm(axis))
    if sleeve_length < 1.0:
        return []
    axis /= sleeve_length
    elbow_distance = arm.upper_length / scale  # garment pixels from the shoulder along the sleeve
    # The shoulder point lies on the sleeve's top edge, so the line from it to the cuff runs along one side
    # of the sleeve: laid on the arm's line, it put the sleeve beside the arm by half its width. The upper
    # piece is turned instead so the sleeve's own middle where the elbow comes lies on the arm's line.
    rows, columns = np.nonzero(sleeve_alpha >= 0.5)
    cloth = np.column_stack([columns, rows]).astype(np.float64)
    upper_axis = _towards_middle(cloth, origin, axis, min(elbow_distance, MIDDLE_SHARE * sleeve_length))
    body_origin = np.array(body_shoulder, dtype=np.float64)
    upper_arm = arm.joint - body_origin
    upper = _segment_transform(origin, upper_axis, body_origin, upper_arm, scale)
    if sleeve_length <= elbow_distance:
        return [SleevePlacement(upper, sleeve_alpha)]
    sleeve_width = float(np.count_nonzero(sleeve_alpha > 0.5)) / sleeve_length
    forearm = arm.end - arm.joint
    if not np.linalg.norm(forearm):
        forearm = upper_arm
    overlap = sleeve_width * (ELBOW_OVERLAP + 0.5 * np.tan(_bend(upper_arm, forearm) / 2))
    if sleeve_length - elbow_distance <= overlap:
        # Ending before the pieces' overlap past the elbow would, the sleeve is one piece: a forearm piece
        # turned about a bent elbow was mostly the upper arm's cloth, a block hanging below the elbow with
        # the sleeve's hem across its top.
        return [SleevePlacement(upper, sleeve_alpha)]
    # Only the sleeve's own box is measured (the garment picture is mostly its body and background).
    box_left, box_top, box_width, box_height = cv2.boundingRect((sleeve_alpha > 0).astype(np.uint8))
    box = (slice(box_top, box_top + box_height), slice(box_left, box_left + box_width))
    ys, xs = np.mgrid[box].astype(np.float32)
    along = (xs - origin[0]) * upper_axis[0] + (ys - origin[1]) * upper_axis[1]
    # The seam sits above the shoulder joint, so the elbow itself lies further down the sleeve than the
    # bend: the upper piece reaches past the elbow too.
    seam_to_elbow = float(np.linalg.norm(arm.joint - np.asarray(body_shoulder, dtype=np.float64))) / scale
    upper_alpha = np.zeros_like(sleeve_alpha)
    upper_alpha[box] = sleeve_alpha[box] * (along <= max(elbow_distance, seam_to_elbow) + overlap)
    # The forearm piece turns about the sleeve's middle at the elbow and lies along the sleeve's middle
    # towards the wrist. A sleeve longer than the arm ends a little past the wrist, as trousers end at the
    # ankles: carried on along a forearm bent towards the body (a hand on the hip) it would cross the belly.
    garment_elbow = origin + upper_axis * elbow_distance
    to_cuff = cuff - garment_elbow
    forearm_distance = float(np.linalg.norm(forearm)) / scale
    lower_axis = upper_axis
    if (to_cuff_length := float(np.linalg.norm(to_cuff))) >= 1.0:
        lower_axis = _towards_middle(
            cloth, garment_elbow, to_cuff / to_cuff_length, min(forearm_distance, MIDDLE_SHARE * to_cuff_length)
        )
    along_forearm = (xs - garment_elbow[0]) * lower_axis[0] + (ys - garment_elbow[1]) * lower_axis[1]
    lower_alpha = np.zeros_like(sleeve_alpha)
    lower_alpha[box] = sleeve_alpha[box] * (
        (along > elbow_distance - overlap)
        & (along_forearm > -overlap)
        & (along_forearm <= forearm_distance * (1 + WRIST_OVERHANG))
    )
    placed_elbow = apply_affine(upper, garment_elbow[None, :])[0]
    lower = _segment_transform(garment_elbow, lower_axis, placed_elbow, forearm, scale)
    return [
        SleevePlacement(upper, upper_alpha.astype(np.float32)),
        SleevePlacement(lower, lower_alpha.astype(np.float32)),
    ]


def _towards_middle(cloth: np.ndarray, origin: np.ndarray, axis: np.ndarray, distance: float) -> np.ndarray:
    """The unit direction from `origin` (the sleeve's shoulder point) to the middle of the sleeve's `cloth`
    (its pixels, N×2 x, y) `distance` garment pixels away along `axis` (a band across the sleeve there);
    `axis` where no cloth lies there."""
    if len(cloth) == 0:
        return axis
    offsets = cloth - origin
    along = offsets @ axis
    band = np.abs(along - distance) <= max(1.0, MIDDLE_BAND * distance)
    if band.sum() < 2:
        return axis
    across = offsets[band] @ np.array([-axis[1], axis[0]])
    middle = origin + axis * distance + np.array([-axis[1], axis[0]]) * (across.min() + across.max()) / 2
    direction = middle - origin
    return direction / max(float(np.linalg.norm(direction)), 1e-6)


def _bend(upper_arm: np.ndarray, forearm: np.ndarray) -> float:
    """The angle (radians) between the upper arm's and the forearm's directions, at most ELBOW_MAX_BEND_DEGREES."""
    cosine = float(np.dot(upper_arm, forearm) / max(float(np.linalg.norm(upper_arm) * np.linalg.norm(forearm)), 1e-6))
    return min(float(np.arccos(np.clip(cosine, -1.0, 1.0))), np.radians(ELBOW_MAX_BEND_DEGREES))


def _segment_transform(
    garment_origin: np.ndarray,
    garment_direction: np.ndarray,
    body_origin: np.ndarray,
    body_direction: np.ndarray,
    scale: float,
) -> np.ndarray:
    """The 2×3 affine map (rotation and scale) taking `garment_origin` to `body_origin` and the garment
    direction onto the body's."""
    turn = np.arctan2(body_direction[1], body_direction[0]) - np.arctan2(garment_direction[1], garment_direction[0])
    linear = scale * np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    shift = body_origin - linear @ garment_origin
    return np.column_stack([linear, shift])


def placed_corners(sleeve: SleevePlacement) -> np.ndarray:
    """Photo points around where the sleeve lands (N×2): its bounding box's corners as the rigid map places
    them and, for a piece sewn to the body, the seam anchors."""
    corners = apply_affine(sleeve.garment_to_photo, sleeve.garment_corners)
    return corners if sleeve.seam_anchors is None else np.vstack([corners, sleeve.seam_anchors])


def apply_affine(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


def _interpolate_x(upper: Point, lower: Point, y: float) -> float:
    if lower[1] == upper[1]:
        return upper[0]
    return upper[0] + (lower[0] - upper[0]) * (y - upper[1]) / (lower[1] - upper[1])


def render_region(on_body: np.ndarray, body: BodyPoints, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The photo region (left, top, right, bottom) the garment may cover: around the fitted points,
    never above the chin. Raises NoPersonFoundError when the body lies outside the photo."""
    height, width = shape[:2]
    margin = 0.3 * body.unit
    left = max(0, int(np.floor(on_body[:, 0].min() - margin)))
    right = min(width, int(np.ceil(on_body[:, 0].max() + margin)))
    top = max(0, int(np.ceil(body.chin_y)), int(np.floor(on_body[:, 1].min() - margin)))
    bottom = min(height, int(np.ceil(on_body[:, 1].max() + margin)))
    if right - left < 2 or bottom - top < 2:
        raise NoPersonFoundError(
            "Your upper body is not in the photo. Use a photo that shows you from the head to the waist."
        )
    return left, top, right, bottom
