"""Stage 4, rendering: the garment's colours and alpha on the photo's region around the body.

Colours are sampled through the spline and the sleeves' maps and shaded with the person's folds and
light (`shading.py`); the garment's own outline is clipped to the person, to the body envelope, to
below the chin and away from skin at the torso's sides (hands, arms); holes are filled and only the
outer edge is feathered.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tryon.pipeline.classic.body_points import (
    ARM_RADII,
    BodyPoints,
    FaceBox,
    limb_depth,
    segment_distance_and_share,
)
from tryon.pipeline.classic.fit import SleevePlacement, placed_corners
from tryon.pipeline.classic.shading import apply_shading, torso_shading
from tryon.pipeline.classic.tps import ThinPlateSpline, dense_map
from tryon.pipeline.imageops import shrink, to_photo, to_working_copy

# Rendering: alpha, skin and shading are computed on a copy of the torso region no larger than this.
RENDER_LONG_SIDE = 512
# Garment colours are sampled at up to this many pixels across and then scaled to the photo's size.
DETAIL_LONG_SIDE = 1024
FEATHER_PHOTO_PIXELS = 1.5
CHIN_FADE_FACE_FRACTION = 0.06
# Skin-coloured patches smaller than this (face widths squared) are specks, not hands or arms.
SKIN_MIN_AREA = 0.05
# The chroma of human skin of every tone (YCrCb; Chai and Ngan, "Face segmentation using skin-color
# map in videophone applications", IEEE TCSVT 1999): a face hidden by a phone is not learnt as skin.
SKIN_CR_RANGE = (133, 173)
SKIN_CB_RANGE = (77, 127)
# The face teaches the skin's colour when at least this share of its middle is skin-coloured, else the
# hands (their inner half) do; at least this many pixels either way.
FACE_SKIN_SHARE = 0.5
HAND_SAMPLE_SHARE = 0.5
MIN_SKIN_REFERENCE_PIXELS = 30
# Skin: pixels within this many standard deviations of the face's chroma, outside the torso's middle.
SKIN_CHROMA_TOLERANCE = 2.5
SKIN_MIN_CHROMA_SPREAD = 4.0
NEUTRAL_CHROMA = 128.0  # Cr and Cb of any grey
# Skin within this many face widths of the torso's sides is a hand or arm in front of the garment; further
# out it is a bare arm the sleeve covers.
SKIN_TORSO_MARGIN = 0.15
# Skin this close to the centre line (in face widths) is neck and chest, which the garment does cover.
SKIN_TORSO_CORE = 0.75
# The wedge between a garment's body and a sleeve turned down the arm is closed over this radius (face
# widths), within the triangle of shoulder seam, armpit and this share of the way down the upper arm.
ARMHOLE_CLOSING = 0.35
ARMHOLE_DOWN_THE_ARM = 0.5
# The share of the person's shading a skirt or dress keeps below the hips, where it hangs free.
SKIRT_SHADING_SHARE = 0.3
# Gaps up to this wide (face widths) across a leg between a trouser leg's edges are covered.
LEG_GAP_CLOSING = 0.8
# Between the armpits and the hips, a garment's side is carried out to an arm hanging against the body up
# to this far (face widths): the body's side lies behind the arm.
UNDER_ARM_REACH = 0.6
UNDER_ARM_INSET = 0.08  # ...in the colour of its side this far (face widths) inside its outline
# A sleeve ends where this share of its pixels on the arm lie above (stray pixels do not lengthen it).
SLEEVE_END_PERCENTILE = 99.0
GAP_INPAINT_RADIUS = 3  # rendering pixels around the gap between the legs its shading is filled from


@dataclass(frozen=True)
class GarmentLayer:
    """The garment as placed on the photo: colours and alpha (uint8, 255 = opaque) of the box at `origin`."""

    colours: np.ndarray
    alpha: np.ndarray
    origin: tuple[int, int]


def render_garment(
    person_rgb: np.ndarray,
    person_mask: np.ndarray,
    *,
    body: BodyPoints,
    region: tuple[int, int, int, int],
    spline: ThinPlateSpline,
    garment_colours: np.ndarray,
    torso_alpha: np.ndarray,
    sleeves: list[SleevePlacement],
    hands: list[tuple[float, float, float]],
    between_legs: np.ndarray | None = None,
    hanging_room: np.ndarray | None = None,
    cover_legs: bool = False,
    under_arms: bool = False,
    not_skin: np.ndarray | None = None,
) -> GarmentLayer | None:
    """The garment's body drawn through the spline and its sleeves over `region`, or None where nothing
    of it lands on the person. Nothing is drawn off the person mask (uint8 0 or 255) but for
    `between_legs` (the same kind of mask: where a skirt or dress hangs across the gap between the
    legs) and `hanging_room` (where it hangs free beside them), above the chin, over the `hands` (discs
    x, y, radius) or over bare arms in front of the torso. With `cover_legs` (trousers, shorts) each
    garment leg also covers the person's own leg between its edges; with `under_arms` (tops, dresses)
    the garment's sides reach an arm hanging against the body. `not_skin` (uint8, 255 where the
    person's own garment was found) is never taken for a hand, whatever its colour (beige shorts).
    """
    left, top, right, bottom = region
    person_mask = person_mask if between_legs is None else cv2.bitwise_or(person_mask, between_legs)
    coverable_mask = person_mask if hanging_room is None else cv2.bitwise_or(person_mask, hanging_room)
    factor = min(1.0, RENDER_LONG_SIDE / max(right - left, bottom - top))
    small_size = (max(2, round((right - left) * factor)), max(2, round((bottom - top) * factor)))
    on_person = shrink(person_mask[top:bottom, left:right], small_size) >= 128
    rows = to_photo(np.arange(small_size[1]), offset=top, factor=factor)

    def on_person_below_hips() -> np.ndarray:
        return on_person & (rows >= body.hip_centre[1])[:, None]

    map_x, map_y = dense_map(spline, origin=(left, top), size=small_size, scale=factor)
    alpha = cv2.remap(torso_alpha, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    on_sleeve = np.zeros(alpha.shape, bool)
    for sleeve in sleeves:
        sleeve_alpha = _warp_sleeve(sleeve.alpha, sleeve, (left, top), small_size, factor, cv2.BORDER_CONSTANT)
        on_sleeve |= sleeve_alpha >= 0.5
        alpha = np.maximum(alpha, sleeve_alpha)
    if sleeves:
        alpha = _close_armholes(alpha, body, origin=(left, top), factor=factor)
    if cover_legs:
        alpha = _cover_legs(alpha, on_person_below_hips(), body, factor=factor)

    person_crop_rgb = shrink(person_rgb[top:bottom, left:right], small_size)
    coverable = on_person if hanging_room is None else shrink(coverable_mask[top:bottom, left:right], small_size) >= 128
    skin = _skin(person_crop_rgb, skin_reference_pixels(person_rgb, body, hands), body, factor=factor)
    if skin is not None and not_skin is not None:
        skin &= shrink(not_skin[top:bottom, left:right], small_size) < 128
    hands_area = _hands_keep_out(hands, origin=(left, top), size=small_size, factor=factor)
    under_arm = None
    if skin is None:
        keep_out = hands_area
    else:
        # A hand is kept clear where it shows skin; a glove or sleeve inside its disc is still dressed.
        # A bare arm in front of the torso stays in front of the garment's body, but a sleeve covers it.
        # Only the arm's own skin is inside a sleeve: a hand over the torso's side next to a sleeve laid over it
        # stays in front of it too.
        in_sleeve = _inside_arms(on_sleeve, body, origin=(left, top), factor=factor)
        arm_in_front = _side_skin(skin, body, origin=(left, top), factor=factor) & ~in_sleeve
        keep_out = arm_in_front | (hands_area & skin)
        if under_arms:
            reached = _reach_hanging_arms(
                alpha, on_person, skin, body, hands, on_sleeve=on_sleeve, origin=(left, top), factor=factor
            )
            under_arm = (reached >= 0.5) & (alpha < 0.5)
            alpha = reached
    # The garment fades in just below the chin instead of ending in a hard horizontal line.
    rows_below_chin = to_photo(np.arange(small_size[1]), offset=top, factor=factor) - body.chin_y
    chin_ramp = np.clip(rows_below_chin / (CHIN_FADE_FACE_FRACTION * body.unit), 0.0, 1.0).astype(np.float32)
    allowed = coverable & ~keep_out
    at_photo_bottom = bottom >= person_rgb.shape[0]
    alpha = _fill_garment_holes(alpha * allowed * chin_ramp[:, None], allowed, open_bottom=not at_photo_bottom)
    # Only the outline is softened, by a couple of the photo's pixels; inside, the garment stays sharp.
    # A hand in front of the garment keeps a sharp edge, so it is cut again after feathering.
    sigma = max(0.5, FEATHER_PHOTO_PIXELS * factor)
    alpha = np.minimum(alpha, cv2.GaussianBlur(alpha, (0, 0), sigma))
    # Closing seals pixel-wide notches that scaling up to the photo would turn into specks of the photo.
    alpha = cv2.morphologyEx(alpha, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))) * allowed
    if not alpha.any():
        return None
    shading_source = person_crop_rgb
    if between_legs is not None:
        # Across the gap the photo shows what is behind the person; the folds and light there are the legs'.
        gap = (shrink(between_legs[top:bottom, left:right], small_size) > 0).astype(np.uint8)
        if gap.any():
            shading_source = cv2.inpaint(person_crop_rgb, gap, GAP_INPAINT_RADIUS, cv2.INPAINT_TELEA)
    # Bare skin is lighter than most clothes: measured with them, a dark top's middle reads as shadow.
    measured = on_person if skin is None else on_person & ~skin
    shading = torso_shading(shading_source, alpha, body.unit * factor, measured if measured.any() else on_person)
    if between_legs is not None:
        # A skirt hangs away from the legs: their clothes' folds and colour (dark trousers under a light
        # dress) are not its shading. Below the hips only a share of it is kept, faded in over a face width.
        below_hips = np.clip((rows - body.hip_centre[1]) / body.unit, 0.0, 1.0).astype(np.float32)[:, None]
        kept = 1.0 - (1.0 - SKIRT_SHADING_SHARE) * below_hips
        shading = (1.0 + (shading - 1.0) * kept).astype(np.float32)

    # Only the garment's bounding box is rendered in detail: colours at up to DETAIL_LONG_SIDE pixels
    # (the garment photo holds no finer detail), alpha and shading resampled to the photo's pixels.
    box_left, box_top, box_width, box_height = cv2.boundingRect((alpha > 0).astype(np.uint8))
    full_left = left + int(np.floor(box_left / factor))
    full_top = top + int(np.floor(box_top / factor))
    full_right = min(right, left + int(np.ceil((box_left + box_width) / factor)))
    full_bottom = min(bottom, top + int(np.ceil((box_top + box_height) / factor)))
    full_origin = (full_left, full_top)
    full_size = (full_right - full_left, full_bottom - full_top)
    detail = min(1.0, DETAIL_LONG_SIDE / max(full_size))
    detail_size = (max(2, round(full_size[0] * detail)), max(2, round(full_size[1] * detail)))

    map_x, map_y = dense_map(spline, origin=full_origin, size=detail_size, scale=detail)
    colours = cv2.remap(garment_colours, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    for sleeve in sleeves:
        # A sleeve lies over the body's side where the two meet under the arm.
        _draw_sleeve_over(colours, garment_colours, sleeve, full_origin, detail)
    if under_arm is not None and under_arm.any():
        # Carried out under an arm, the garment's side holds its own colour: past its outline the product
        # picture shows sleeves and background.
        placed = (alpha >= 0.5) & ~under_arm
        to_detail = ((factor, (left, top)), (detail, full_origin), detail_size)
        colours = _held_sideways(
            colours,
            _resample(under_arm.astype(np.uint8) * 255, *to_detail) >= 128,
            _resample(placed.astype(np.uint8) * 255, *to_detail) >= 128,
            centre=(body.centre_x - full_origin[0] + 0.5) * detail - 0.5,
            inset=max(1, round(UNDER_ARM_INSET * body.unit * detail)),
        )
    detail_shading = _resample(shading, (factor, (left, top)), (detail, full_origin), detail_size)
    shaded = apply_shading(colours, detail_shading)
    if detail < 1.0:
        shaded = cv2.resize(shaded, full_size, interpolation=cv2.INTER_LINEAR)
    alpha_bytes = np.clip(alpha * 255.0 + 0.5, 0, 255).astype(np.uint8)
    full_alpha = _resample(alpha_bytes, (factor, (left, top)), (1.0, full_origin), full_size)
    # Nothing outside what may be covered: the resampled alpha is cut by the full-resolution mask.
    full_alpha = cv2.bitwise_and(full_alpha, coverable_mask[full_top:full_bottom, full_left:full_right])
    return GarmentLayer(shaded, full_alpha, full_origin)


def _cover_legs(alpha: np.ndarray, legs: np.ndarray, body: BodyPoints, *, factor: float) -> np.ndarray:
    """Trouser legs over the person's own legs: on each row below the hips, the person's pixels lying
    between garment pixels a short way apart are covered too (a horizontal closing kept to the
    person). Slim trouser legs placed on the legs' lines left the inner thighs and calves showing, in
    hook shapes at the ankles; the background between the legs stays open."""
    width = max(3, 2 * round(LEG_GAP_CLOSING * body.unit * factor) + 1)
    closed = cv2.morphologyEx(alpha, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (width, 1)))
    return np.where(legs, np.maximum(alpha, closed), alpha).astype(np.float32)


def _reach_hanging_arms(
    alpha: np.ndarray,
    on_person: np.ndarray,
    skin: np.ndarray,
    body: BodyPoints,
    hands: list[tuple[float, float, float]],
    *,
    on_sleeve: np.ndarray | None = None,
    origin: tuple[int, int],
    factor: float,
) -> np.ndarray:
    """The garment's body carried out to an arm hanging against it: on each row between the armpits and
    the hips, or the bottom of a hand (`hands`: discs x, y, radius) hanging lower, the person's pixels
    from the side of the garment's body out to its own sleeve (the arm's inner side included), or else out
    to bare skin, up to UNDER_ARM_REACH away, are covered. The body's outline is read from the mask
    clamped to human proportions, so a garment fitted to it stopped short of an arm lying against a wide
    torso, and the strip between them showed the old top, or skin painted where it was. Where the
    background shows between body and arm nothing changes, nor on an arm further down it than its sleeve
    (`on_sleeve`, the sleeves' pixels) reaches."""
    garment = alpha >= 0.5
    height, width = alpha.shape
    reach = max(1, round(UNDER_ARM_REACH * body.unit * factor))
    rows = to_photo(np.arange(height), offset=origin[1], factor=factor)
    centre = round(to_working_copy(body.centre_x, offset=origin[0], factor=factor))
    armpit_y = (body.left_chest[1] + body.right_chest[1]) / 2
    if not 0 <= centre < width:
        return alpha
    # A hand hanging by the hips ends an arm lying along the garment's side: the side reaches the hand too,
    # which stays in front of it (stopping at the hips left a bite of the old garment beside the hand).
    lowest = max([float(body.hip_centre[1])] + [y + radius for _, y, radius in hands])
    torso_rows = np.flatnonzero((rows > armpit_y) & (rows < lowest) & garment[:, centre])
    reached = alpha.copy()
    # A garment is worn round the body: down to the hips it covers the torso out to its sides, however
    # narrow the product's waist (a dress's bodice fitted at its seams left the wearer's waist bare
    # beside it, painted as a flat skin-coloured block where their own top was), but not the arms
    # hanging there (their old sleeves are no skin to keep the garment out).
    columns = np.arange(width)
    off_arms = ~_inside_arms(on_person, body, origin=origin, factor=factor)
    # Below a sleeve's end the arm is the arm, whatever lies level with the sleeve on its row (a sleeve on an
    # arm held out has a slanting hem): the garment's side carried there drew a block of its colour.
    sleeves = on_sleeve if on_sleeve is not None else np.zeros_like(garment)
    past_sleeves = _past_sleeve_ends(sleeves, body, origin=origin, factor=factor)
    for row in torso_rows[rows[torso_rows] < body.hip_centre[1]]:
        left, right = (
            to_working_copy(side, offset=origin[0], factor=factor) for side in body.torso_sides_at(float(rows[row]))
        )
        inside = (columns >= left) & (columns <= right) & on_person[row] & off_arms[row]
        run = _run_through(inside, centre)
        reached[row, run] = np.maximum(reached[row, run], 1.0)
    garment = reached >= 0.5
    steps = np.arange(1, reach + 1)
    for step in (1, -1):
        # The end of the garment's run through the centre on each row, and the columns beyond it.
        towards_edge = garment[torso_rows, centre::step] if step > 0 else garment[torso_rows, centre::-1]
        run = np.where(towards_edge.all(axis=1), towards_edge.shape[1], np.argmax(~towards_edge, axis=1))
        columns = centre + step * (run[:, None] - 1 + steps[None, :])
        inside = (columns >= 0) & (columns < width)
        clipped = np.clip(columns, 0, width - 1)
        row_index = torso_rows[:, None]
        person, cloth, bare = (plane[row_index, clipped] & inside for plane in (on_person, garment, skin))
        # Up to the garment's own sleeve everything on the person is covered, the arm's inner side too (a
        # sleeve narrower than the arm), and up to the arm below its sleeve's end (beyond it, below a short
        # sleeve, the garment's side was carried across an old bell sleeve as a block of its colour); else
        # up to bare skin, never across the background.
        past = past_sleeves[row_index, clipped] & inside
        stops = ~person | cloth | past
        stop = np.where(stops.any(axis=1), np.argmax(stops, axis=1), reach)
        at_stop = np.clip(stop, 0, reach - 1)
        # Reaching the garment's sleeve, or the arm below it, ends the run there.
        sleeve_reached = (stop < reach) & (cloth | past)[np.arange(len(torso_rows)), at_stop]
        before_stop = steps[None, :] <= stop[:, None]
        bare_before_stop = bare & before_stop
        first_bare = np.where(bare_before_stop.any(axis=1), np.argmax(bare_before_stop, axis=1), 0)
        length = np.where(sleeve_reached, stop, first_bare)
        covered = steps[None, :] <= length[:, None]
        reached[np.broadcast_to(row_index, covered.shape)[covered], clipped[covered]] = 1.0
    return reached


def _past_sleeve_ends(on_sleeve: np.ndarray, body: BodyPoints, *, origin: tuple[int, int], factor: float) -> np.ndarray:
    """The rendering's pixels inside each arm (capsules of `ARM_RADII`) further along it from the shoulder
    than its sleeve (`on_sleeve`) reaches there; the whole arm where no sleeve lies on it."""
    height, width = on_sleeve.shape
    grid_x, grid_y = np.meshgrid(
        to_photo(np.arange(width), offset=origin[0], factor=factor),
        to_photo(np.arange(height), offset=origin[1], factor=factor),
    )
    past = np.zeros(on_sleeve.shape, bool)
    for arm in (body.left_arm, body.right_arm):
        inside = limb_depth(arm, ARM_RADII, body.unit, grid_x, grid_y) <= 1.0
        upper_distance, upper_share = segment_distance_and_share(arm.root, arm.joint, grid_x, grid_y)
        lower_distance, lower_share = segment_distance_and_share(arm.joint, arm.end, grid_x, grid_y)
        # How far down the arm: 0 at the shoulder, 1 at the elbow, 2 at the wrist.
        along = np.where(upper_distance <= lower_distance, upper_share, 1.0 + lower_share)
        sleeve = inside & on_sleeve
        end = float(np.percentile(along[sleeve], SLEEVE_END_PERCENTILE)) if sleeve.any() else 0.0
        past |= inside & (along > end)
    return past


def _run_through(pixels: np.ndarray, centre: int) -> slice:
    """The run of True `pixels` (one row) through column `centre` (empty where it is False)."""
    if not pixels[centre]:
        return slice(centre, centre)
    gaps = np.flatnonzero(~pixels)
    left = gaps[gaps < centre]
    right = gaps[gaps > centre]
    return slice(int(left[-1]) + 1 if len(left) else 0, int(right[0]) if len(right) else len(pixels))


def _held_sideways(
    colours: np.ndarray, held: np.ndarray, source: np.ndarray, *, centre: float, inset: int
) -> np.ndarray:
    """`colours` with the `held` pixels, and the `inset` outline pixels of `source` beside them (they blend
    with the product picture's background), in the garment's own colours mirrored across the nearest
    remaining `source` pixel on their row towards the `centre` column; where the mirror leaves the garment,
    in that pixel's colour, smoothed over `inset` (a single pixel's colour drew streaks)."""
    height, width = held.shape
    band = 2 * inset + 1
    columns = np.broadcast_to(np.arange(width), (height, width))
    # Only the outline on the garment's side of a held strip, towards the centre: the sleeve beyond the
    # strip keeps its own colours (recoloured, it showed the body's colour as blocks sticking out of it).
    beside = np.zeros_like(held)
    for shift in range(1, inset + 1):
        beside[:, :-shift] |= held[:, shift:] & (columns[:, :-shift] > centre)
        beside[:, shift:] |= held[:, :-shift] & (columns[:, shift:] < centre)
    held = held | (source & beside)
    source = source & ~held
    from_left = np.maximum.accumulate(np.where(source, columns, -1), axis=1)
    from_right = np.minimum.accumulate(np.where(source, columns, width)[:, ::-1], axis=1)[:, ::-1]
    nearer = np.where(columns > centre, from_left, from_right)
    usable = held & (nearer >= 0) & (nearer < width)
    rows = np.broadcast_to(np.arange(height)[:, None], (height, width))
    # The side's colour, averaged over the source pixels around each (none of the product's background).
    weight = cv2.blur(source.astype(np.float32), (band, band))
    smooth = (
        cv2.blur(colours.astype(np.float32) * source[:, :, None], (band, band)) / np.maximum(weight, 1e-6)[:, :, None]
    )
    held_colours = colours.copy()
    held_colours[usable] = np.clip(smooth[rows[usable], nearer[usable]] + 0.5, 0, 255).astype(colours.dtype)
    # Where the garment lies wide enough, its own print is mirrored out across the edge instead: one colour
    # held across a strip drew flat bands and streaks over a patterned dress.
    # The mirror's axis is the garment's edge smoothed down the rows: a ragged edge sheared the print.
    kernel = (1, 4 * band + 1)
    weight = cv2.GaussianBlur(usable.astype(np.float32), kernel, band)
    axis = cv2.GaussianBlur(np.where(usable, nearer, 0).astype(np.float32), kernel, band) / np.maximum(weight, 1e-6)
    mirrored = np.round(2 * axis - columns).astype(int)
    clipped = np.clip(mirrored, 0, width - 1)
    from_print = usable & (mirrored >= 0) & (mirrored < width) & source[rows, clipped]
    held_colours[from_print] = colours[rows[from_print], clipped[from_print]]
    return held_colours


def _close_armholes(alpha: np.ndarray, body: BodyPoints, *, origin: tuple[int, int], factor: float) -> np.ndarray:
    """The garment's alpha with the wedge between its body and a sleeve turned down the arm filled: a
    morphological closing, kept to the triangle of shoulder seam, armpit and upper arm on each side (a
    sleeve is sewn to the body all round the armhole; no skin or old top shows at the seam)."""
    radius = max(1, round(ARMHOLE_CLOSING * body.unit * factor))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    closed = cv2.morphologyEx(alpha, cv2.MORPH_CLOSE, kernel)
    armholes = np.zeros(alpha.shape, np.uint8)
    for shoulder, chest, arm in (
        (body.left_shoulder, body.left_chest, body.left_arm),
        (body.right_shoulder, body.right_chest, body.right_arm),
    ):
        upper_arm = arm.root + ARMHOLE_DOWN_THE_ARM * (arm.joint - arm.root)
        corners = np.array([shoulder, chest, upper_arm], dtype=np.float64)
        placed = to_working_copy(corners, offset=np.array(origin, dtype=np.float64), factor=factor)
        cv2.fillConvexPoly(armholes, np.round(placed).astype(np.int32), 1)
    return np.where(armholes > 0, np.maximum(alpha, closed), alpha).astype(np.float32)


def _to_rendering(matrix: np.ndarray, origin: tuple[int, int], scale: float) -> np.ndarray:
    """Compose a garment-to-photo affine map with the photo-to-rendering one (see `dense_map`)."""
    rendered = scale * matrix
    rendered[:, 2] = scale * (matrix[:, 2] - np.array(origin, dtype=np.float64)) + 0.5 * scale - 0.5
    return rendered


def _warp_sleeve(image: np.ndarray, sleeve: SleevePlacement, origin, size, scale, border: int) -> np.ndarray:
    """`image` (garment pixels) as the sleeve piece puts it on a rendering at `scale` of the photo from `origin`."""
    if sleeve.seam_spline is not None:
        map_x, map_y = dense_map(sleeve.seam_spline, origin=origin, size=size, scale=scale)
        return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=border)
    return cv2.warpAffine(
        image, _to_rendering(sleeve.garment_to_photo, origin, scale), size, flags=cv2.INTER_LINEAR, borderMode=border
    )


