"""The weight-free try-on engine: classical segmentation and geometric garment fitting.

It runs when the neural checkpoints are not installed, so a fresh install can still show a shopper a
garment on their own photo. The method, stage by stage:

1. segmenting: a Haar-cascade face (Viola and Jones, 2001) seeds GrabCut (Rother et al., SIGGRAPH
   2004): face, neck and a narrow body column below it are (probable) foreground; beyond a body
   envelope drawn from the face (shoulders span about three face widths) is sure background. GrabCut
   runs on a crop scaled so the face is a few dozen pixels wide (and the crop at least 160), which
   keeps it fast on any photo size; the mask is cleaned with morphology, reduced to the person's
   component and scaled back up.
2. masking: the garment's cloth mask (`masks.cloth_mask`), less any background it closed over between a
   long sleeve and the body, and less a hood or high collar standing above the shoulders (worn, it hangs
   behind the head; a round neckline is cut in its place), then its landmarks (collar, neckline corners,
   shoulders, armpits, sleeve ends, hem corners).
3. warping: body landmarks from the face box and the mask's row widths, the arms' slant from the
   mask's outline; a thin-plate spline from body to garment points (`warp.py`) places the garment's
   body, keeping its own neckline and length; each sleeve is a rigid piece turned about its shoulder
   to hang along the arm.
4. rendering: garment colours sampled through the spline and the sleeves' maps, shaded with the
   person's folds (luminance against its heavy blur, prints left out) and light; the garment's own
   outline is clipped to the person, to the body envelope, to below the chin and away from skin at
   the torso's sides (hands, arms); holes are filled and only the outer edge is feathered.
5. compositing: alpha blend into the photo at full resolution, and the 192×256 person crop.

Pixels above the chin and outside the person mask are never changed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from tryon.pipeline.imageio import ImageSource, load_rgb
from tryon.pipeline.landmarks import (
    BodyLandmarks,
    FaceBox,
    FaceDetector,
    GarmentLandmarks,
    Point,
    body_landmarks,
    garment_landmarks,
    without_hood,
)
from tryon.pipeline.masks import cloth_mask, fill_holes, largest_component
from tryon.pipeline.result import (
    ENGINE_CLASSIC,
    STAGES,
    NoPersonFoundError,
    StageCallback,
    TryOnResult,
)
from tryon.pipeline.warp import ThinPlateSpline, dense_map, fit_thin_plate_spline

# Overall fraction done when each stage starts, from the stages' measured shares of a run on a phone photo
# (bench/classic_bench.py): segmenting 30%, masking 5%, warping 1%, rendering 39%, compositing 25%.
STAGE_START_FRACTIONS = dict(zip(STAGES, (0.0, 0.3, 0.35, 0.36, 0.75), strict=True))

# Segmentation: GrabCut runs on a crop around the person scaled so the face box is this wide.
SEGMENT_FACE_WIDTH = 28
# Crop around the face, in face widths: sideways from the face centre, above the face top, below it.
SEGMENT_HALF_WIDTH = 3.2
SEGMENT_ABOVE = 0.8
SEGMENT_BELOW = 7.0
# ...but never so small that the crop's long side has fewer pixels than this: a close-up's face is a
# large share of the photo, and at 28 pixels a face the background between arm and photo edge vanishes.
SEGMENT_MIN_LONG_SIDE = 160
GRABCUT_ITERATIONS = 2
# Beside the head (above the shoulders) nothing further than this from the face centre is the person.
HEAD_CLEARANCE = 1.8
# Below the shoulders nothing further than this from the face centre is the person (shoulders span about
# 2.6 to 3.4 face widths; this leaves room for arms held out a little and a leaning body). It is sure
# background for GrabCut, and the garment is never drawn beyond BODY_GARMENT_HALF_WIDTH.
BODY_ENVELOPE_HALF_WIDTH = 2.3
BODY_GARMENT_HALF_WIDTH = 2.0
# GrabCut starts from a body this wide either side (face widths): narrower than most shoulders, so the
# colours beside it (arms or background) are claimed by whichever model explains them better.
BODY_SEED_HALF_WIDTH = 1.0

# Garment images: colours are sampled from a copy no larger than this; the mask is found on a smaller one.
GARMENT_LONG_SIDE = 1024
GARMENT_MASK_LONG_SIDE = 384
BLEED_FRACTION = 0.01  # how far garment colours are spread past the outline, as a fraction of the image
BLEED_COARSE_LONG_SIDE = 128  # ...and, beyond that, from a copy this small, over this fraction of it
BLEED_COARSE_FRACTION = 0.08
SEAM_OVERLAP_FRACTION = 0.1  # of the garment's body width
# Mask pixels within this RGB distance of the product photo's background colour count as background.
BACKGROUND_GAP_TOLERANCE = 24.0
# A sleeve's axis hangs this many degrees further out than the outer edge of the arm it covers.
SLEEVE_BEYOND_ARM_DEGREES = 4.0
# Without neckline corners to measure from, the front of the neckline sits this far (face widths) below
# the base of the neck, so the wearer's neck and collar show through the opening.
COLLAR_BELOW_NECK = 0.3
NECKLINE_MAX_SHOULDER_FRACTION = 0.8
NECKLINE_BELOW_CHIN = 0.2
# How much the hem follows the garment's own width rather than the body's (0 = skin-tight).
HEM_LOOSENESS = 0.5

# Rendering: alpha, skin and shading are computed on a copy of the torso region no larger than this.
RENDER_LONG_SIDE = 512
# Garment colours are sampled at up to this many pixels across and then scaled to the photo's size.
DETAIL_LONG_SIDE = 1024
FEATHER_PHOTO_PIXELS = 1.5
CHIN_FADE_FACE_FRACTION = 0.06
# Shading: the torso's luminance against a heavy blur of it (folds, creases), times a softened share of
# the heavy blur against its median (light falling across the body); blurs in face widths.
SHADING_DETAIL_BLUR = 0.03
SHADING_BROAD_BLUR = 0.35
SHADING_DETAIL_STRENGTH = 0.8
SHADING_PRINT_LOG_RATIO = 0.35  # |log(luminance / heavy blur)| at which a contrast counts as a print, not a fold
SHADING_PRINT_MARGIN = 0.12  # face widths around a print that get no fold shading either
SHADING_BROAD_STRENGTH = 0.5
SHADING_RANGE = (0.6, 1.3)
SHADING_REDUCTION = 4
# Skin-coloured patches smaller than this (face widths squared) are specks, not hands or arms.
SKIN_MIN_AREA = 0.05
# Skin: pixels within this many standard deviations of the face's chroma, outside the torso's middle.
SKIN_CHROMA_TOLERANCE = 2.5
SKIN_MIN_CHROMA_SPREAD = 4.0
NEUTRAL_CHROMA = 128.0  # Cr and Cb of any grey
# Skin this close to the centre line (in face widths) is neck and chest, which the garment does cover.
SKIN_TORSO_CORE = 0.75

# When shrinking by a large factor, every `step`-th pixel is kept first, leaving this many per output pixel.
SHRINK_MIN_SAMPLES = 2

SMALL_SIZE = (192, 256)  # width, height of `TryOnResult.image_small`
SMALL_MARGIN = 0.04  # margin around the person in the small crop, as a fraction of the crop
CROP_HALF_WIDTH = 2.0  # the widest a person is taken to be either side of the face centre, in face widths


class ClassicTryOnEngine:
    """Try-on without model weights. Cheap to construct; the Haar cascades are loaded once per process.
    `run` may be called from several threads."""

    name = ENGINE_CLASSIC

    def __init__(self) -> None:
        self._faces = FaceDetector()

    def run(self, person: ImageSource, garment: ImageSource, on_stage: StageCallback | None = None) -> TryOnResult:
        """Put the garment on the person in the photo.

        `on_stage(stage, fraction_done)` hears each of STAGES as it starts, then the last one again with
        1.0. Raises NoPersonFoundError when no face or body is found, GarmentNotFoundError when the
        garment image shows no garment, InvalidImageError when an input cannot be decoded.
        """
        timings: dict[str, float] = {}
        clock = _StageClock(on_stage, timings)
        clock.start("segmenting")
        person_rgb = load_rgb(person)
        garment_rgb = load_rgb(garment)
        face = self._faces.detect(person_rgb)
        person_mask = segment_person(person_rgb, face)

        clock.start("masking")
        garment_colours, garment_alpha, garment_points = prepare_garment(garment_rgb)

        clock.start("warping")
        body = body_landmarks(face, person_mask)
        body_points, garment_targets = fit_points(garment_points, body)
        spline = fit_thin_plate_spline(body_points, garment_targets)
        torso_alpha, sleeves = place_sleeves(garment_points, garment_alpha, body)
        sleeve_corners = [_placed_corners(sleeve) for sleeve in sleeves]
        region = _render_region(np.vstack([body_points, *sleeve_corners]), body, person_rgb.shape)

        clock.start("rendering")
        layer = _render(
            person_rgb,
            person_mask,
            face=face,
            body=body,
            region=region,
            spline=spline,
            garment_colours=garment_colours,
            torso_alpha=torso_alpha,
            sleeves=sleeves,
        )

        clock.start("compositing")
        image, garment_mask = _composite(person_rgb, layer)
        small = person_crop(image, person_mask, face)
        clock.finish()
        return TryOnResult(
            image=Image.fromarray(image),
            image_small=Image.fromarray(small),
            engine=ENGINE_CLASSIC,
            timings=timings,
            person_mask=person_mask,
            garment_mask=garment_mask,
        )


class _StageClock:
    """Reports each stage to the callback as it starts and records how long each one took."""

    def __init__(self, on_stage: StageCallback | None, timings: dict[str, float]) -> None:
        self._on_stage = on_stage
        self._timings = timings
        self._current: str | None = None
        self._started = 0.0

    def start(self, stage: str) -> None:
        self._stop()
        self._current, self._started = stage, time.perf_counter()
        if self._on_stage is not None:
            self._on_stage(stage, STAGE_START_FRACTIONS[stage])

    def finish(self) -> None:
        last = self._current
        self._stop()
        if self._on_stage is not None and last is not None:
            self._on_stage(last, 1.0)

    def _stop(self) -> None:
        if self._current is not None:
            self._timings[self._current] = time.perf_counter() - self._started
            self._current = None


def segment_person(rgb: np.ndarray, face: FaceBox) -> np.ndarray:
    """Return the person's mask (uint8 H×W, 0/255) found by GrabCut seeded from the face box."""
    height, width = rgb.shape[:2]
    unit = face.width
    left = max(0, round(face.centre_x - SEGMENT_HALF_WIDTH * unit))
    right = min(width, round(face.centre_x + SEGMENT_HALF_WIDTH * unit))
    top = max(0, round(face.top - SEGMENT_ABOVE * unit))
    bottom = min(height, round(face.top + SEGMENT_BELOW * unit))
    factor = max(SEGMENT_FACE_WIDTH / unit, min(1.0, SEGMENT_MIN_LONG_SIDE / max(right - left, bottom - top)))
    crop = _resize(rgb[top:bottom, left:right], factor)
    local_face = FaceBox(
        (face.left - left) * factor, (face.top - top) * factor, face.width * factor, face.height * factor
    )
    seeds = _grabcut_seeds(
        crop.shape[:2],
        local_face,
        clipped_left=left == 0,
        clipped_right=right == width,
        clipped_top=top == 0,
    )
    background_model = np.zeros((1, 65), np.float64)
    foreground_model = np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(crop, seeds, None, background_model, foreground_model, GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_MASK)
    except cv2.error as exc:  # raised when one of the seed classes is empty (a degenerate, tiny crop)
        raise NoPersonFoundError() from exc
    small = np.where((seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD), 255, 0).astype(np.uint8)
    small = _clean_person_mask(small, local_face)

    # Scale back up through a slightly blurred copy so the outline is smooth rather than blocky.
    smooth = cv2.resize(
        cv2.GaussianBlur(small, (0, 0), 0.8), (right - left, bottom - top), interpolation=cv2.INTER_LINEAR
    )
    mask = np.zeros((height, width), np.uint8)
    mask[top:bottom, left:right] = cv2.threshold(smooth, 127, 255, cv2.THRESH_BINARY)[1]
    if not mask.any():
        raise NoPersonFoundError()
    return mask


