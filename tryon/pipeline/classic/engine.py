"""The weight-free try-on engine: the body model's keypoints and mask, and geometric garment fitting.

It runs when the neural checkpoints are not installed (and for bottoms and dresses, which PF-AFN was
not trained on), so a fresh install can still show a shopper a garment on their own photo. The stages
of the method, each in its module:

1. segmenting (`tryon/pipeline/person.py`, shared with the neural engine): keypoints and person mask
   from the body model, and its verdict on whether the photo can try this garment type.
2. masking (`garment_mask.py`, `garment_points.py`): the garment's cloth mask, colours and points
   (a top's collar, shoulders, armpits and sleeves; a bottom's waistband, crotch and hems; a dress's
   top and hem).
3. warping (`body_points.py`, `fit.py`, `tps.py`): the body's fitting points from the keypoints, a
   thin-plate spline placing the garment's body, rigid sleeve pieces along upper arm and forearm; then
   the engine checks its own fit (`fit_check.py`: folds and tears of the warp, a garment that misses the
   body or lands far from it) and refuses with GarmentFitError rather than draw a broken picture.
4. rendering (`render.py`, `shading.py`): colours sampled through the warp, shaded with the person's
   folds and light, clipped to the person (a skirt or dress also hangs across the gap between the
   legs), away from face, hands and bare arms in front.
5. compositing (`composite.py`): alpha blend into the photo at full resolution, and the 192×256 crop.

Pixels above the chin and outside the person mask are never changed (the person's own garment where the
body model's mask missed it, a bell sleeve's flare or a wide skirt's outline, counts as the person and
the result's `person_mask` holds it), except that a skirt or dress covers the space between the legs,
and below the hips bottoms and dresses keep their own outline (a trouser leg is wider than a bare leg, a
skirt has its own flare), clear of the arms, which hang in front.
Stages 1 and 2 depend on one input each: `prepare_photo` (the body model's analysis and person mask,
for every garment type) and `prepare_garment` (colours, alpha, points for the product's garment type)
return `PreparedSide`s the shop keeps; `dress` checks the photo's verdict for the garment type and does
the rest.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PIL import Image

from tryon.pipeline.body import BodyAnalysis
from tryon.pipeline.classic.body_points import (
    BodyPoints,
    between_legs,
    body_points,
    hand_discs,
    hanging_room,
)
from tryon.pipeline.classic.composite import composite, person_crop
from tryon.pipeline.classic.fit import (
    SleevePlacement,
    fit_bottom_points,
    fit_points,
    place_sleeves,
    placed_corners,
    render_region,
)
from tryon.pipeline.classic.fit_check import measure_fit
from tryon.pipeline.classic.garment_mask import prepare_checked_garment
from tryon.pipeline.classic.garment_points import BottomPoints, DressPoints, GarmentPoints, TopPoints
from tryon.pipeline.classic.old_garment import clear_old_garment
from tryon.pipeline.classic.render import render_garment
from tryon.pipeline.classic.tps import fit_thin_plate_spline
from tryon.pipeline.contract import (
    ENGINE_CLASSIC,
    GARMENT_SIDE,
    PHOTO_SIDE,
    UPPER_BODY,
    PreparedSide,
    StageCallback,
    StageClock,
    TryOnResult,
    check_garment_type,
    check_prepared,
    pack_mask,
)
from tryon.pipeline.imageio import GarmentSource, ImageSource, load_garment, load_rgb
from tryon.pipeline.person import analyse_photo, analysis_of_photo_side, check_usable

# Each stage's share of a run on a 12 MP phone photo, for the progress bar (bench/classic_bench.py,
# 2026-12-01 stage medians: body model 0.22 s, masking 0.10, warping 0.01, rendering 0.25, compositing 0.11).
STAGE_SHARES: dict[str, float] = {
    "segmenting": 0.32,
    "masking": 0.15,
    "warping": 0.01,
    "rendering": 0.36,
    "compositing": 0.16,
}


# Raise when the method changes what the prepared sides hold or how they are computed, or how a result
# is drawn: sides kept by the shop under the old version are then recomputed, and results cached under
# it are not shown again. 3: cloth masks that keep the gaps between sleeves and body open and white
# garments whole; a cut-out's alpha as its mask; sleeveless tops fitted by their straps, hems found on
# the garment's body. 4: light read across each row (a white dress over a black tee stays white); bare
# skin rounded and coloured like the bare limbs; trousers found on the shins under a tunic. 5: the
# garment side keeps its points under "garment_points" (was "landmarks"); wide trouser legs kept apart
# on legs held together. 6: a hem flaring past the waist is not read as sleeves; a sleeve swung off the
# body by a raised or held-out arm has its seam sewn to the armhole; bare shoulders above the armpits are
# not taken for arms in front of the garment; skin learnt from the hands when a phone hides the face, and
# an old sleeve past an arm in front of the body cleared too. 7: where the person runs off both sides of
# the photo, the background behind an old garment is continued from above and below; the old garment is
# also taken where the body model's mask missed it (a bell sleeve's flare, a wide skirt's dark outline); a
# top's or dress's sides reach the arms hanging against a wide body; each sleeve piece lies on the arm by
# the sleeve's own middle, not by its inner edge, and without a turn away from the body. 8: a dress whose
# sleeves stay joined to a short bodice down to the waist (puff sleeves) has them read as sleeves. 9: such a
# dress has its shoulders on its sleeve heads, not at its narrow waist seam (it was a fifth too long); an
# old skirt's hem hanging over the shoes goes too; a garment's side reaches a hand hanging below the hips.
# 10: the chest bared by a lower neckline takes the neck's tone and shading, an old collar above the neck
# point goes too; a garment covers the torso out to its sides, and carried out under an arm keeps its print.
# 11: a garment's colours along its outline bled from inside (no dotted white hems); a sleeve ending before
# the elbow's overlap stays one piece; the side carried out under an arm stops at the arm below its sleeve.
# 12: a missed part of the old top goes on from a colour surely its own through colours merely likelier its
# own than the wall's (a pale sleeve's end against a pale wall).
# 13: the old garment goes on through colours merely likelier its own than skin's, outside the arms (the
# old shorts' warm shadow beside a hand resting on them), above the knees.
METHOD_VERSION = 13
# Alpha from which a garment pixel counts as cloth in the mask shown to staff.
CLOTH_ALPHA = 0.5


def _tuples(values: dict) -> dict:
    """JSON turned a garment point's (x, y) tuples into lists; turn them back."""
    return {key: tuple(value) if isinstance(value, list) else value for key, value in values.items()}