def _draw_sleeve_over(
    colours: np.ndarray,
    garment_colours: np.ndarray,
    sleeve: SleevePlacement,
    origin: tuple[int, int],
    scale: float,
) -> None:
    """Blend the sleeve's colours over `colours` (a rendering at `scale` of the photo from `origin`) by its
    alpha, in place; only the box the sleeve lands in is warped."""
    corners = (placed_corners(sleeve) - np.array(origin, dtype=np.float64) + 0.5) * scale - 0.5
    height, width = colours.shape[:2]
    # A sewn piece bends between its anchors and may bulge a little past them.
    margin = 2 if sleeve.seam_spline is None else 2 + round(0.1 * float(np.ptp(corners, axis=0).max()))
    left = max(0, int(np.floor(corners[:, 0].min())) - margin)
    top = max(0, int(np.floor(corners[:, 1].min())) - margin)
    right = min(width, int(np.ceil(corners[:, 0].max())) + margin)
    bottom = min(height, int(np.ceil(corners[:, 1].max())) + margin)
    if right <= left or bottom <= top:
        return
    box_origin = (origin[0] + left / scale, origin[1] + top / scale)
    size = (right - left, bottom - top)
    alpha = _warp_sleeve(sleeve.alpha, sleeve, box_origin, size, scale, cv2.BORDER_CONSTANT)
    sleeve_colours = _warp_sleeve(garment_colours, sleeve, box_origin, size, scale, cv2.BORDER_REPLICATE)
    under = colours[top:bottom, left:right]
    colours[top:bottom, left:right] = cv2.blendLinear(sleeve_colours, under, alpha, 1.0 - alpha)


