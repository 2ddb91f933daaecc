"""The person's own garment taken away where the new one does not reach (part of stage 4, rendering).

A shorter, narrower or strappy garment drawn over the photo would leave the person's own clothes
showing past it: the old sleeves beside a short sleeve, the old shorts below shorter ones, a T-shirt's
neckline beside a cami. There is no human parser, so the old garment is found as a colour: its colours
are sampled where it surely is (the middle of the chest for a top, the thighs just below the hips for
a bottom; Swain and Ballard, "Color indexing", IJCV 1991, histogram back-projection), the skin's from
the face, or the hands when a phone hides it (`render.skin_reference_pixels`), and within the zone a
garment of this type can occupy (torso and arms for a top, hips and legs for a bottom) a pixel whose
colour is far likelier the old garment's than skin is the old garment, when it joins the sampled region.

What replaces it is what would be there: inside the body's own shape (arms and legs as capsules of
human proportions along the keypoints, the torso between its sides) the person's skin tone, rounded
like a lit cylinder across each part; outside it (a wide skirt or sleeve) the
photo's background, mirrored in across each row from both sides of the person (rooms are mostly
horizontal lines behind a standing person: a skirting board, a window bar, the floor's edge; a
fast-marching inpainting smeared them into radial streaks over a skirt's width, and a blend from one
side's colour to the other's into fog). Face, hair above the
neck, hands and everything off the person mask are never changed (so a thin blended outline of a wide
old garment can stay just outside the mask).
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from tryon.pipeline.classic.body_points import (
    ARM_RADII,
    LEG_RADII,
    BodyPoints,
    limb_depth,
    limb_distance,
    segment_distance,
)
from tryon.pipeline.classic.render import HAND_SAMPLE_SHARE, pixels_around, skin_reference_pixels
from tryon.pipeline.contract import FULL_BODY, LOWER_BODY, UPPER_BODY
from tryon.pipeline.imageops import shrink, to_photo

# Masks and colours are worked out on a copy of the person's box no larger than this, widened on each
# side by this many face widths (the old garment the mask missed, and the background beside it).
WORK_LONG_SIDE = 384
BOX_MARGIN = 0.6
# Lab histogram bins (lightness, a, b) for the colour models.
HISTOGRAM_BINS = (8, 48, 48)
# A pixel is the old garment when its colour holds at least this share of the old garment's samples (per
# bin, smoothed) and that share is this many times the skin's.
OLD_MIN_SHARE = 0.0005
OLD_OVER_SKIN = 2.0
NECK_HALF_WIDTH = 0.4  # a neck is about 0.8 face widths across
# An old top's collar rises round the neck above the neck point: it is taken within this far (face widths)
# above that point, between the shoulders, but under the face no nearer the chin than this; the body lies
# behind it (the neck, the tops of the shoulders).
COLLAR_ABOVE_NECK = 0.3
COLLAR_BELOW_CHIN = 0.1
# The chest bared by a lower neckline is the neck's own skin carried down: its colour in each column is read
# over this height (face widths) of visible neck just above where the old top was, and fades into the
# torso's rounded tone over this distance below; the torso's tone is the visible neck's and chest's (down to
# this far below the neck point), softened into the arms' over this width where they meet.
NECK_SAMPLE_HEIGHT = 0.15
NECK_CONTINUATION = 0.6
NECK_SKIN_BELOW = 0.5
TORSO_TONE_SOFTENING = 0.1
NECK_COLUMN_SOFTENING = 0.08  # face widths across which the carried-down columns are smoothed
# The zone of a bottom starts this far above the waistband (shares of the shoulder-to-hip length).
BOTTOM_ABOVE_WAISTBAND = 0.0
# Each foot (and shoe) is kept: within this radius of a line this long straight down from the ankle
# (face widths; a shoe seen from the front is about 0.7 wide and reaches 0.6 below the ankle joint).
FOOT_RADIUS = 0.45
FOOT_LENGTH = 0.6
# A hem over the feet hangs as low as it does beside them, read within this far (face widths) past a foot.
HEM_BESIDE_FEET = 0.5
# ...and, draped over them, down to this much lower (face widths) in front of them.
HEM_DRAPE = 0.35
# The shoes' colours are sampled this high (face widths) above the soles; over the feet the old
# garment is taken within this far (face widths) of its colours that hold less than this share of the
# shoes' samples (a dark shoe's shadows pass for black trousers; white dots on a black skirt do not).
SOLE_SAMPLE_HEIGHT = 0.2
HEM_PATTERN_REACH = 0.1
SHOE_COLOUR_SHARE = 0.002
# Arms anywhere are part of a top's zone, this wide (face widths) around their line.
ARM_ZONE_RADIUS = 0.7
ARM_BESIDE_HIPS_RADIUS = 0.3  # below the waistband, only the arm itself: trousers lie around it
# The old bottom is sampled on the thighs down to this share of the thigh below the hips.
THIGH_SAMPLE_SHARE = 0.4
THIGH_SAMPLE_RADIUS = 0.3  # face widths around each leg's line
SHIN_SAMPLE_SHARES = (0.2, 0.7)  # ...and on the shins, between these shares of the way from knee to ankle
# where their chroma (Lab a, b) is further than this from the skin's: a bare shin's is near the face's.
BARE_SKIN_CHROMA_DISTANCE = 10.0
# The old top is sampled on the middle of the torso, this share of its width, from the armpits to the waist.
CHEST_SAMPLE_WIDTH = 0.6
# Bare skin's lightness is this share of the face's (arms and legs are seldom lit as brightly as the
# face turned to the camera), rounded like a cylinder lit from the front: at an arm's, leg's or the
# torso's edge it falls to ROUNDING_EDGE_LIGHTNESS of its middle's (Lambert's cosine law with ambient
# light). The old garment's own light is not used: its print, collar and colour blocks made blotches.
SKIN_LIGHTNESS_SHARE = 0.92
ROUNDING_EDGE_LIGHTNESS = 0.72
# The skin's outline against the background continued behind it is softened over this many working pixels.
SKIN_OUTLINE_FEATHER = 1.0
# The person's outline is a blend with the background: this many working pixels of it are not sampled.
PLATE_MARGIN_PIXELS = 3
PLATE_ROW_CONTEXT = 3  # working pixels beside the person averaged for each row's end colours
# The background mirrored in from both sides is cross-faded over this share of the hidden run's width
# (at least this many working pixels) around its middle.
PLATE_SEAM_SHARE = 0.3
PLATE_SEAM_PIXELS = 4
EDGE_PIXELS = 2  # the old garment's outline, on the working copy, goes with it
# The old garment is looked for up to this far (face widths) off the person mask, where its colour is at
# least this many times likelier the old garment's than the background's, learnt from the pixels off the
# person further than this (face widths) from it.
OFF_MASK_REACH = 0.5
OLD_OVER_BACKGROUND = 4.0
# Off the mask, a colour holding at least this share of those background samples, and a larger share of
# them than of the old garment's, is the background's own.
BACKGROUND_COLOUR_SHARE = 0.002
OFF_MASK_BACKGROUND_FROM = 0.1
# Around a hand disc's centre, `render.HAND_SAMPLE_SHARE` of its radius is sampled for skin, and squares
# of this half-width (face widths) at these shares of each forearm and shin; each pixel where within this
# many standard deviations of the face's chroma.
LOWER_LIMB_SAMPLES = (0.3, 0.5, 0.7, 0.9)
LOWER_LIMB_SAMPLE_RADIUS = 0.08
SKIN_SAMPLE_TOLERANCE = 2.0
FEATHER_PIXELS = 1.5  # on the working copy
MIN_SAMPLES = 30


class ClearedPhoto(NamedTuple):
    """The photo with the old garment taken away, where it was taken (uint8, 255 there; None where
    nothing was): no hand is made of those pixels; and the person mask grown by the parts of the old
    garment it missed (uint8 0 or 255): every changed pixel lies on it."""

    image: np.ndarray
    old_garment: np.ndarray | None
    person_mask: np.ndarray


def clear_old_garment(
    person_rgb: np.ndarray,
    person_mask: np.ndarray,
    *,
    body: BodyPoints,
    garment_type: str,
    hands: list[tuple[float, float, float]],
) -> ClearedPhoto:
    """A copy of the photo with the person's own garment of `garment_type`'s zone replaced by their
    skin (inside the body's shape) or the background (outside it); the photo itself where the old
    garment cannot be told from skin (no colourful face to learn the skin from) or is not found."""
    box = _person_box(person_mask, body)
    if box is None:
        return ClearedPhoto(person_rgb, None, person_mask)
    left, top, right, bottom = box
    factor = min(1.0, WORK_LONG_SIDE / max(right - left, bottom - top))
    size = (max(2, round((right - left) * factor)), max(2, round((bottom - top) * factor)))
    crop = person_rgb[top:bottom, left:right]
    small = shrink(crop, size) if factor < 1 else crop
    mask_crop = person_mask[top:bottom, left:right]
    on_person = (shrink(mask_crop, size) if factor < 1 else mask_crop) >= 128
    xs = to_photo(np.arange(size[0]), offset=left, factor=factor)
    ys = to_photo(np.arange(size[1]), offset=top, factor=factor)
    grid_x, grid_y = np.meshgrid(xs, ys)

    skin_lab, bare_limbs_lab = _skin_samples(person_rgb, body, hands)
    if len(skin_lab) < MIN_SAMPLES:
        return ClearedPhoto(person_rgb, None, person_mask)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB)
    # The head and hair, but for the collar of the old top round the neck.
    protected = (grid_y < body.neck[1]) & ~_collar(body, grid_x, grid_y)
    in_hands = _hand_area(hands, grid_x, grid_y)
    heels = _heels(body, on_person, grid_x, grid_y)
    zone = _zone(body, garment_type, grid_x, grid_y, heels) & ~protected
    # The body model's mask misses loose, pale or see-through parts of clothes (a bell sleeve's flare, a
    # chiffon hem) and the blended outline of a wide garment: just off it, a pixel far likelier the old
    # garment's colour than the background's around the person is the old garment too.
    off_person = cv2.distanceTransform((~on_person).astype(np.uint8), cv2.DIST_L2, 3)
    near_person = ~on_person & (off_person <= OFF_MASK_REACH * body.unit * factor)
    background = ~on_person & (off_person > OFF_MASK_BACKGROUND_FROM * body.unit * factor) & ~protected
    skin_share = _histogram_share(skin_lab, lab)
    sample = _sample_region(body, garment_type, grid_x, grid_y) & on_person & ~protected & ~in_hands
    if garment_type in (LOWER_BODY, FULL_BODY):
        # Under a tunic or a long top the thighs show the top: the trousers are sampled on the shins too,
        # where they are not bare skin.
        shins = _shin_region(body, grid_x, grid_y) & on_person & ~in_hands
        skin_chroma = np.median(skin_lab[:, 1:].astype(np.float32), axis=0)
        chroma_distance = np.linalg.norm(lab[:, :, 1:].astype(np.float32) - skin_chroma, axis=2)
        sample |= shins & (chroma_distance > BARE_SKIN_CHROMA_DISTANCE)
    if sample.sum() < MIN_SAMPLES:
        return ClearedPhoto(person_rgb, None, person_mask)
    old_lab = lab[sample]
    old_share = _histogram_share(old_lab, lab)
    old_colour = (old_share >= OLD_MIN_SHARE) & (old_share >= OLD_OVER_SKIN * skin_share)
    missed = np.zeros(on_person.shape, bool)
    # Off the mask nothing of the background's own colours is taken, not even as the old garment's outline.
    background_colour = ~on_person
    background_lab = lab[background]
    if len(background_lab) >= MIN_SAMPLES:
        background_share = _histogram_share(background_lab, lab)
        # Hysteresis (Canny, "A computational approach to edge detection", PAMI 1986): a colour surely the
        # old garment's starts a missed part, and it goes on through colours merely likelier the old
        # garment's than the background's (a pale sleeve's flare against a pale wall), never the wall's own.
        likelier = zone & near_person & old_colour & (old_share > background_share)
        missed = _joined_to(likelier, likelier & (old_share >= OLD_OVER_BACKGROUND * background_share))
        background_colour &= (background_share >= BACKGROUND_COLOUR_SHARE) & (background_share > old_share)
    zone &= on_person | missed
    old = zone & old_colour
    # Specks and pinholes are colour noise: a garment is a solid region.
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    old = cv2.morphologyEx(cv2.morphologyEx(old.astype(np.uint8), cv2.MORPH_CLOSE, kernel), cv2.MORPH_OPEN, kernel) > 0
    # The same hysteresis against skin: from there the old garment goes on through colours merely likelier
    # its own than skin's, its warm shadow beside a hand resting on it (those stayed as patches of old
    # shorts), but not into the arms: a lit forearm's pale skin is as likely khaki; nor below the knees,
    # where it ran down bare shins into grey trainers, which then passed for a hem over the feet.
    arm_depth = np.minimum(
        *(limb_depth(arm, ARM_RADII, body.unit, grid_x, grid_y) for arm in (body.left_arm, body.right_arm))
    )
    above_knees = grid_y < min(body.left_leg.joint[1], body.right_leg.joint[1])
    likelier = (
        zone & on_person & (arm_depth > 1.0) & above_knees & (old_share >= OLD_MIN_SHARE) & (old_share > skin_share)
    )
    old |= _joined_to(likelier | old, old)
    shoes = np.zeros(old.shape, bool)  # below a hem over the feet: its outline does not grow into them
    if garment_type in (LOWER_BODY, FULL_BODY):
        over_feet = _hem_over_feet(
            old, old_colour, old_share, lab, on_person, body, heels, grid_x, grid_y, factor=factor
        )
        over_feet &= (on_person | missed) & ~protected
        zone |= over_feet
        old |= over_feet
        shoes = np.any(_on_feet(body, heels, grid_x, grid_y), axis=0) & ~over_feet
    seeds = sample
    if garment_type in (UPPER_BODY, FULL_BODY):
        # A sleeve seen past an arm held in front of the body (a mirror selfie's raised arm) is cut off from
        # the chest: what lies on an arm's own line is the top's too.
        for arm in (body.left_arm, body.right_arm):
            seeds = seeds | (limb_distance(arm, grid_x, grid_y) <= ARM_RADII[0] * body.unit)
    old = _joined_to(old & zone, seeds)
    if not old.any():
        return ClearedPhoto(person_rgb, None, person_mask)
    # The old garment's outline pixels are blends with what lies beyond; they go with it, but around a
    # hand only what is the old garment's colour itself (a cuff at the wrist) goes: the hand stays.
    # That outline lies just off the mask where the old garment meets the background.
    edge_square = np.ones((2 * EDGE_PIXELS + 1,) * 2, np.uint8)
    grown = cv2.dilate(old.astype(np.uint8), edge_square) > 0
    edge_zone = (cv2.dilate(zone.astype(np.uint8), edge_square) > 0) & ~background_colour & ~shoes
    old = np.where(in_hands, old, grown) & (zone | edge_zone) & ~protected
    person = on_person | old

    inside_body, depth, torso = _body_shape(body, grid_x, grid_y, heels, arm_depth=arm_depth)
    skin_fill = _skin_fill(skin_lab, bare_limbs_lab, depth)
    # Off the body model's mask no arm or leg is painted: only the background lies behind a missed sleeve.
    inside_body &= on_person
    collar = _collar(body, grid_x, grid_y) & (grid_y < body.neck[1])
    inside_body |= collar & on_person
    if garment_type in (UPPER_BODY, FULL_BODY):
        skin_fill = _torso_skin(
            small,
            lab,
            skin_lab,
            skin_fill,
            depth,
            torso | collar,
            old & inside_body,
            on_person,
            body,
            grid_x,
            grid_y,
            factor,
        )
    fill = np.where((old & inside_body)[:, :, None], skin_fill, small)
    outside = old & ~inside_body
    if outside.any():
        # The background behind the person, from a copy with the whole person and their outline masked out;
        # the bare arm or leg stands in front of it with a softened outline, as a photographed one does.
        square = np.ones((2 * PLATE_MARGIN_PIXELS + 1,) * 2, np.uint8)
        hidden = cv2.dilate(person.astype(np.uint8), square) > 0
        skin_weight = cv2.GaussianBlur(inside_body.astype(np.float32), (0, 0), SKIN_OUTLINE_FEATHER)[:, :, None]
        blended = skin_fill * skin_weight + background_plate(small, hidden) * (1.0 - skin_weight)
        fill = np.where(old[:, :, None], np.clip(blended + 0.5, 0, 255).astype(np.uint8), fill)
    alpha = cv2.GaussianBlur(old.astype(np.float32), (0, 0), FEATHER_PIXELS) * ~protected
    alpha = np.maximum(alpha, old.astype(np.float32))

    full_size = (right - left, bottom - top)
    full_alpha = cv2.resize(alpha, full_size, interpolation=cv2.INTER_LINEAR) if factor < 1 else alpha
    full_fill = cv2.resize(fill, full_size, interpolation=cv2.INTER_LINEAR) if factor < 1 else fill
    # Like the garment, the clearing never changes a pixel off the person, with what the mask missed of
    # the old garment.
    missed_full = np.zeros(mask_crop.shape, bool)
    if (old & ~on_person).any():
        missed_small = (old & ~on_person).astype(np.uint8)
        missed_full = (
            cv2.resize(missed_small, full_size, interpolation=cv2.INTER_NEAREST) if factor < 1 else missed_small
        )
        missed_full = (cv2.dilate(missed_full, np.ones((3, 3), np.uint8)) > 0) & (mask_crop == 0)
        # Each photo pixel is judged again at its own resolution: the wall beside a sharp outline stays.
        rows, columns = np.nonzero(missed_full)
        pixels = _lab(crop[rows, columns])
        background_share = _histogram_share(background_lab, pixels)
        old_share = _histogram_share(old_lab, pixels)
        missed_full[rows, columns] = (background_share < BACKGROUND_COLOUR_SHARE) | (old_share >= background_share)
    on_person_full = (mask_crop > 0) | missed_full
    full_alpha = full_alpha * on_person_full
    cleared = person_rgb.copy()
    weight = cv2.merge([full_alpha] * 3)
    cleared[top:bottom, left:right] = np.clip(full_fill * weight + crop * (1 - weight) + 0.5, 0, 255).astype(np.uint8)
    old_garment = np.zeros(person_mask.shape[:2], np.uint8)
    old_garment[top:bottom, left:right] = np.where(full_alpha >= 0.5, 255, 0).astype(np.uint8)
    grown_mask = person_mask.copy()
    grown_mask[top:bottom, left:right] = np.where(on_person_full, 255, 0).astype(np.uint8)
    return ClearedPhoto(cleared, old_garment, np.maximum(person_mask, grown_mask))


def background_plate(rgb: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """`rgb` with the `hidden` pixels (bool) replaced by the background continued across each row: the
    room mirrored in from each side (its floor tiles, skirting board and wall keep their texture), the
    two halves cross-faded in the middle. Where a mirrored pixel would itself be hidden or off the
    photo, the colour just beside the hidden run is held. A row hidden to one edge takes the other
    side's. A row hidden from edge to edge (a waist-up photo whose arms or sleeves run off both sides)
    takes the background continued down its columns instead, from above and below; a pixel hidden
    both ways keeps its colour."""
    across, found = _plate_along_rows(rgb, hidden)
    if not found[hidden].all():
        down, found_down = _plate_along_rows(rgb.transpose(1, 0, 2), hidden.T)
        use_down = (hidden & ~found & found_down.T)[:, :, None]
        across = np.where(use_down, down.transpose(1, 0, 2), across)
    return np.clip(np.where(hidden[:, :, None], across, rgb.astype(np.float32)) + 0.5, 0, 255).astype(np.uint8)


def _plate_along_rows(rgb: np.ndarray, hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The background continued across each row over the `hidden` runs (float32 RGB, `background_plate`),
    and where it was found (False on rows hidden from edge to edge)."""
    height, width = hidden.shape
    known = np.ascontiguousarray(~hidden)
    columns = np.arange(width)[None, :]
    rows = np.arange(height)[:, None]
    left = np.maximum.accumulate(np.where(known, columns, -1), axis=1)
    right = np.minimum.accumulate(np.where(known, columns, width)[:, ::-1], axis=1)[:, ::-1]
    pixels = np.ascontiguousarray(rgb, dtype=np.float32)
    kernel = (PLATE_ROW_CONTEXT, 1)
    counts = cv2.blur(known.astype(np.float32), kernel)
    # Where mirroring fails, each row's end colours are a few known pixels' mean, so one odd pixel
    # does not streak across.
    ends = cv2.blur(pixels * known[:, :, None], kernel) / np.maximum(counts, 1e-6)[:, :, None]

    def mirrored(edge: np.ndarray, source: np.ndarray) -> np.ndarray:
        inside = (source >= 0) & (source < width)
        clipped = np.clip(source, 0, width - 1)
        usable = inside & known[rows, clipped]
        return np.where(usable[:, :, None], pixels[rows, clipped], ends[rows, np.clip(edge, 0, width - 1)])

    from_left = mirrored(left, 2 * left - columns + 1)
    from_right = mirrored(right, 2 * right - columns - 1)
    to_left, to_right = columns - left, right - columns
    seam = np.maximum(PLATE_SEAM_PIXELS, PLATE_SEAM_SHARE * (right - left))
    share_from_left = np.clip(0.5 + (to_right - to_left) / (2 * seam), 0.0, 1.0)[:, :, None].astype(np.float32)
    has_left, has_right = (left >= 0)[:, :, None], (right < width)[:, :, None]
    across = np.where(
        has_left & has_right,
        from_left * share_from_left + from_right * (1 - share_from_left),
        np.where(has_left, from_left, np.where(has_right, from_right, pixels)),
    )
    return across, (has_left | has_right)[:, :, 0]


def _person_box(person_mask: np.ndarray, body: BodyPoints) -> tuple[int, int, int, int] | None:
    """The person's bounding box below the chin (the neck is sampled, a collar taken), a little wider,
    inside the photo."""
    left, top, width, height = cv2.boundingRect((person_mask > 0).astype(np.uint8))
    if width < 2 or height < 2:
        return None
    margin = round(BOX_MARGIN * body.unit)
    photo_height, photo_width = person_mask.shape[:2]
    top = max(top, int(body.chin_y))
    box = (max(0, left - margin), max(0, top), min(photo_width, left + width + margin), min(photo_height, top + height))
    return box if box[2] - box[0] >= 2 and box[3] - box[1] >= 2 else None


def _lab(rgb_pixels: np.ndarray) -> np.ndarray:
    pixels = np.ascontiguousarray(rgb_pixels.reshape(-1, 1, 3))
    if len(pixels) == 0:
        return np.zeros((0, 3), np.uint8)
    return cv2.cvtColor(pixels, cv2.COLOR_RGB2LAB).reshape(-1, 3)


def _skin_samples(
    person_rgb: np.ndarray, body: BodyPoints, hands: list[tuple[float, float, float]]
) -> tuple[np.ndarray, np.ndarray]:
    """Lab pixels of the person's skin: the middle of the face (or the hands, `skin_reference_pixels`),
    and the hands, forearms and shins where their colour is near that (a bare arm's or leg's tone is
    nearer the garment's than the cheeks'); and of those, the forearms' and shins' alone."""
    face = _lab(skin_reference_pixels(person_rgb, body, hands))
    if len(face) < MIN_SAMPLES:
        return face, face[:0]
    chroma_mean = face[:, 1:].astype(np.float32).mean(axis=0)
    chroma_spread = np.maximum(face[:, 1:].astype(np.float32).std(axis=0), 3.0)
    samples, limb_samples = [face], []
    # Hands, forearms and shins are sampled too: bare, they show the body's own tone.
    spots = [(x, y, radius * HAND_SAMPLE_SHARE, False) for x, y, radius in hands]
    for limb in (body.left_arm, body.right_arm, body.left_leg, body.right_leg):
        for share in LOWER_LIMB_SAMPLES:
            x, y = limb.joint + share * (limb.end - limb.joint)
            spots.append((float(x), float(y), LOWER_LIMB_SAMPLE_RADIUS * body.unit, True))
    for x, y, radius, on_limb in spots:
        spot = _lab(pixels_around(person_rgb, x, y, radius))
        distance = np.sqrt((((spot[:, 1:].astype(np.float32) - chroma_mean) / chroma_spread) ** 2).sum(axis=1))
        samples.append(spot[distance <= SKIN_SAMPLE_TOLERANCE])
        if on_limb:
            # Bare for certain: a beard widens the face's spread enough to let grey jeans through above.
            near = np.linalg.norm(spot[:, 1:].astype(np.float32) - chroma_mean, axis=1) <= BARE_SKIN_CHROMA_DISTANCE
            limb_samples.append(spot[near])
    return np.concatenate(samples), np.concatenate(limb_samples)


def _histogram_share(samples: np.ndarray, lab: np.ndarray) -> np.ndarray:
    """For every pixel of `lab`, the share of `samples` in its colour's bin, the histogram smoothed
    over the 3×3×3 bins around each (a garment in shadow or light is still itself)."""
    bins = np.array(HISTOGRAM_BINS)
    indices = (samples.astype(np.int32) * bins // 256).clip(0, bins - 1)
    counts = np.zeros(HISTOGRAM_BINS, np.float32)
    np.add.at(counts, (indices[:, 0], indices[:, 1], indices[:, 2]), 1.0)
    counts /= max(len(samples), 1)
    for axis in range(3):
        counts = (counts + np.roll(counts, 1, axis=axis) + np.roll(counts, -1, axis=axis)) / 3
    pixel = (lab.astype(np.int32) * bins // 256).clip(0, bins - 1)
    return counts[pixel[..., 0], pixel[..., 1], pixel[..., 2]]


def _joined_to(found: np.ndarray, sample: np.ndarray) -> np.ndarray:
    """The parts of `found` connected to where the old garment was sampled (a bag or hair of the same
    colour standing apart is not the garment)."""
    count, labels = cv2.connectedComponents(found.astype(np.uint8), connectivity=8)
    if count <= 1:
        return found
    keep = np.zeros(count, bool)
    keep[np.unique(labels[found & sample])] = True
    keep[0] = False
    return keep[labels]


def _hand_area(hands: list[tuple[float, float, float]], grid_x: np.ndarray, grid_y: np.ndarray) -> np.ndarray:
    """The hand discs: a hand's skin is never the old garment's colour, so it stays; the discs only keep
    the old garment's outline from growing into the hand."""
    area = np.zeros(grid_x.shape, bool)
    for x, y, radius in hands:
        area |= np.hypot(grid_x - x, grid_y - y) <= radius
    return area


def _heels(
    body: BodyPoints, on_person: np.ndarray, grid_x: np.ndarray, grid_y: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each foot as (heel, toes): a line down from the ankle to where the person ends under it (the
    sole), no taller than a shoe. Under a long skirt the ankle is only guessed, often too high: the
    foot then starts a shoe's height above the sole, and the leg reaches down to it."""
    feet = []
    for leg in (body.left_leg, body.right_leg):
        under_ankle = on_person & (np.abs(grid_x - leg.end[0]) <= FOOT_RADIUS * body.unit)
        sole_y = float(grid_y[under_ankle].max()) if under_ankle.any() else float(leg.end[1])
        heel = np.array([leg.end[0], max(float(leg.end[1]), sole_y - FOOT_LENGTH * body.unit)])
        feet.append((heel, np.array([leg.end[0], max(heel[1], sole_y)])))
    return feet


def _zone(
    body: BodyPoints,
    garment_type: str,
    grid_x: np.ndarray,
    grid_y: np.ndarray,
    feet: list[tuple[np.ndarray, np.ndarray]],
) -> np.ndarray:
    """Where the old garment of this type can be: torso and arms for a top, hips and legs down to the
    `feet` (`_heels`) for a bottom."""
    shoulder_y = (body.left_shoulder[1] + body.right_shoulder[1]) / 2
    hip_y = float(body.hip_centre[1])
    zone = np.zeros(grid_x.shape, bool)
    if garment_type in (UPPER_BODY, FULL_BODY):
        # Down to where trousers start: a dark top and dark jeans look alike, and the jeans must stay.
        above_trousers = grid_y <= body.waistband_y
        zone |= above_trousers
        for arm in (body.left_arm, body.right_arm):
            near_arm = limb_distance(arm, grid_x, grid_y)
            zone |= near_arm <= np.where(above_trousers, ARM_ZONE_RADIUS, ARM_BESIDE_HIPS_RADIUS) * body.unit
    if garment_type in (LOWER_BODY, FULL_BODY):
        # Down to the floor (a long skirt's hem lies below the ankles), but never on the feet.
        waist_y = body.waistband_y - BOTTOM_ABOVE_WAISTBAND * (hip_y - shoulder_y)
        zone |= (grid_y >= waist_y) & ~np.any(_on_feet(body, feet, grid_x, grid_y), axis=0)
    return zone


def _on_feet(
    body: BodyPoints, feet: list[tuple[np.ndarray, np.ndarray]], grid_x: np.ndarray, grid_y: np.ndarray
) -> np.ndarray:
    """Each foot's area (2×H×W bool): a shoe's width around the line from its heel to its toes (`_heels`)."""
    return np.array(
        [
            (grid_y >= heel[1]) & (segment_distance(heel, toes, grid_x, grid_y) <= FOOT_RADIUS * body.unit)
            for heel, toes in feet
        ]
    )


def _hem_over_feet(
    old: np.ndarray,
    old_colour: np.ndarray,
    old_share: np.ndarray,
    lab: np.ndarray,
    on_person: np.ndarray,
    body: BodyPoints,
    feet: list[tuple[np.ndarray, np.ndarray]],
    grid_x: np.ndarray,
    grid_y: np.ndarray,
    *,
    factor: float,
) -> np.ndarray:
    """Where the old garment (`old`, found off the feet) hangs over each foot's area: down to its hem
    read beside that foot (a long skirt or wide trouser leg hangs over the shoes as low as beside them)
    and draped lower in front of them by up to HEM_DRAPE, where its colours unlike the shoes' (sampled
    at the soles) lie near: a black shoe under a black skirt with white dots stays, and so does a dark
    shoe under dark trousers (the shoe beside the foot's area can pass for the hem)."""
    areas = _on_feet(body, feet, grid_x, grid_y)
    beside_any = ~np.any(areas, axis=0)
    above = np.zeros(grid_x.shape, bool)
    draped = np.zeros(grid_x.shape, bool)
    soles = np.zeros(grid_x.shape, bool)
    for area, (heel, toes) in zip(areas, feet, strict=True):
        soles |= area & on_person & (grid_y >= toes[1] - SOLE_SAMPLE_HEIGHT * body.unit)
        beside = beside_any & (np.abs(grid_x - heel[0]) <= (FOOT_RADIUS + HEM_BESIDE_FEET) * body.unit)
        hem_rows = grid_y[old & beside & (grid_y >= heel[1])]
        if len(hem_rows):
            hem_y = hem_rows.max()
            above |= area & (grid_y <= hem_y)
            draped |= area & (grid_y > hem_y) & (grid_y <= hem_y + HEM_DRAPE * body.unit)
    shoe_lab = lab[soles]
    over = above | draped
    if len(shoe_lab) < MIN_SAMPLES or not over.any():
        return np.zeros(grid_x.shape, bool)
    unlike_shoes = old_colour & (_histogram_share(shoe_lab, lab) < SHOE_COLOUR_SHARE) & over
    reach = max(1, round(HEM_PATTERN_REACH * body.unit * factor))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    near_pattern = cv2.dilate(unlike_shoes.astype(np.uint8), disc) > 0
    return over & near_pattern & old_colour


def _sample_region(body: BodyPoints, garment_type: str, grid_x: np.ndarray, grid_y: np.ndarray) -> np.ndarray:
    """Where the old garment of this type surely is: the middle of the chest, the tops of the thighs."""
    region = np.zeros(grid_x.shape, bool)
    if garment_type in (UPPER_BODY, FULL_BODY):
        chest_y = (body.left_chest[1] + body.right_chest[1]) / 2
        waist_y = (body.left_waist[1] + body.right_waist[1]) / 2
        rows = (grid_y >= chest_y) & (grid_y <= waist_y)
        sides = np.array([body.torso_sides_at(y) for y in grid_y[:, 0]])
        middle, half = sides.mean(axis=1)[:, None], CHEST_SAMPLE_WIDTH * np.diff(sides, axis=1) / 2
        region |= rows & (np.abs(grid_x - middle) <= half)
    if garment_type in (LOWER_BODY, FULL_BODY):
        for leg in (body.left_leg, body.right_leg):
            start = leg.root + 0.1 * (leg.joint - leg.root)
            end = leg.root + THIGH_SAMPLE_SHARE * (leg.joint - leg.root)
            region |= segment_distance(start, end, grid_x, grid_y) <= THIGH_SAMPLE_RADIUS * body.unit
    return region


def _shin_region(body: BodyPoints, grid_x: np.ndarray, grid_y: np.ndarray) -> np.ndarray:
    """The middle of both shins, where long trousers surely are and shorts never reach."""
    region = np.zeros(grid_x.shape, bool)
    for leg in (body.left_leg, body.right_leg):
        start, end = (leg.joint + share * (leg.end - leg.joint) for share in SHIN_SAMPLE_SHARES)
        region |= segment_distance(start, end, grid_x, grid_y) <= THIGH_SAMPLE_RADIUS * body.unit
    return region


def _body_shape(
    body: BodyPoints,
    grid_x: np.ndarray,
    grid_y: np.ndarray,
    feet: list[tuple[np.ndarray, np.ndarray]],
    *,
    arm_depth: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The body itself, without clothes (arms and legs as tapering capsules, the legs down to the `feet`' soles,
    the torso between its sides from the neck to the hips), how far each pixel of it lies from the
    middle of its part towards its edge (0 on an arm's line or the torso's middle, 1 at the outline;
    the nearest part's), and where that nearest part is the torso (with the neck). `arm_depth`: the
    arms' (`limb_depth` with ARM_RADII, the nearer arm's), already measured by the caller."""
    depth = arm_depth
    for leg in (body.left_leg, body.right_leg):
        depth = np.minimum(depth, limb_depth(leg, LEG_RADII, body.unit, grid_x, grid_y))
    for leg, (_, toes) in zip((body.left_leg, body.right_leg), feet, strict=True):
        # Down to the sole: behind a hem hanging over the feet is the ankle (the shoes below it stay).
        ankle_radius = LEG_RADII[2] * body.unit
        depth = np.minimum(depth, segment_distance(leg.end, toes, grid_x, grid_y) / ankle_radius)
    middle, half = _torso_middle_and_half(body, grid_y[:, :1])
    # The neck goes on up behind an old collar.
    torso_rows = (grid_y >= _collar_top(body)) & (grid_y <= body.hip_centre[1])
    torso_depth = np.where(torso_rows, np.abs(grid_x - middle) / half, np.inf)
    torso = torso_depth <= depth
    depth = np.minimum(depth, torso_depth)
    return depth <= 1.0, np.clip(depth, 0.0, 1.0).astype(np.float32), torso & (depth <= 1.0)


def _skin_fill(skin_lab: np.ndarray, bare_limbs_lab: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """RGB skin for every pixel, its lightness rounded by `depth` (0 in the middle of an arm, a leg or the
    torso, 1 at its outline) like a cylinder lit from the front: the colour of the bare forearms and
    shins where enough show (a covered leg beside a bare one must match it), else of all the skin
    samples, a little darker than the face."""
    facing = np.sqrt(1.0 - np.square(depth))  # the cosine of the surface's angle to the camera
    rounding = ROUNDING_EDGE_LIGHTNESS + (1.0 - ROUNDING_EDGE_LIGHTNESS) * facing
    if len(bare_limbs_lab) >= MIN_SAMPLES:
        skin = np.median(bare_limbs_lab.astype(np.float32), axis=0)
        # The samples lie across the limbs: their median is the rounding's mean (π/4 of the way up).
        skin[0] /= ROUNDING_EDGE_LIGHTNESS + (1.0 - ROUNDING_EDGE_LIGHTNESS) * np.pi / 4
    else:
        skin = np.median(skin_lab.astype(np.float32), axis=0)
        skin[0] *= SKIN_LIGHTNESS_SHARE
    filled = np.empty((*depth.shape, 3), np.uint8)
    filled[:, :, 0] = np.clip(skin[0] * rounding, 0, 255).astype(np.uint8)
    filled[:, :, 1] = np.uint8(round(float(skin[1])))
    filled[:, :, 2] = np.uint8(round(float(skin[2])))
    return cv2.cvtColor(filled, cv2.COLOR_LAB2RGB)


def _collar_top(body: BodyPoints) -> float:
    """The highest row an old top's collar is taken from, a little above the neck point."""
    return body.neck[1] - COLLAR_ABOVE_NECK * body.unit


def _collar(body: BodyPoints, grid_x: np.ndarray, grid_y: np.ndarray) -> np.ndarray:
    """Where an old top's collar may stand above the neck point, round the neck and on the shoulders'
    slopes, below the chin (a crew neck's band was left as a dark ring above a lower new neckline)."""
    under_face = (grid_x >= body.face.left) & (grid_x <= body.face.left + body.face.width)
    below_chin = grid_y >= body.chin_y + COLLAR_BELOW_CHIN * body.unit
    between_shoulders = (grid_x >= body.left_shoulder[0]) & (grid_x <= body.right_shoulder[0])
    return (grid_y >= _collar_top(body)) & between_shoulders & (below_chin | ~under_face)


def _torso_middle_and_half(body: BodyPoints, grid_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The torso's middle column and half-width on each row of `grid_y`: between its sides
    (`BodyPoints.torso_sides_at`), narrowing up the rounded slopes of the shoulders to the neck's width,
    which it keeps up to where a collar starts (`_collar_top`)."""
    sides = np.array([body.torso_sides_at(y) for y in np.ravel(grid_y)]).reshape(*np.shape(grid_y), 2)
    middle, half = sides.mean(axis=-1), np.diff(sides, axis=-1)[..., 0] / 2
    shoulder_y = (body.left_shoulder[1] + body.right_shoulder[1]) / 2
    collar_top = _collar_top(body)
    up_the_slope = np.clip((grid_y - collar_top) / max(shoulder_y - collar_top, 1e-6), 0.0, 1.0)
    neck_half = NECK_HALF_WIDTH * body.unit
    return middle, np.maximum(neck_half + (half - neck_half) * np.sqrt(up_the_slope), 1e-6)


def _torso_skin(
    rgb: np.ndarray,
    lab: np.ndarray,
    skin_lab: np.ndarray,
    skin_fill: np.ndarray,
    depth: np.ndarray,
    torso: np.ndarray,
    cleared: np.ndarray,
    on_person: np.ndarray,
    body: BodyPoints,
    grid_x: np.ndarray,
    grid_y: np.ndarray,
    factor: float,
) -> np.ndarray:
    """`skin_fill` (RGB) with the torso in the tone of the person's visible neck (and chest) rounded like
    the rest, and, below the neck, the neck's own colours carried down each column over where the old top
    was (`cleared`), fading into that tone: the chest under a lower neckline goes on from the neck without
    a seam, darker at its sides as the neck is. The forearms' tone (often tanned) made it a flat, darker
    patch with a hard edge below the neck. Unchanged where no neck skin shows (a turtleneck)."""
    unit = body.unit * factor
    chroma = skin_lab[:, 1:].astype(np.float32)
    chroma_mean, chroma_spread = chroma.mean(axis=0), np.maximum(chroma.std(axis=0), 3.0)
    distance = np.sqrt((((lab[:, :, 1:].astype(np.float32) - chroma_mean) / chroma_spread) ** 2).sum(axis=2))
    neck = (
        (np.abs(grid_x - body.neck[0]) <= NECK_HALF_WIDTH * body.unit)
        & (grid_y >= body.chin_y + COLLAR_BELOW_CHIN * body.unit)
        & (grid_y <= body.neck[1] + NECK_SKIN_BELOW * body.unit)
    )
    neck_skin = neck & on_person & ~cleared & (distance <= SKIN_SAMPLE_TOLERANCE)
    if neck_skin.sum() < MIN_SAMPLES:
        return skin_fill
    torso_fill = _skin_fill(lab[neck_skin], lab[neck_skin], depth).astype(np.float32)
    torso_share = cv2.GaussianBlur(torso.astype(np.float32), (0, 0), max(0.5, TORSO_TONE_SOFTENING * unit))
    fill = torso_fill * torso_share[:, :, None] + skin_fill.astype(np.float32) * (1.0 - torso_share[:, :, None])

    # Each column's first row of the cleared torso, and the visible neck just above it.
    height = cleared.shape[0]
    below = cleared & torso
    has_top = below.any(axis=0)
    top = np.where(has_top, np.argmax(below, axis=0), height)
    rows = np.arange(height)[:, None]
    reach = max(1, round(NECK_SAMPLE_HEIGHT * unit))
    above = neck_skin & (rows >= top[None, :] - reach) & (rows < top[None, :])
    counts = above.sum(axis=0).astype(np.float32)
    sums = (rgb.astype(np.float32) * above[:, :, None]).sum(axis=0)
    found = (counts >= 2).astype(np.float32)
    sigma = max(0.5, NECK_COLUMN_SOFTENING * unit)
    kernel = (2 * int(np.ceil(3 * sigma)) + 1, 1)

    def across(values: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(values[None], kernel, sigma, borderType=cv2.BORDER_CONSTANT)[0]

    # Smoothed across the columns (a normalised blur), each column's colour and how surely it has one.
    smooth_counts = across(counts)
    column_colour = across(sums) / np.maximum(smooth_counts, 1e-6)[:, None]
    sureness = across(found)
    sureness = np.where(smooth_counts > 1e-3, sureness, 0.0)
    # A raised cosine: the neck's shading goes on unchanged at first, then eases into the chest's.
    fade = 0.5 + 0.5 * np.cos(np.pi * np.clip((rows - top[None, :]) / max(1.0, NECK_CONTINUATION * unit), 0.0, 1.0))
    weight = (fade * sureness[None, :] * (rows >= top[None, :]) * torso)[:, :, None]
    fill = column_colour[None, :, :] * weight + fill * (1.0 - weight)
    return np.clip(fill + 0.5, 0, 255).astype(np.uint8)