def _grabcut_seeds(
    shape: tuple[int, int], face: FaceBox, *, clipped_left: bool, clipped_right: bool, clipped_top: bool
) -> np.ndarray:
    """GrabCut's initial labels on the crop: sure face, probable head and body, background elsewhere."""
    height, width = shape
    unit = face.width
    seeds = np.full(shape, cv2.GC_PR_BGD, np.uint8)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    from_centre = np.abs(xs - face.centre_x)
    shoulder_y = face.top + 1.3 * unit

    seeds[~_body_envelope(xs, ys, face, BODY_ENVELOPE_HALF_WIDTH)] = cv2.GC_BGD
    border = max(1, round(0.1 * unit))
    if not clipped_top:
        seeds[:border] = cv2.GC_BGD
    # A side of the crop that is inside the photo is far from the body; the photo's own edge may be shoulder.
    for clipped, columns in ((clipped_left, slice(0, border)), (clipped_right, slice(width - border, width))):
        if clipped:
            seeds[: round(shoulder_y), columns] = cv2.GC_BGD
        else:
            seeds[:, columns] = cv2.GC_BGD

    head = ((xs - face.centre_x) / (0.7 * unit)) ** 2 + ((ys - (face.top + 0.45 * unit)) / (0.95 * unit)) ** 2 <= 1
    seeds[head] = cv2.GC_PR_FGD
    # Body: a trapezoid widening from the neck to the shoulders, then straight down.
    body_half_width = np.interp(ys, [face.bottom, shoulder_y + 0.5 * unit], [0.35 * unit, BODY_SEED_HALF_WIDTH * unit])
    seeds[(ys >= face.bottom) & (from_centre <= body_half_width)] = cv2.GC_PR_FGD

    face_core = (
        (from_centre <= 0.25 * unit) & (ys >= face.top + 0.2 * face.height) & (ys <= face.bottom - 0.15 * face.height)
    )
    neck = (from_centre <= 0.15 * unit) & (ys > face.bottom) & (ys <= shoulder_y)
    torso_core = (from_centre <= 0.5 * unit) & (ys >= face.top + 1.8 * unit) & (ys <= face.top + 3.2 * unit)
    seeds[face_core | neck | torso_core] = cv2.GC_FGD
    return seeds


