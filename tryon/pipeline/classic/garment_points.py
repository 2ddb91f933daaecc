"""Garment points for weight-free fitting (part of stage 2, masking).

They come from the row and column profiles of the garment's cloth mask, shot flat and upright as
product photos are. Tops: the body of the garment is the run of the mask through its middle column
(long sleeves may lie beside it), and a hood above the shoulders is cut off first (`without_hood`).
Bottoms: waistband corners, the crotch (where the middle column's run ends) and each leg's hem
corners. Dresses: a top read above the waist (the narrowest row below the bust) and the hem.

"Left" and "right" mean the image's left and right throughout, not the wearer's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from tryon.pipeline.contract import GarmentNotFoundError

Point = tuple[float, float]  # (x, y) in pixels
# Garment profile rules: the body part of a top is the lower part of its mask; a row at least this
# much wider than the body has sleeves in it.
GARMENT_BODY_ROWS = (0.6, 0.9)  # fraction of the garment's height where the body width is measured
SLEEVE_WIDENING = 1.12
# Sleeves fill the first run of such rows from the top; a later run, past a gap of more than this share of
# the body width, is a hem flaring wider than the waist (a fitted polo), not a sleeve.
SLEEVE_ROWS_MAX_GAP = 0.05
HEM_END_SHARE = 0.6  # a body run narrower than this share of the median one is the rounded end of a hem
NO_SLEEVE_ARMPIT_FRACTION = 0.3
# An armpit notch lies within this fraction of the body width from the body's side.
ARMPIT_SEARCH_WIDTH = 0.15
# Sleeve pixels are looked for at least this fraction of the body width outside the body's sides.
SLEEVE_CLEARANCE = 0.05
MIN_GARMENT_PIXELS = 400
# A sleeveless top's armholes end at the first row at least this share of its body's width.
ARMHOLE_FULL_WIDTH = 0.9
# A hem's corners are its widest reach over this share of the garment's height above the hem.
HEM_CORNER_ROWS = 0.05
# An armpit notch lies within this share of the shoulder-to-hem drop below the shoulders; one outside it
# is where a long sleeve leaves the body or a kink at the shoulder, and the typical share is used instead.
ARMPIT_FRACTION_RANGE = (0.2, 0.5)
TYPICAL_ARMPIT_FRACTION = 0.35
# Hoods and high collars: the shoulder line is the first row at least this share of the body's width...
SHOULDER_LINE_WIDTH_SHARE = 0.75
# ...and a part standing above it, filled in the middle up to within this share of the body's width of
# the garment's top and at least this tall (shares of the body's width), is a hood or a high collar.
HOOD_TOP_TOLERANCE = 0.03
HOOD_MIN_HEIGHT = 0.1
# The hood ends at the first row this much wider than its base; below, a round neckline is cut, at most
# this share of the body's width wide and this deep (a t-shirt's neckline is about 0.4 by 0.13).
HOOD_BASE_WIDENING = 1.08
NECKLINE_MAX_WIDTH_SHARE = 0.45
NECKLINE_DEPTH_SHARE = 0.13


@dataclass(frozen=True)
class TopPoints:
    """Points on a flat, upright top's cloth mask, in pixels of that mask."""

    collar: Point  # lowest point of the front neckline, on the centre line
    left_shoulder: Point
    right_shoulder: Point
    left_armpit: Point
    right_armpit: Point
    left_sleeve_end: Point | None  # outermost point of the sleeve; None for sleeveless garments
    right_sleeve_end: Point | None
    left_sleeve_bottom: Point | None  # lowest point of the sleeve beside the body (the cuff's inner corner)
    right_sleeve_bottom: Point | None
    left_hem: Point
    right_hem: Point
    # Highest points of the outline between each shoulder and the centre line: where the neckline starts.
    left_neckline: Point | None = None
    right_neckline: Point | None = None

    @property
    def shoulder_width(self) -> float:
        return self.right_shoulder[0] - self.left_shoulder[0]

    @property
    def centre_x(self) -> float:
        return (self.left_hem[0] + self.right_hem[0] + self.left_shoulder[0] + self.right_shoulder[0]) / 4