def _points_to_json(points: GarmentPoints) -> dict:
    kind = "bottom" if isinstance(points, BottomPoints) else "dress" if isinstance(points, DressPoints) else "top"
    return {"kind": kind, "points": dataclasses.asdict(points)}


def _points_from_json(data: dict) -> GarmentPoints:
    points = data["points"]
    if data["kind"] == "bottom":
        return BottomPoints(**_tuples(points))
    if data["kind"] == "dress":
        rest = _tuples({key: value for key, value in points.items() if key != "top"})
        return DressPoints(top=TopPoints(**_tuples(points["top"])), **rest)
    return TopPoints(**_tuples(points))


class ClassicTryOnEngine:
    """Try-on without the neural checkpoints, for tops, bottoms and dresses. Cheap to construct; the body
    model is loaded once per process. `run` may be called from several threads."""

    name = ENGINE_CLASSIC
    stage_shares = STAGE_SHARES
    identity = f"{ENGINE_CLASSIC}/{METHOD_VERSION}"

    def run(
        self,
        person: ImageSource,
        garment: GarmentSource,
        *,
        on_stage: StageCallback | None = None,
        garment_type: str = UPPER_BODY,
    ) -> TryOnResult:
        """Put the garment (of `garment_type`: "upper_body", "lower_body" or "full_body") on the person.

        `on_stage(stage, fraction_done)` hears each of STAGES as it starts, then the last one again with
        1.0. Raises NoPersonFoundError when there is no person, UnusablePhotoError when the photo cannot
        try this garment type, GarmentNotFoundError when the garment image shows no garment,
        InvalidImageError when an input cannot be decoded, WeightsError when the body model is missing,
        GarmentFitError when the garment cannot be fitted to this photo without a broken picture.
        The same as `dress` on `prepare_photo` and `prepare_garment`.
        """
        check_garment_type(garment_type)
        clock = StageClock(on_stage, self.stage_shares)
        clock.start("segmenting")
        person_rgb = load_rgb(person)
        photo_side = self.prepare_photo(person_rgb)
        analysis = analysis_of_photo_side(photo_side)
        check_usable(analysis, garment_type)
        clock.start("masking")
        garment_side = self.prepare_garment(garment, garment_type=garment_type)
        return self._dress(person_rgb, analysis, garment_side, clock)

    def prepare_photo(self, person: ImageSource) -> PreparedSide:
        """The body model's analysis of the photo (keypoints, mask, a verdict per garment type); a
        photo unusable for some garment type is still prepared: `dress` refuses that type."""
        analysis = analyse_photo(load_rgb(person))
        return PreparedSide(
            side=PHOTO_SIDE,
            identity=self.identity,
            arrays={"person_mask": pack_mask(analysis.person_mask)},
            meta={"analysis": analysis.to_json()},
        )

    def prepare_garment(self, garment: GarmentSource, *, garment_type: str = UPPER_BODY) -> PreparedSide:
        """The garment's colours, soft alpha and points for `garment_type` (a cut-out's alpha is its
        mask), and in `meta["mask_problems"]` what the staff check finds wrong with the mask. Raises
        GarmentNotFoundError."""
        check_garment_type(garment_type)
        colours, alpha, points, problems = prepare_checked_garment(load_garment(garment), garment_type)
        cloth = np.where(alpha >= CLOTH_ALPHA, 255, 0).astype(np.uint8)
        return PreparedSide(
            side=GARMENT_SIDE,
            identity=self.identity,
            arrays={"colours": colours, "alpha": alpha, "cloth_mask": pack_mask(cloth)},
            meta={
                "garment_points": _points_to_json(points),
                "garment_type": garment_type,
                "mask_size": [cloth.shape[1], cloth.shape[0]],
                "mask_problems": problems,
            },
        )

    def dress(
        self,
        person: ImageSource,
        photo_side: PreparedSide,
        garment_side: PreparedSide,
        *,
        on_stage: StageCallback | None = None,
    ) -> TryOnResult:
        """Fit, render and composite a prepared garment on a prepared photo (`person` is that photo).
        Raises the photo's verdict for the garment's type (NoPersonFoundError, UnusablePhotoError) and
        StalePreparationError for a side prepared by another method version."""
        check_prepared(photo_side, side=PHOTO_SIDE, identity=self.identity)
        check_prepared(garment_side, side=GARMENT_SIDE, identity=self.identity)
        analysis = analysis_of_photo_side(photo_side)
        check_usable(analysis, garment_side.meta["garment_type"])
        clock = StageClock(on_stage, self.stage_shares, already_done=("segmenting", "masking"))
        return self._dress(load_rgb(person), analysis, garment_side, clock)

    def _dress(
        self, person_rgb: np.ndarray, analysis: BodyAnalysis, garment_side: PreparedSide, clock: StageClock
    ) -> TryOnResult:
        person_mask = analysis.person_mask
        garment_points = _points_from_json(garment_side.meta["garment_points"])
        garment_colours, garment_alpha = garment_side.arrays["colours"], garment_side.arrays["alpha"]

        clock.start("warping")
        body = body_points(analysis)
        on_body, on_garment, torso_alpha, sleeves = _fit(garment_points, garment_alpha, body)
        spline = fit_thin_plate_spline(on_body, on_garment)
        sleeve_corners = [placed_corners(sleeve) for sleeve in sleeves]
        region = render_region(np.vstack([on_body, *sleeve_corners]), body, person_rgb.shape)
        hangs = _hangs_between_legs(garment_points)
        gap = between_legs(person_mask, body) if hangs else None
        measure_fit(
            spline=spline,
            torso_alpha=torso_alpha,
            sleeves=sleeves,
            body=body,
            person_mask=person_mask,
            garment_type=garment_side.meta["garment_type"],
            between_legs=gap,
        ).require_fit()

        clock.start("rendering")
        hands = hand_discs(analysis, body.unit)
        # Where the new garment does not reach, the person's own garment gives way to skin or background.
        garment_type = garment_side.meta["garment_type"]
        cleared = clear_old_garment(person_rgb, person_mask, body=body, garment_type=garment_type, hands=hands)
        layer = render_garment(
            person_rgb,
            person_mask,
            body=body,
            region=region,
            spline=spline,
            garment_colours=garment_colours,
            torso_alpha=torso_alpha,
            sleeves=sleeves,
            hands=hands,
            between_legs=gap,
            hanging_room=hanging_room(
                person_mask.shape, body, keep_open=None if hangs else between_legs(person_mask, body)
            )
            if _hangs_free(garment_points)
            else None,
            cover_legs=isinstance(garment_points, BottomPoints) and not hangs,
            under_arms=not isinstance(garment_points, BottomPoints),
            not_skin=cleared.old_garment,
        )

        clock.start("compositing")
        image, garment_mask = composite(cleared.image, layer)
        small = person_crop(image, person_mask, body.face)
        timings = clock.finish()
        return TryOnResult(
            image=Image.fromarray(image),
            image_small=Image.fromarray(small),
            engine=ENGINE_CLASSIC,
            timings=timings,
            # The person as drawn: with the parts of their own garment the body model's mask missed.
            person_mask=cleared.person_mask,
            garment_mask=garment_mask,
        )