def _resample(
    image: np.ndarray,
    source: tuple[float, tuple[int, int]],
    target: tuple[float, tuple[int, int]],
    size: tuple[int, int],
) -> np.ndarray:
    """Resample a one-channel map between two renderings of photo regions, each given as (scale, origin).

    Rendered pixel j of a region stands for the photo coordinate origin + (j + 0.5) / scale - 0.5.
    """
    (source_scale, source_origin), (target_scale, target_origin) = source, target
    ratio = source_scale / target_scale
    offset_x = source_scale * (target_origin[0] - source_origin[0]) + 0.5 * ratio - 0.5
    offset_y = source_scale * (target_origin[1] - source_origin[1]) + 0.5 * ratio - 0.5
    transform = np.array([[ratio, 0.0, offset_x], [0.0, ratio, offset_y]], dtype=np.float64)
    return cv2.warpAffine(
        image, transform, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE
    )


def _skin(crop_rgb: np.ndarray, core: np.ndarray, body: BodyPoints, *, factor: float) -> np.ndarray | None:
    """Sizeable patches of the rendering coloured like `core` (the person's skin, RGB pixels), or None
    where colour cannot tell skin from clothes (a black-and-white photo, a grey face, no skin found)."""
    if core.size == 0:
        return None
    face_chroma = cv2.cvtColor(core.reshape(-1, 1, 3), cv2.COLOR_RGB2YCrCb).reshape(-1, 3)[:, 1:].astype(np.float32)
    mean = face_chroma.mean(axis=0)
    if np.abs(mean - NEUTRAL_CHROMA).max() < SKIN_MIN_CHROMA_SPREAD:
        return None
    spread = np.maximum(face_chroma.std(axis=0), SKIN_MIN_CHROMA_SPREAD)
    chroma = cv2.cvtColor(crop_rgb, cv2.COLOR_RGB2YCrCb)[:, :, 1:].astype(np.float32)
    distance = np.sqrt((((chroma - mean) / spread) ** 2).sum(axis=2))
    skin = (distance <= SKIN_CHROMA_TOLERANCE).astype(np.uint8)
    skin = cv2.morphologyEx(skin, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    # Skin-coloured specks (a badge, a reflection) are not hands: only sizeable patches keep the garment out.
    _, labels, stats, _ = cv2.connectedComponentsWithStats(skin, connectivity=8)
    large = stats[:, cv2.CC_STAT_AREA] >= SKIN_MIN_AREA * (body.unit * factor) ** 2
    large[0] = False
    return large[labels]


def _side_skin(skin: np.ndarray, body: BodyPoints, *, origin: tuple[int, int], factor: float) -> np.ndarray:
    """The skin over the torso's sides (hands and forearms in front of it) on the rendering."""
    columns = to_photo(np.arange(skin.shape[1]), offset=origin[0], factor=factor)
    rows = to_photo(np.arange(skin.shape[0]), offset=origin[1], factor=factor)
    at_sides = np.abs(columns - body.centre_x) > SKIN_TORSO_CORE * body.unit
    # Only skin over the torso is a hand or arm in front of it: bare arms beside the torso are what
    # sleeves cover, and below the hips bare skin is legs, which trousers and skirts cover. Above the
    # armpits it is the wearer's own shoulders beside a low neckline, which a top covers up to its seams
    # (hands there are kept clear by their discs).
    sides = np.array([body.torso_sides_at(row) for row in rows])
    margin = SKIN_TORSO_MARGIN * body.unit
    over_torso = (columns[None, :] >= sides[:, :1] - margin) & (columns[None, :] <= sides[:, 1:] + margin)
    armpits_y = (body.left_chest[1] + body.right_chest[1]) / 2
    between_armpits_and_hips = (rows > armpits_y) & (rows < body.hip_centre[1])
    return skin & at_sides[None, :] & over_torso & between_armpits_and_hips[:, None]


def _inside_arms(pixels: np.ndarray, body: BodyPoints, *, origin: tuple[int, int], factor: float) -> np.ndarray:
    """Which of the rendering's `pixels` (bool) lie inside an arm itself: capsules of human proportions
    (`ARM_RADII`) along each arm."""
    rows, columns = np.nonzero(pixels)
    inside = np.zeros(pixels.shape, bool)
    photo_x = to_photo(columns, offset=origin[0], factor=factor)
    photo_y = to_photo(rows, offset=origin[1], factor=factor)
    depth = np.minimum(
        *(limb_depth(arm, ARM_RADII, body.unit, photo_x, photo_y) for arm in (body.left_arm, body.right_arm))
    )
    inside[rows, columns] = depth <= 1.0
    return inside


def _hands_keep_out(
    hands: list[tuple[float, float, float]], *, origin: tuple[int, int], size: tuple[int, int], factor: float
) -> np.ndarray:
    """The hand discs on the rendering (True = a hand)."""
    canvas = np.zeros((size[1], size[0]), np.uint8)
    for x, y, radius in hands:
        centre = (
            round(to_working_copy(x, offset=origin[0], factor=factor)),
            round(to_working_copy(y, offset=origin[1], factor=factor)),
        )
        cv2.circle(canvas, centre, max(1, round(radius * factor)), 1, thickness=-1)
    return canvas > 0


def skin_reference_pixels(
    person_rgb: np.ndarray, body: BodyPoints, hands: list[tuple[float, float, float]]
) -> np.ndarray:
    """RGB pixels (N×3) to learn the person's skin colour from: the skin-coloured middle of the face, or,
    when little of it is skin-coloured (a mirror selfie's phone in front of it), the skin-coloured
    inner half of the hands; empty when neither shows enough skin."""
    face = face_core_pixels(person_rgb, body.face).reshape(-1, 3)
    on_face = face[_in_skin_locus(face)]
    if len(on_face) >= max(MIN_SKIN_REFERENCE_PIXELS, FACE_SKIN_SHARE * len(face)):
        return on_face
    on_hands = []
    for x, y, radius in hands:
        pixels = pixels_around(person_rgb, x, y, radius * HAND_SAMPLE_SHARE)
        on_hands.append(pixels[_in_skin_locus(pixels)])
    on_hands = np.concatenate(on_hands) if on_hands else np.zeros((0, 3), np.uint8)
    return on_hands if len(on_hands) >= MIN_SKIN_REFERENCE_PIXELS else np.zeros((0, 3), np.uint8)


def pixels_around(rgb: np.ndarray, x: float, y: float, radius: float) -> np.ndarray:
    """The pixels (N×3) of the square of half-width `radius` (at least one) around (x, y), inside `rgb`."""
    height, width = rgb.shape[:2]
    reach = max(1, round(radius))
    rows = slice(max(0, round(y) - reach), min(height, round(y) + reach))
    columns = slice(max(0, round(x) - reach), min(width, round(x) + reach))
    return rgb[rows, columns].reshape(-1, rgb.shape[2])


def _in_skin_locus(rgb_pixels: np.ndarray) -> np.ndarray:
    if len(rgb_pixels) == 0:
        return np.zeros(0, bool)
    ycrcb = cv2.cvtColor(np.ascontiguousarray(rgb_pixels.reshape(-1, 1, 3)), cv2.COLOR_RGB2YCrCb).reshape(-1, 3)
    cr, cb = ycrcb[:, 1], ycrcb[:, 2]
    return (cr >= SKIN_CR_RANGE[0]) & (cr <= SKIN_CR_RANGE[1]) & (cb >= SKIN_CB_RANGE[0]) & (cb <= SKIN_CB_RANGE[1])


def face_core_pixels(person_rgb: np.ndarray, face: FaceBox) -> np.ndarray:
    """The central part of the face box (cheeks, nose), where nearly every pixel is skin."""
    left = round(face.left + 0.3 * face.width)
    right = round(face.left + 0.7 * face.width)
    top = round(face.top + 0.45 * face.height)
    bottom = round(face.top + 0.75 * face.height)
    step = max(1, (right - left) // 24)
    return np.ascontiguousarray(person_rgb[max(0, top) : bottom : step, max(0, left) : right : step])


def _fill_garment_holes(alpha: np.ndarray, allowed: np.ndarray, *, open_bottom: bool = True) -> np.ndarray:
    """Close the holes inside the garment (gaps in the product photo's mask, resampling specks) so no dots
    of the photo show through; what is not `allowed` (a hand in front, off the person) stays open.

    Without `open_bottom` the rendering's bottom edge is the photo's, where the body goes on: a gap that
    reaches only that edge (between a sleeve and the body of a person cut off at the waist) is a hole."""
    garment = (alpha >= 0.5).astype(np.uint8)
    count, labels = cv2.connectedComponents(1 - garment, connectivity=4)
    if count <= 1:
        return alpha
    enclosed = np.ones(count, bool)
    enclosed[0] = False  # label 0 is the garment itself
    edges = [labels[0], labels[:, 0], labels[:, -1]] + ([labels[-1]] if open_bottom else [])
    enclosed[np.unique(np.concatenate(edges))] = False
    return np.where(enclosed[labels] & allowed, 1.0, alpha).astype(np.float32)