def without_hood(cloth_mask: np.ndarray) -> np.ndarray:
    """The front of a top: its cloth mask with a hood or a high collar standing above the shoulders cut off.

    In a flat product photo a hood (or a stand-up collar) lies above the shoulders, in the middle; worn and
    seen from the front it hangs behind the head, so it must not be drawn on the wearer's chest and neck.
    It is recognised by the mask's middle column being filled right up to the garment's top, well above the
    shoulder line. It is cut off where the rows start widening from its width to the shoulders', and a
    round neckline as wide as its base is cut below, so the wearer's neck shows as with a t-shirt. A top
    with a neck opening (t-shirt, shirt, tank) has its middle column open above the collar and is
    returned unchanged.
    """
    filled = cloth_mask > 0
    rows = np.flatnonzero(filled.any(axis=1))
    if np.count_nonzero(filled) < MIN_GARMENT_PIXELS or len(rows) < 8:
        return cloth_mask  # too little to read; `top_points` says so
    top, bottom = int(rows[0]), int(rows[-1])
    lefts, rights, widths = _row_extents(filled, rows)
    body_left, body_right = _body_sides(filled, lefts, rights, widths, top, bottom)
    body_width = body_right - body_left
    centre = (body_left + body_right) / 2
    if body_width <= 0 or _first_filled_row(filled, round(centre), top, bottom) > top + HOOD_TOP_TOLERANCE * body_width:
        return cloth_mask
    wide = np.flatnonzero(widths[top : bottom + 1] >= SHOULDER_LINE_WIDTH_SHARE * body_width)
    shoulder_line = top + int(wide[0]) if len(wide) else top
    if shoulder_line - top < HOOD_MIN_HEIGHT * body_width:
        return cloth_mask
    # The hood's base: the lower half of the standing part is about as wide as the hood; the first row
    # clearly wider than that is where the garment's own neck edge begins.
    lower_half = np.arange((top + shoulder_line) // 2, shoulder_line)
    base_width = float(np.median(widths[lower_half]))
    widening = np.flatnonzero(widths[lower_half] > HOOD_BASE_WIDENING * base_width)
    neck_edge = int(lower_half[widening[0]]) if len(widening) else shoulder_line
    front = cloth_mask.copy()
    front[:neck_edge] = 0
    half_width = min(base_width, NECKLINE_MAX_WIDTH_SHARE * body_width) / 2
    depth = NECKLINE_DEPTH_SHARE * body_width
    cv2.ellipse(front, (round(centre), neck_edge), (max(1, round(half_width)), max(1, round(depth))), 0, 0, 180, 0, -1)
    return front


def _row_extents(filled: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of the mask: leftmost and rightmost filled column (-1 in empty rows) and the width between."""
    lefts = np.full(filled.shape[0], -1)
    rights = np.full(filled.shape[0], -1)
    lefts[rows] = filled[rows].argmax(axis=1)
    rights[rows] = filled.shape[1] - 1 - filled[rows, ::-1].argmax(axis=1)
    return lefts, rights, np.where(lefts >= 0, rights - lefts + 1, 0)


def _body_sides(
    filled: np.ndarray, lefts: np.ndarray, rights: np.ndarray, widths: np.ndarray, top: int, bottom: int
) -> tuple[float, float]:
    """Left and right side of the garment's body, measured in its lower part.

    Long sleeves laid beside the body reach down into those rows; only the filled run through the middle
    column is body, and rows where the sleeves are still joined to it (the mask closes narrow gaps) are
    left out as clearly wider than the narrowest.
    """
    height = bottom - top + 1
    body_rows = np.arange(top + round(GARMENT_BODY_ROWS[0] * height), top + round(GARMENT_BODY_ROWS[1] * height) + 1)
    body_rows = body_rows[widths[body_rows] > 0]
    if len(body_rows) == 0:
        raise GarmentNotFoundError("The garment's outline could not be read; use a photo of one garment laid flat.")
    centre = round((np.median(lefts[body_rows]) + np.median(rights[body_rows])) / 2)
    runs = np.array([run_through(filled[row], centre) for row in body_rows], dtype=float)
    if not np.any(runs[:, 1] >= runs[:, 0]):
        raise GarmentNotFoundError("The garment has a gap down its middle; use a photo of one garment laid flat.")
    run_widths = runs[:, 1] - runs[:, 0]
    # The narrowest run that is still body: long sleeves may hang below the hem, so the lowest rows
    # measured can hold only the rounded end of the hem, far narrower than the body.
    body_like = run_widths >= HEM_END_SHARE * np.median(run_widths[run_widths >= 0])
    narrow = run_widths <= SLEEVE_WIDENING * run_widths[body_like].min()
    narrow &= body_like
    return float(np.median(runs[narrow, 0])), float(np.median(runs[narrow, 1]))


def top_points(cloth_mask: np.ndarray, *, body_sides: tuple[float, float] | None = None) -> TopPoints:
    """Read collar, shoulders, armpits, sleeve ends and hem corners from a flat top's cloth mask.

    Pass the front of the garment (`without_hood`): a hood above the shoulders would be read as the collar.
    `body_sides` (left and right column) replaces the body's sides read from the mask where the caller
    knows them better (a dress's bodice whose sleeves stay joined to it, `dress_points`).
    """
    rows = np.flatnonzero(cloth_mask.any(axis=1))
    if np.count_nonzero(cloth_mask) < MIN_GARMENT_PIXELS or len(rows) < 8:
        raise GarmentNotFoundError("The garment image shows too little garment to fit it; use a larger product photo.")
    top, bottom = int(rows[0]), int(rows[-1])
    garment_height = bottom - top + 1
    filled = cloth_mask > 0
    lefts, rights, widths = _row_extents(filled, rows)
    body_left, body_right = body_sides or _body_sides(filled, lefts, rights, widths, top, bottom)
    body_width = body_right - body_left

    centre_x = (body_left + body_right) / 2
    collar_y = _first_filled_row(filled, round(centre_x), top, bottom)
    shoulder_inset = 0.04 * body_width
    left_shoulder_x = body_left + shoulder_inset
    right_shoulder_x = body_right - shoulder_inset
    left_shoulder = (left_shoulder_x, _first_filled_row(filled, round(left_shoulder_x), top, bottom))
    right_shoulder = (right_shoulder_x, _first_filled_row(filled, round(right_shoulder_x), top, bottom))
    hem_y = _hem_row(filled, centre_x, body_width, top, bottom)
    left_hem, right_hem = _hem_corners(filled, centre_x, int(hem_y), garment_height)

    # Rows with sleeves in them: short sleeves stand out above the body, long ones hang beside it.
    sleeve_rows = _first_run(np.flatnonzero(widths > SLEEVE_WIDENING * body_width), SLEEVE_ROWS_MAX_GAP * body_width)
    has_sleeves = len(sleeve_rows) > 0
    if has_sleeves:
        body_top = top + round(GARMENT_BODY_ROWS[0] * garment_height)
        left_armpit_y, right_armpit_y = _armpit_heights(cloth_mask, body_left, body_right, top, body_top)
        # Where a long sleeve is joined to the body (the mask closes the narrow gap under the arm), the
        # notch found is where the sleeve leaves the body or a kink at the shoulder, not the armpit: the
        # armpit then takes its typical place between shoulder and hem.
        shoulder_y = (left_shoulder[1] + right_shoulder[1]) / 2
        drop = hem_y - shoulder_y
        believable = (shoulder_y + ARMPIT_FRACTION_RANGE[0] * drop, shoulder_y + ARMPIT_FRACTION_RANGE[1] * drop)
        typical = shoulder_y + TYPICAL_ARMPIT_FRACTION * drop
        left_armpit_y = left_armpit_y if believable[0] <= left_armpit_y <= believable[1] else typical
        right_armpit_y = right_armpit_y if believable[0] <= right_armpit_y <= believable[1] else typical
    else:
        # Without sleeves the armholes end where the garment first reaches nearly its body's width.
        cloth_per_row = filled[top : bottom + 1].sum(axis=1)  # not the extents: two straps are not a row of cloth
        full_width = np.flatnonzero(cloth_per_row >= ARMHOLE_FULL_WIDTH * body_width)
        armhole_end = top + (float(full_width[0]) if len(full_width) else NO_SLEEVE_ARMPIT_FRACTION * garment_height)
        # ...and never above where the sides begin (slanting sides meet the shoulder columns low).
        left_armpit_y = right_armpit_y = max(armhole_end, left_shoulder[1] + 1, right_shoulder[1] + 1)

    left_sleeve_end = right_sleeve_end = left_sleeve_bottom = right_sleeve_bottom = None
    if has_sleeves:
        left_sleeve_end = _extreme_point(sleeve_rows, lefts[sleeve_rows], outermost=np.min)
        right_sleeve_end = _extreme_point(sleeve_rows, rights[sleeve_rows], outermost=np.max)
        margin = round(SLEEVE_CLEARANCE * body_width)
        above_hem = filled[: int(sleeve_rows[-1]) + 1]
        left_sleeve_bottom = _lowest_point(above_hem, 0, int(body_left) - margin)
        right_sleeve_bottom = _lowest_point(above_hem, int(body_right) + margin + 1, filled.shape[1])

    tops = np.where(filled.any(axis=0), filled.argmax(axis=0), filled.shape[0])
    return TopPoints(
        collar=(centre_x, collar_y),
        left_shoulder=left_shoulder,
        right_shoulder=right_shoulder,
        left_armpit=(body_left, left_armpit_y),
        right_armpit=(body_right, right_armpit_y),
        left_sleeve_end=left_sleeve_end,
        right_sleeve_end=right_sleeve_end,
        left_sleeve_bottom=left_sleeve_bottom,
        right_sleeve_bottom=right_sleeve_bottom,
        left_hem=left_hem,
        right_hem=right_hem,
        left_neckline=_neckline_corner(tops, left_shoulder_x, centre_x),
        right_neckline=_neckline_corner(tops, right_shoulder_x, centre_x),
    )


def _first_run(rows: np.ndarray, max_gap: float) -> np.ndarray:
    """The rows (sorted) up to the first gap between neighbours wider than `max_gap`."""
    breaks = np.flatnonzero(np.diff(rows) > max_gap + 1)
    return rows if len(breaks) == 0 else rows[: int(breaks[0]) + 1]


def _hem_row(filled: np.ndarray, centre_x: float, body_width: float, top: int, bottom: int) -> float:
    """The lowest row whose run through the middle column is over half the body's width (cuffs of long
    sleeves hanging beside the body, lower than its hem, are not the hem)."""
    column = int(np.clip(round(centre_x), 0, filled.shape[1] - 1))
    for row in range(bottom, top - 1, -1):
        left, right = run_through(filled[row], column)
        if right - left + 1 > 0.5 * body_width:
            return float(row)
    return float(bottom)


def _hem_corners(filled: np.ndarray, centre_x: float, hem_y: int, garment_height: int) -> tuple[Point, Point]:
    """The hem's corners: the widest reach of the body's run (through the middle column, so cuffs of
    long sleeves beside it do not count) over the lowest HEM_CORNER_ROWS of the garment, at the hem's
    height (a rounded hem's last row is narrower than the garment)."""
    column = int(np.clip(round(centre_x), 0, filled.shape[1] - 1))
    first = max(0, hem_y - max(1, round(HEM_CORNER_ROWS * garment_height)))
    runs = np.array([run_through(filled[row], column) for row in range(first, hem_y + 1)], dtype=float)
    runs = runs[runs[:, 1] >= runs[:, 0]]
    if len(runs) == 0:
        return (centre_x, float(hem_y)), (centre_x, float(hem_y))
    return (float(runs[:, 0].min()), float(hem_y)), (float(runs[:, 1].max()), float(hem_y))


def _neckline_corner(tops: np.ndarray, shoulder_x: float, centre_x: float) -> Point | None:
    """The highest outline point between a shoulder and the centre (the nearest the centre among equals);
    None where the outline only falls from the shoulder to the collar (no raised neckline edge)."""
    first, last = sorted((round(shoulder_x), round(centre_x)))
    columns = np.arange(first, last + 1)
    heights = tops[columns]
    highest = heights.min()
    candidates = columns[heights == highest]
    column = candidates[np.argmin(np.abs(candidates - centre_x))]
    if abs(column - round(centre_x)) <= 1 or abs(column - round(shoulder_x)) <= 1:
        return None
    return float(column), float(highest)


def _armpit_heights(
    cloth_mask: np.ndarray, body_left: float, body_right: float, top: int, body_top: int
) -> tuple[float, float]:
    """Heights of the two armpits: the deepest notch of the outline (convexity defect) near each body side.

    Where no notch is found (a sleeve laid flush against the body), the first row above the body that
    is clearly wider than it is used instead.
    """
    body_width = body_right - body_left
    contours, _ = cv2.findContours((cloth_mask > 0).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outline = max(contours, key=cv2.contourArea)
    try:
        defects = cv2.convexityDefects(outline, cv2.convexHull(outline, returnPoints=False))
    except cv2.error:  # a self-touching outline; fall back to the row scan
        defects = None
    notches = [] if defects is None else [outline[far][0] for _, _, far, _ in defects[:, 0]]
    depths = [] if defects is None else list(defects[:, 0, 3])
    widths = (cloth_mask[top:body_top] > 0).sum(axis=1)
    wide_rows = np.flatnonzero(widths > SLEEVE_WIDENING * body_width)
    scanned = float(top + wide_rows[-1]) if len(wide_rows) else float(body_top)

    heights = []
    for side_x in (body_left, body_right):
        near_side = [
            (depth, float(point[1]))
            for point, depth in zip(notches, depths, strict=True)
            if abs(point[0] - side_x) <= ARMPIT_SEARCH_WIDTH * body_width and top < point[1] <= body_top
        ]
        heights.append(max(near_side)[1] if near_side else scanned)
    return heights[0], heights[1]


def run_through(line: np.ndarray, column: int) -> tuple[int, int]:
    """First and last index of the filled run containing `column` (an empty run at an unfilled column)."""
    if not line[column]:
        return column, column - 1
    gaps_left = np.flatnonzero(~line[:column])
    gaps_right = np.flatnonzero(~line[column:])
    left = int(gaps_left[-1]) + 1 if len(gaps_left) else 0
    right = column + int(gaps_right[0]) - 1 if len(gaps_right) else len(line) - 1
    return left, right


def _first_filled_row(filled: np.ndarray, column: int, top: int, bottom: int) -> float:
    column = int(np.clip(column, 0, filled.shape[1] - 1))
    hits = np.flatnonzero(filled[top : bottom + 1, column])
    if len(hits) == 0:
        raise GarmentNotFoundError("The garment has a gap down its middle; use a photo of one garment laid flat.")
    return float(top + hits[0])


def _lowest_point(filled: np.ndarray, first_column: int, end_column: int) -> Point | None:
    """The lowest filled pixel within the columns [first_column, end_column); None if there is none."""
    columns = filled[:, max(0, first_column) : max(0, end_column)]
    rows_with_pixels = np.flatnonzero(columns.any(axis=1))
    if len(rows_with_pixels) == 0:
        return None
    lowest = int(rows_with_pixels[-1])
    return float(max(0, first_column) + np.flatnonzero(columns[lowest]).mean()), float(lowest)


def _extreme_point(rows: np.ndarray, edges: np.ndarray, *, outermost) -> Point:
    """The outermost edge point; where several rows reach it, their middle row."""
    extreme = outermost(edges)
    reaching = rows[np.abs(edges - extreme) <= 2]
    return float(extreme), float(np.mean(reaching))


# Bottoms: the waistband is the mask's top rows, measured this share of the garment's height down, and
# a crotch is the end of the filled run down the middle column when it ends above this share of the height.
WAISTBAND_ROWS = 0.03
CROTCH_MAX_SHARE = 0.92
# Dresses: the waist is the narrowest row between the widest row of the upper part (bust or sleeves, in
# the top DRESS_BUST_ROWS of the height) and DRESS_WAIST_LOWEST of the height.
DRESS_BUST_ROWS = 0.35
DRESS_WAIST_LOWEST = 0.6
# A bodice read as this much wider than its waist seam, with no sleeves found, has its sleeves joined to
# it all the way down (puff sleeves on a short bodice): the development set's other dresses and the demo
# dresses read 0.99-1.07 (the sleeveless strap dress 1.04), the floral puff-sleeve midi 1.77; a fitted
# sleeveless bodice flaring wider than its waist must not be taken for sleeves.
BODICE_WIDER_THAN_WAIST = 1.4
# Such a bodice's waist seam says nothing of its shoulders (smocking shows it unstretched, far narrower
# than the chest it fits): its shoulder seams end on the sleeve heads, where the outline has fallen this
# share of the waist seam's width below the neckline's highest point outwards from them (a shoulder seam
# slopes about 20 degrees over a third of the width), but no further out than halfway to the sleeve's end.
SHOULDER_SEAM_DROP = 0.1
SHOULDER_SEAM_MAX_SHARE = 0.5


@dataclass(frozen=True)
class BottomPoints:
    """Points on a flat, upright bottom's (trousers, shorts, skirt) cloth mask, in pixels of that mask.

    `crotch` is None for a skirt. For trousers and shorts the hem points are each leg's outer and inner
    corners; for a skirt `left_inner_hem` and `right_inner_hem` are both the hem's middle.
    """

    left_waist: Point
    right_waist: Point
    crotch: Point | None
    left_hem: Point
    left_inner_hem: Point
    right_inner_hem: Point
    right_hem: Point

    @property
    def waist_width(self) -> float:
        return self.right_waist[0] - self.left_waist[0]

    @property
    def waist_y(self) -> float:
        return (self.left_waist[1] + self.right_waist[1]) / 2

    @property
    def hem_y(self) -> float:
        return (self.left_hem[1] + self.right_hem[1]) / 2


@dataclass(frozen=True)
class DressPoints:
    """A dress as a top down to its waist (`top`, whose hem corners are the waist) and a skirt below."""

    top: TopPoints
    left_hem: Point
    right_hem: Point


# What `prepare_garment` reads from a garment, by its type: a top's, a bottom's or a dress's points.
GarmentPoints = TopPoints | BottomPoints | DressPoints


def bottom_points(cloth_mask: np.ndarray) -> BottomPoints:
    """Read waistband corners, crotch and hem (or leg end) corners from a flat bottom's cloth mask."""
    filled = cloth_mask > 0
    rows = np.flatnonzero(filled.any(axis=1))
    if np.count_nonzero(filled) < MIN_GARMENT_PIXELS or len(rows) < 8:
        raise GarmentNotFoundError("The garment image shows too little garment to fit it; use a larger product photo.")
    top, bottom = int(rows[0]), int(rows[-1])
    height = bottom - top + 1
    lefts, rights, _widths = _row_extents(filled, rows)
    waist_row = top + round(WAISTBAND_ROWS * height)
    centre_x = (lefts[waist_row] + rights[waist_row]) / 2
    _, run_bottom = run_through(filled[:, round(centre_x)], waist_row)
    crotch = None
    if run_bottom < top + CROTCH_MAX_SHARE * height:
        crotch = (float(centre_x), float(run_bottom))
    hem_row = bottom - round(WAISTBAND_ROWS * height)
    left_hem, right_hem = (float(lefts[hem_row]), float(hem_row)), (float(rights[hem_row]), float(hem_row))
    if crotch is None:
        left_inner = right_inner = (float(centre_x), float(hem_row))
    else:
        row = filled[hem_row]
        column = round(centre_x)
        inner_left = np.flatnonzero(row[:column])
        inner_right = np.flatnonzero(row[column:])
        if len(inner_left) == 0 or len(inner_right) == 0:
            raise GarmentNotFoundError("The garment's legs could not be read; use a photo of one garment laid flat.")
        left_inner = (float(inner_left[-1]), float(hem_row))
        right_inner = (float(column + inner_right[0]), float(hem_row))
    return BottomPoints(
        left_waist=(float(lefts[waist_row]), float(waist_row)),
        right_waist=(float(rights[waist_row]), float(waist_row)),
        crotch=crotch,
        left_hem=left_hem,
        left_inner_hem=left_inner,
        right_inner_hem=right_inner,
        right_hem=right_hem,
    )


def dress_points(cloth_mask: np.ndarray) -> DressPoints:
    """A dress's top points (read on the mask above its waist, the narrowest row of its upper part)
    and the corners of its hem."""
    filled = cloth_mask > 0
    rows = np.flatnonzero(filled.any(axis=1))
    if np.count_nonzero(filled) < MIN_GARMENT_PIXELS or len(rows) < 8:
        raise GarmentNotFoundError("The garment image shows too little garment to fit it; use a larger product photo.")
    top, bottom = int(rows[0]), int(rows[-1])
    height = bottom - top + 1
    lefts, rights, _widths = _row_extents(filled, rows)
    # The runs through the middle column, so long sleeves beside the body do not count as its width.
    hem_row = bottom - round(WAISTBAND_ROWS * height)
    centre = round((lefts[hem_row] + rights[hem_row]) / 2)
    band = np.arange(top, top + round(DRESS_WAIST_LOWEST * height))
    runs = np.array([run_through(filled[row], centre) for row in band], dtype=float)
    run_widths = runs[:, 1] - runs[:, 0]
    bust = int(np.argmax(run_widths[: round(DRESS_BUST_ROWS * height)]))
    below = np.where(run_widths[bust:] >= 0, run_widths[bust:], np.inf)
    # The lowest of the narrowest rows: the waist seam.
    narrowest = np.flatnonzero(below <= below.min() + 1)
    waist = int(band[bust + narrowest[-1]])
    bodice = cloth_mask.copy()
    bodice[waist + 1 :] = 0
    top_part = top_points(bodice)
    waist_left, waist_right = runs[bust + narrowest[-1]]
    bodice_width = top_part.right_armpit[0] - top_part.left_armpit[0]
    if top_part.left_sleeve_end is None and bodice_width > BODICE_WIDER_THAN_WAIST * (waist_right - waist_left):
        # The sleeves were read as body, so they would be drawn over the shoulders as a wide bodice: read
        # the bodice again as wide as its waist seam, which finds the sleeves beyond it.
        top_part = top_points(bodice, body_sides=(float(waist_left), float(waist_right)))
        top_part = _shoulders_on_sleeve_heads(filled, top_part, drop=SHOULDER_SEAM_DROP * (waist_right - waist_left))
    return DressPoints(
        top=top_part,
        left_hem=(float(lefts[hem_row]), float(hem_row)),
        right_hem=(float(rights[hem_row]), float(hem_row)),
    )


def _shoulders_on_sleeve_heads(filled: np.ndarray, top: TopPoints, *, drop: float) -> TopPoints:
    """`top` with each shoulder moved out along the outline to where it has fallen `drop` pixels below
    the highest point between there and the centre line, at most SHOULDER_SEAM_MAX_SHARE of the way to
    the sleeve's end. The garment's scale on the body is its shoulders' width: read at a narrow waist
    seam, it made a puff-sleeve dress a fifth too long."""
    if top.left_sleeve_end is None or top.right_sleeve_end is None:
        return top
    tops = np.where(filled.any(axis=0), filled.argmax(axis=0), filled.shape[0]).astype(float)
    centre = round(top.centre_x)
    shoulders = []
    for shoulder, sleeve_end, outwards in (
        (top.left_shoulder, top.left_sleeve_end, -1),
        (top.right_shoulder, top.right_sleeve_end, 1),
    ):
        limit = round(shoulder[0] + SHOULDER_SEAM_MAX_SHARE * (sleeve_end[0] - shoulder[0]))
        highest = float(tops[min(centre, round(shoulder[0])) : max(centre, round(shoulder[0])) + 1].min())
        column = round(shoulder[0])
        while column != limit and tops[column] < highest + drop:
            highest = min(highest, float(tops[column]))
            column += outwards
        shoulders.append((float(column), float(tops[column])))
    return dataclasses.replace(top, left_shoulder=shoulders[0], right_shoulder=shoulders[1])