def _fit(
    points: GarmentPoints, alpha: np.ndarray, body: BodyPoints
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[SleevePlacement]]:
    """Spline points (body, garment), the alpha the spline carries and the sleeve pieces, by garment kind."""
    if isinstance(points, BottomPoints):
        on_body, on_garment = fit_bottom_points(points, body)
        return on_body, on_garment, alpha, []
    skirt_hem = None
    if isinstance(points, DressPoints):
        points, skirt_hem = points.top, (points.left_hem, points.right_hem)
    on_body, on_garment = fit_points(points, body, skirt_hem=skirt_hem)
    torso_alpha, sleeves = place_sleeves(points, alpha, body)
    return on_body, on_garment, torso_alpha, sleeves


def _hangs_free(points: GarmentPoints) -> bool:
    """Whether the garment keeps its own outline below the hips rather than the person's: trousers,
    shorts and skirts are wider than bare legs, a dress's skirt has its own flare."""
    return isinstance(points, (BottomPoints, DressPoints))


def _hangs_between_legs(points: GarmentPoints) -> bool:
    """Whether the garment hangs across the gap between the legs: a dress, or a bottom without a crotch
    (a skirt). Trousers and shorts stay on each leg."""
    return isinstance(points, DressPoints) or (isinstance(points, BottomPoints) and points.crotch is None)