def _body_envelope(xs: np.ndarray, ys: np.ndarray, face: FaceBox, half_width: float) -> np.ndarray:
    """Where the person can be, from the face alone: within HEAD_CLEARANCE face widths of the face centre
    beside the head, widening over the shoulders to `half_width` face widths below them."""
    shoulder_y = face.top + 1.3 * face.width
    allowed = np.interp(ys, [shoulder_y, shoulder_y + face.width], [HEAD_CLEARANCE, max(HEAD_CLEARANCE, half_width)])
    return np.abs(xs - face.centre_x) <= allowed * face.width


def _clean_person_mask(mask: np.ndarray, face: FaceBox) -> np.ndarray:
    """Open away specks, close small gaps, keep the region holding the face and fill its holes."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    _, labels = cv2.connectedComponents(mask, connectivity=8)
    row = int(np.clip(round(face.top + face.height / 2), 0, mask.shape[0] - 1))
    column = int(np.clip(round(face.centre_x), 0, mask.shape[1] - 1))
    face_label = labels[row, column]
    mask = np.where(labels == face_label, 255, 0).astype(np.uint8) if face_label else largest_component(mask)
    return fill_holes(mask)


def prepare_garment(garment_rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, GarmentLandmarks]:
    """Return the garment's colours (≤ GARMENT_LONG_SIDE), its soft alpha (float32 0..1, same size) and
    its landmarks in those pixels. Raises GarmentNotFoundError when there is no garment to fit."""
    height, width = garment_rgb.shape[:2]
    colours = _resize(garment_rgb, min(1.0, GARMENT_LONG_SIDE / max(height, width)))
    mask_factor = min(1.0, GARMENT_MASK_LONG_SIDE / max(colours.shape[:2]))
    small_colours = _resize(colours, mask_factor)
    mask = _open_background_gaps(small_colours, cloth_mask(small_colours))
    # A hood or high collar above the shoulders hangs behind the head when worn: only the front is fitted.
    mask = without_hood(mask)
    landmarks = garment_landmarks(mask)
    alpha = cv2.resize(
        mask.astype(np.float32) / 255.0, (colours.shape[1], colours.shape[0]), interpolation=cv2.INTER_LINEAR
    )
    return _bleed_colours(colours, alpha), alpha, _scale_garment_landmarks(landmarks, 1 / mask_factor)


def _open_background_gaps(garment_rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The cloth mask without the background it closed over where a gap opens to the outside.

    The cloth mask closes narrow gaps, such as the one between a long sleeve and the body; the background
    in them would be drawn as white shards beside the wearer's hands. Background-coloured pixels of the
    mask that connect to the background outside it are taken out; enclosed ones (a white print) stay.
    """
    border = np.concatenate([garment_rgb[0], garment_rgb[-1], garment_rgb[:, 0], garment_rgb[:, -1]])
    background = np.median(border, axis=0).astype(np.float32)
    distance = np.linalg.norm(garment_rgb.astype(np.float32) - background, axis=2)
    open_space = ((distance <= BACKGROUND_GAP_TOLERANCE) | (mask == 0)).astype(np.uint8)
    _, labels = cv2.connectedComponents(open_space, connectivity=4)
    outside = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    outside = outside[outside > 0]
    return np.where(np.isin(labels, outside), 0, mask).astype(np.uint8)


def _bleed_colours(colours: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Replace the background just outside the garment with the garment's own nearby colours.

    Sampling at the garment's outline mixes in neighbouring pixels; without this the product photo's
    white background would show as a light seam around the garment on the body. The mask's outermost
    pixel ring is replaced too: it often still holds the background's colour.
    """
    core = cv2.erode((alpha >= 0.999).astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    alpha = core.astype(np.float32)
    sigma = max(1.0, BLEED_FRACTION * max(colours.shape[:2]))
    weight = cv2.GaussianBlur(alpha, (0, 0), sigma)
    spread = cv2.GaussianBlur(colours.astype(np.float32) * alpha[:, :, None], (0, 0), sigma)
    # Further out (the neck opening, which hole filling may reach) the colours of a coarse, wide spread.
    height, width = alpha.shape
    factor = min(1.0, BLEED_COARSE_LONG_SIDE / max(height, width))
    coarse_size = (max(1, round(width * factor)), max(1, round(height * factor)))
    coarse_sigma = max(1.0, BLEED_COARSE_FRACTION * max(coarse_size))
    coarse_alpha = cv2.resize(alpha, coarse_size, interpolation=cv2.INTER_AREA)
    coarse_weight = cv2.GaussianBlur(coarse_alpha, (0, 0), coarse_sigma)
    coarse_spread = cv2.GaussianBlur(
        cv2.resize(colours, coarse_size, interpolation=cv2.INTER_AREA).astype(np.float32) * coarse_alpha[:, :, None],
        (0, 0),
        coarse_sigma,
    )
    coarse = cv2.resize(
        coarse_spread / np.maximum(coarse_weight, 1e-3)[:, :, None], (width, height), interpolation=cv2.INTER_LINEAR
    )
    near = (weight > 0.05)[:, :, None]
    filled = np.where(near, spread / np.maximum(weight, 1e-3)[:, :, None], coarse)
    filled = np.clip(filled, 0, 255).astype(np.uint8)
    return np.where(core[:, :, None] > 0, colours, filled)


def _scale_garment_landmarks(points: GarmentLandmarks, factor: float) -> GarmentLandmarks:
    def scale(point):
        return None if point is None else (point[0] * factor, point[1] * factor)

    return GarmentLandmarks(**{name: scale(value) for name, value in vars(points).items()})


def fit_points(garment: GarmentLandmarks, body: BodyLandmarks) -> tuple[np.ndarray, np.ndarray]:
    """Matching points (body N×2, garment N×2) for the spline that puts the garment on the body.

    The spline places the garment's body; sleeves are placed apart (`place_sleeves`). The collar goes
    below the base of the neck, the neckline's corners beside the neck, the shoulders and armpits to
    the wearer's. Below the armpits the
    garment keeps its own length, scaled so its shoulders span the wearer's, while the body decides
    how wide the torso is at each height.
    """
    scale = body.shoulder_width / max(garment.shoulder_width, 1.0)
    garment_armpit_y = (garment.left_armpit[1] + garment.right_armpit[1]) / 2
    body_armpit_y = (body.left_chest[1] + body.right_chest[1]) / 2

    def body_y(garment_y: float) -> float:
        if garment_y > garment_armpit_y:
            return body_armpit_y + scale * (garment_y - garment_armpit_y)
        return float(np.interp(garment_y, [garment.collar[1], garment_armpit_y], [body.neck[1], body_armpit_y]))

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
        y = shoulder[1] - scale * (garment_shoulder[1] - corner[1])
        neckline_pairs.append((corner, (x, max(y, body.chin_y + NECKLINE_BELOW_CHIN * body.unit))))
        # The neckline's front keeps its own depth below the corners (as placed before any clamp), so the
        # chest is neither dragged down nor pushed up against the shoulders.
        collar_heights.append(y + scale * (garment.collar[1] - corner[1]))
    if len(collar_heights) == 2:
        collar_y = max(float(np.mean(collar_heights)), body.neck[1])
    else:
        collar_y = body.neck[1] + COLLAR_BELOW_NECK * body.unit
    pairs = [
        (garment.collar, (body.neck[0], collar_y)),
        (garment.left_shoulder, body.left_shoulder),
        (garment.right_shoulder, body.right_shoulder),
        ((garment_centre, garment.left_armpit[1]), (body.centre_x, body_y(garment.left_armpit[1]))),
        ((garment_centre, hem_y), (body.centre_x, body_y(hem_y))),
        *neckline_pairs,
    ]
    # Halfway down each armhole the body of the garment is held in place, so that turning a sleeve
    # does not drag the chest's stripes with it.
    for garment_armpit, garment_shoulder, body_shoulder, body_chest in (
        (garment.left_armpit, garment.left_shoulder, body.left_shoulder, body.left_chest),
        (garment.right_armpit, garment.right_shoulder, body.right_shoulder, body.right_chest),
    ):
        garment_point = (garment_armpit[0], (garment_shoulder[1] + garment_armpit[1]) / 2)
        body_point = ((body_shoulder[0] + body_chest[0]) / 2, (body_shoulder[1] + body_chest[1]) / 2)
        pairs.append((garment_point, body_point))
    pairs += side_points(garment.left_armpit, garment.right_armpit, 0.0)
    pairs += side_points(middle_left, middle_right, HEM_LOOSENESS / 2)
    pairs += side_points(garment.left_hem, garment.right_hem, HEM_LOOSENESS)
    # Two garment points sent to one body point would make the spline singular; the first one wins.
    kept: list[tuple[Point, Point]] = []
    for garment_point, body_point in pairs:
        if all(np.hypot(body_point[0] - other[0], body_point[1] - other[1]) >= 0.5 for _, other in kept):
            kept.append((garment_point, body_point))
    garment_points = np.array([pair[0] for pair in kept], dtype=np.float64)
    body_points = np.array([pair[1] for pair in kept], dtype=np.float64)
    return body_points, garment_points


@dataclass(frozen=True)
class SleevePlacement:
    """One sleeve as a rigid piece on the photo: `garment_to_photo` (2×3 affine, garment pixels to photo
    pixels) and `alpha`, the garment's alpha with everything but this sleeve cleared."""

    garment_to_photo: np.ndarray
    alpha: np.ndarray

    @property
    def garment_corners(self) -> np.ndarray:
        """The corners (4×2, garment pixels) of the box around the sleeve."""
        left, top, width, height = cv2.boundingRect((self.alpha > 0).astype(np.uint8))
        return np.array([[left, top], [left + width, top], [left, top + height], [left + width, top + height]], float)


def place_sleeves(
    garment: GarmentLandmarks, garment_alpha: np.ndarray, body: BodyLandmarks
) -> tuple[np.ndarray, list[SleevePlacement]]:
    """Split the garment at its armholes: the body's alpha (for the spline) and each sleeve, turned about
    its shoulder so it hangs along the wearer's arm.

    A sleeve is a rigid piece: bending it with the body's spline would drag the chest's stripes after it.
    """
    columns = np.arange(garment_alpha.shape[1], dtype=np.float32)[None, :]
    left_seam, right_seam = garment.left_armpit[0], garment.right_armpit[0]
    # The body reaches a little past its seams, under the sleeves, so no gap opens where a turned sleeve
    # leaves the side of the body.
    overlap = SEAM_OVERLAP_FRACTION * (right_seam - left_seam)
    torso_alpha = garment_alpha * ((columns >= left_seam - overlap) & (columns <= right_seam + overlap))
    scale = body.shoulder_width / max(garment.shoulder_width, 1.0)
    sleeves = []
    for sleeve_points, garment_shoulder, body_shoulder, arm_angle, outwards, side in (
        (
            (garment.left_sleeve_end, garment.left_sleeve_bottom),
            garment.left_shoulder,
            body.left_shoulder,
            body.left_arm_angle,
            -1,
            columns < left_seam,
        ),
        (
            (garment.right_sleeve_end, garment.right_sleeve_bottom),
            garment.right_shoulder,
            body.right_shoulder,
            body.right_arm_angle,
            1,
            columns > right_seam,
        ),
    ):
        present = [point for point in sleeve_points if point is not None]
        if not present:
            continue
        hang = arm_angle + SLEEVE_BEYOND_ARM_DEGREES
        matrix = _sleeve_transform(garment_shoulder, present, body_shoulder, scale=scale, hang=hang, outwards=outwards)
        sleeves.append(SleevePlacement(matrix, (garment_alpha * side).astype(np.float32)))
    return torso_alpha.astype(np.float32), sleeves


def _sleeve_transform(
    garment_shoulder: Point,
    sleeve_points: list[Point],
    body_shoulder: Point,
    *,
    scale: float,
    hang: float,
    outwards: int,
) -> np.ndarray:
    """The 2×3 affine map that turns a flat-laid sleeve about its shoulder, scaled to the body, so that its
    axis (shoulder to the middle of its end points) hangs `hang` degrees out from vertical."""
    offsets = np.array(sleeve_points, dtype=np.float64) - np.array(garment_shoulder, dtype=np.float64)
    axis = offsets.mean(axis=0)
    current = np.arctan2(axis[1], axis[0] * outwards)  # below the horizontal, measured outwards
    wanted = np.radians(90.0 - hang)
    turn = (wanted - current) * outwards
    linear = scale * np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    shift = np.array(body_shoulder, dtype=np.float64) - linear @ np.array(garment_shoulder, dtype=np.float64)
    return np.column_stack([linear, shift])


def _placed_corners(sleeve: SleevePlacement) -> np.ndarray:
    """The photo positions of the corners of the sleeve's bounding box (4×2)."""
    return _apply_affine(sleeve.garment_to_photo, sleeve.garment_corners)


def _apply_affine(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


def _to_rendering(matrix: np.ndarray, origin: tuple[int, int], scale: float) -> np.ndarray:
    """Compose a garment-to-photo affine map with the photo-to-rendering one (see `dense_map`)."""
    rendered = scale * matrix
    rendered[:, 2] = scale * (matrix[:, 2] - np.array(origin, dtype=np.float64)) + 0.5 * scale - 0.5
    return rendered


def _warp_sleeve(image: np.ndarray, sleeve: SleevePlacement, origin, size, scale, border: int) -> np.ndarray:
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
    matrix = _to_rendering(sleeve.garment_to_photo, origin, scale)
    corners = _apply_affine(matrix, sleeve.garment_corners)
    height, width = colours.shape[:2]
    left, top = max(0, int(np.floor(corners[:, 0].min())) - 1), max(0, int(np.floor(corners[:, 1].min())) - 1)
    right = min(width, int(np.ceil(corners[:, 0].max())) + 2)
    bottom = min(height, int(np.ceil(corners[:, 1].max())) + 2)
    if right <= left or bottom <= top:
        return
    matrix[:, 2] -= (left, top)
    size = (right - left, bottom - top)
    alpha = cv2.warpAffine(sleeve.alpha, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    sleeve_colours = cv2.warpAffine(
        garment_colours, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    under = colours[top:bottom, left:right]
    colours[top:bottom, left:right] = cv2.blendLinear(sleeve_colours, under, alpha, 1.0 - alpha)


def _interpolate_x(upper: Point, lower: Point, y: float) -> float:
    if lower[1] == upper[1]:
        return upper[0]
    return upper[0] + (lower[0] - upper[0]) * (y - upper[1]) / (lower[1] - upper[1])


def _render_region(body_points: np.ndarray, body: BodyLandmarks, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The photo region (left, top, right, bottom) the garment may cover: around the fitted points,
    never above the chin. Raises NoPersonFoundError when the body lies outside the photo."""
    height, width = shape[:2]
    margin = 0.3 * body.unit
    left = max(0, int(np.floor(body_points[:, 0].min() - margin)))
    right = min(width, int(np.ceil(body_points[:, 0].max() + margin)))
    top = max(0, int(np.ceil(body.chin_y)))
    bottom = min(height, int(np.ceil(body_points[:, 1].max() + margin)))
    if right - left < 2 or bottom - top < 2:
        raise NoPersonFoundError(
            "Your upper body is not in the photo. Use a photo that shows you from the head to the waist."
        )
    return left, top, right, bottom


@dataclass(frozen=True)
class _GarmentLayer:
    """The garment as placed on the photo: colours and alpha (uint8, 255 = opaque) of the box at `origin`."""

    colours: np.ndarray
    alpha: np.ndarray
    origin: tuple[int, int]


def _render(
    person_rgb: np.ndarray,
    person_mask: np.ndarray,
    *,
    face: FaceBox,
    body: BodyLandmarks,
    region: tuple[int, int, int, int],
    spline: ThinPlateSpline,
    garment_colours: np.ndarray,
    torso_alpha: np.ndarray,
    sleeves: list[SleevePlacement],
) -> _GarmentLayer | None:
    """The garment's body drawn through the spline and its sleeves over `region`, or None where nothing
    of it lands on the person."""
    left, top, right, bottom = region
    factor = min(1.0, RENDER_LONG_SIDE / max(right - left, bottom - top))
    small_size = (max(2, round((right - left) * factor)), max(2, round((bottom - top) * factor)))
    map_x, map_y = dense_map(spline, origin=(left, top), size=small_size, scale=factor)
    alpha = cv2.remap(torso_alpha, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    for sleeve in sleeves:
        sleeve_alpha = _warp_sleeve(sleeve.alpha, sleeve, (left, top), small_size, factor, cv2.BORDER_CONSTANT)
        alpha = np.maximum(alpha, sleeve_alpha)

    person_crop_rgb = shrink(person_rgb[top:bottom, left:right], small_size)
    on_person = shrink(person_mask[top:bottom, left:right], small_size) >= 128
    keep_out = _side_skin(person_crop_rgb, person_rgb, face, body, origin=(left, top), factor=factor)
    # The garment fades in just below the chin instead of ending in a hard horizontal line.
    rows_below_chin = (np.arange(small_size[1]) + 0.5) / factor - 0.5 + top - body.chin_y
    chin_ramp = np.clip(rows_below_chin / (CHIN_FADE_FACE_FRACTION * body.unit), 0.0, 1.0).astype(np.float32)
    columns = (np.arange(small_size[0]) + 0.5) / factor - 0.5 + left
    in_envelope = np.abs(columns - face.centre_x) <= BODY_GARMENT_HALF_WIDTH * body.unit
    allowed = on_person & ~keep_out & in_envelope[None, :]
    alpha = _fill_garment_holes(alpha * allowed * chin_ramp[:, None], allowed)
    # Only the outline is softened, by a couple of the photo's pixels; inside, the garment stays sharp.
    # A hand in front of the garment keeps a sharp edge, so it is cut again after feathering.
    sigma = max(0.5, FEATHER_PHOTO_PIXELS * factor)
    alpha = np.minimum(alpha, cv2.GaussianBlur(alpha, (0, 0), sigma))
    # Closing seals pixel-wide notches that scaling up to the photo would turn into specks of the photo.
    alpha = cv2.morphologyEx(alpha, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))) * allowed
    if not alpha.any():
        return None
    shading = _torso_shading(person_crop_rgb, alpha, body.unit * factor)

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
    detail_shading = _resample(shading, (factor, (left, top)), (detail, full_origin), detail_size)
    shaded = cv2.multiply(colours, cv2.merge([detail_shading] * 3), dtype=cv2.CV_8U)
    if detail < 1.0:
        shaded = cv2.resize(shaded, full_size, interpolation=cv2.INTER_LINEAR)
    alpha_bytes = np.clip(alpha * 255.0 + 0.5, 0, 255).astype(np.uint8)
    full_alpha = _resample(alpha_bytes, (factor, (left, top)), (1.0, full_origin), full_size)
    # Nothing outside the person: the resampled alpha is cut by the full-resolution mask (0 or 255).
    full_alpha = cv2.bitwise_and(full_alpha, person_mask[full_top:full_bottom, full_left:full_right])
    return _GarmentLayer(shaded, full_alpha, full_origin)


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


def _side_skin(
    crop_rgb: np.ndarray,
    person_rgb: np.ndarray,
    face: FaceBox,
    body: BodyLandmarks,
    *,
    origin: tuple[int, int],
    factor: float,
) -> np.ndarray:
    """Skin-coloured pixels (like the face's chroma) away from the torso's middle: hands and arms."""
    core = face_core_pixels(person_rgb, face)
    if core.size == 0:
        return np.zeros(crop_rgb.shape[:2], bool)
    face_chroma = cv2.cvtColor(core.reshape(-1, 1, 3), cv2.COLOR_RGB2YCrCb).reshape(-1, 3)[:, 1:].astype(np.float32)
    mean = face_chroma.mean(axis=0)
    if np.abs(mean - NEUTRAL_CHROMA).max() < SKIN_MIN_CHROMA_SPREAD:
        # A black-and-white photo (or a grey face): colour cannot tell skin from clothes.
        return np.zeros(crop_rgb.shape[:2], bool)
    spread = np.maximum(face_chroma.std(axis=0), SKIN_MIN_CHROMA_SPREAD)
    chroma = cv2.cvtColor(crop_rgb, cv2.COLOR_RGB2YCrCb)[:, :, 1:].astype(np.float32)
    distance = np.sqrt((((chroma - mean) / spread) ** 2).sum(axis=2))
    skin = (distance <= SKIN_CHROMA_TOLERANCE).astype(np.uint8)
    skin = cv2.morphologyEx(skin, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    # Skin-coloured specks (a badge, a reflection) are not hands: only sizeable patches keep the garment out.
    _, labels, stats, _ = cv2.connectedComponentsWithStats(skin, connectivity=8)
    large = stats[:, cv2.CC_STAT_AREA] >= SKIN_MIN_AREA * (body.unit * factor) ** 2
    large[0] = False
    skin = large[labels]

    columns = (np.arange(crop_rgb.shape[1]) + 0.5) / factor - 0.5 + origin[0]
    at_sides = np.abs(columns - body.centre_x) > SKIN_TORSO_CORE * body.unit
    return skin & at_sides[None, :]


def face_core_pixels(person_rgb: np.ndarray, face: FaceBox) -> np.ndarray:
    """The central part of the face box (cheeks, nose), where nearly every pixel is skin."""
    left = round(face.left + 0.3 * face.width)
    right = round(face.left + 0.7 * face.width)
    top = round(face.top + 0.45 * face.height)
    bottom = round(face.top + 0.75 * face.height)
    step = max(1, (right - left) // 24)
    return np.ascontiguousarray(person_rgb[max(0, top) : bottom : step, max(0, left) : right : step])


def _torso_shading(crop_rgb: np.ndarray, alpha: np.ndarray, unit: float) -> np.ndarray:
    """Multipliers for the garment's colours from the person's luminance (`unit`: face width in crop pixels).

    Folds and creases: the luminance against its heavy blur. Light across the body: the heavy blur
    against its median under the garment, softened. Clamped to SHADING_RANGE so a print or a badge on
    the person's own clothes does not show through as a ghost.
    """
    luminance = cv2.cvtColor(crop_rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) + 1.0
    detail = cv2.GaussianBlur(luminance, (0, 0), max(0.5, SHADING_DETAIL_BLUR * unit))
    # The wide blur is done on a copy a few times smaller; the result is smooth, so nothing is lost.
    sigma = SHADING_BROAD_BLUR * unit
    reduction = max(1, min(SHADING_REDUCTION, int(sigma / 2)))
    height, width = luminance.shape
    reduced = shrink(luminance, (max(1, width // reduction), max(1, height // reduction)))
    broad = cv2.resize(
        cv2.GaussianBlur(reduced, (0, 0), max(0.5, sigma / reduction)), (width, height), interpolation=cv2.INTER_LINEAR
    )
    covered = broad[alpha > 0.5]
    reference = float(np.median(covered)) if covered.size else float(np.median(broad))
    light = 1.0 + SHADING_BROAD_STRENGTH * (broad / reference - 1.0)
    # A fold darkens or lightens cloth by a modest factor; a far larger contrast is a print, badge or collar
    # on the person's own clothes, which fades out of the shading instead of showing through as a ghost.
    log_ratio = np.log(detail / broad)
    prints = (np.abs(log_ratio) > SHADING_PRINT_LOG_RATIO).astype(np.uint8)
    # Near a print there is no fold shading either (a square dilation: separable, so cheap), faded in.
    reach = 2 * max(1, round(SHADING_PRINT_MARGIN * unit)) + 1
    prints = cv2.dilate(prints, cv2.getStructuringElement(cv2.MORPH_RECT, (reach, reach)))
    fold_likeness = 1.0 - cv2.blur(prints.astype(np.float32), (reach, reach))
    folds = np.exp(SHADING_DETAIL_STRENGTH * fold_likeness * log_ratio)
    return np.clip(light * folds, *SHADING_RANGE).astype(np.float32)


def _fill_garment_holes(alpha: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Close the holes inside the garment (gaps in the product photo's mask, resampling specks) so no dots
    of the photo show through; what is not `allowed` (a hand in front, off the person) stays open."""
    garment = (alpha >= 0.5).astype(np.uint8)
    count, labels = cv2.connectedComponents(1 - garment, connectivity=4)
    if count <= 1:
        return alpha
    enclosed = np.ones(count, bool)
    enclosed[0] = False  # label 0 is the garment itself
    enclosed[np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))] = False
    return np.where(enclosed[labels] & allowed, 1.0, alpha).astype(np.float32)


def _composite(person_rgb: np.ndarray, layer: _GarmentLayer | None) -> tuple[np.ndarray, np.ndarray]:
    """Blend the garment layer into a copy of the photo; return it with the garment's placed mask."""
    image = person_rgb.copy()
    garment_mask = np.zeros(person_rgb.shape[:2], np.uint8)
    if layer is None:
        return image, garment_mask
    left, top = layer.origin
    height, width = layer.alpha.shape
    target = image[top : top + height, left : left + width]
    # In bytes: garment·α/255 + photo·(255−α)/255. Where α is 0 the photo's pixel comes back exactly.
    alpha = cv2.merge([layer.alpha] * 3)
    garment_part = cv2.multiply(layer.colours, alpha, scale=1 / 255)
    photo_part = cv2.multiply(target, cv2.bitwise_not(alpha), scale=1 / 255)
    cv2.add(garment_part, photo_part, dst=garment_part)
    target[...] = garment_part
    garment_mask[top : top + height, left : left + width] = cv2.compare(layer.alpha, 128, cv2.CMP_GE)
    return image, garment_mask


def person_crop(image: np.ndarray, person_mask: np.ndarray, face: FaceBox) -> np.ndarray:
    """The 192×256 picture: a 3:4 crop around the person, padded with white where it leaves the photo.

    Sideways the person is taken to end CROP_HALF_WIDTH face widths from the face, so whatever the
    mask also caught beside them (a chair, someone else) does not shrink them in the picture.
    """
    person_left, person_top, person_width, person_height = cv2.boundingRect(person_mask)
    person_right = min(person_left + person_width, face.centre_x + CROP_HALF_WIDTH * face.width)
    person_left = max(person_left, face.centre_x - CROP_HALF_WIDTH * face.width)
    person_width = max(1.0, person_right - person_left)
    target_width, target_height = SMALL_SIZE
    box_width = person_width * (1 + 2 * SMALL_MARGIN)
    box_height = person_height * (1 + 2 * SMALL_MARGIN)
    box_width = max(box_width, box_height * target_width / target_height)
    box_height = box_width * target_height / target_width
    crop_left = person_left + (person_width - box_width) / 2
    crop_top = person_top + (person_height - box_height) / 2
    factor = target_width / box_width

    # The part of the crop inside the photo is resized into its place on a white canvas.
    height, width = image.shape[:2]
    inside_left, inside_top = max(0, round(crop_left)), max(0, round(crop_top))
    inside_right = min(width, round(crop_left + box_width))
    inside_bottom = min(height, round(crop_top + box_height))
    canvas = np.full((target_height, target_width, 3), 255, np.uint8)
    place_left = min(target_width - 1, round((inside_left - crop_left) * factor))
    place_top = min(target_height - 1, round((inside_top - crop_top) * factor))
    place_width = max(1, min(target_width - place_left, round((inside_right - inside_left) * factor)))
    place_height = max(1, min(target_height - place_top, round((inside_bottom - inside_top) * factor)))
    inside = image[inside_top:inside_bottom, inside_left:inside_right]
    placed_size = (place_width, place_height)
    placed = shrink(inside, placed_size) if factor < 1 else cv2.resize(inside, placed_size)
    canvas[place_top : place_top + place_height, place_left : place_left + place_width] = placed
    return canvas


def _resize(image: np.ndarray, factor: float) -> np.ndarray:
    height, width = image.shape[:2]
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    if size == (width, height):
        return image
    if factor < 1:
        return shrink(image, size)
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)


def shrink(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-averaged downscale to `size` (width, height); from very large photos, a strided view is taken
    first (still several source pixels per output pixel), so a 12-megapixel photo costs milliseconds."""
    height, width = image.shape[:2]
    step = int(min(width / size[0], height / size[1]) / SHRINK_MIN_SAMPLES)
    if step >= 2:
        image = image[::step, ::step]
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
