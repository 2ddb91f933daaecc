"""The weight-free try-on engine: classical segmentation and geometric garment fitting.

It runs when the neural checkpoints are not installed, so a fresh install can still show a shopper a
garment on their own photo. The stages of the method, each in its module:

1. segmenting (`segment.py`): the person's mask.
2. masking (`garment_mask.py`, `garment_points.py`): the garment's cloth mask, colours and landmarks.
3. warping (`fit.py`, `tps.py`): body landmarks (`body_points.py`), a thin-plate spline placing the
   garment's body and rigid sleeves turned to hang along the arms.
4. rendering (`render.py`, `shading.py`): colours sampled through the warp, shaded with the person's
   folds and light, clipped to the person.
5. compositing (`composite.py`): alpha blend into the photo at full resolution, and the 192×256 crop.

Pixels above the chin and outside the person mask are never changed. Stages 1 and 2 depend on one
input each: `prepare_photo` (face, person mask, body landmarks) and `prepare_garment` (colours, alpha,
landmarks) return them as `PreparedSide`s the shop keeps; `dress` does the rest for a pair.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PIL import Image

from tryon.pipeline.classic.body_points import BodyLandmarks, FaceBox, FaceDetector, body_landmarks
from tryon.pipeline.classic.composite import composite, person_crop
from tryon.pipeline.classic.fit import fit_points, place_sleeves, placed_corners, render_region
from tryon.pipeline.classic.garment_mask import prepare_garment
from tryon.pipeline.classic.garment_points import GarmentLandmarks
from tryon.pipeline.classic.render import render_garment
from tryon.pipeline.classic.segment import segment_person
from tryon.pipeline.classic.tps import fit_thin_plate_spline
from tryon.pipeline.contract import (
    ENGINE_CLASSIC,
    GARMENT_SIDE,
    PHOTO_SIDE,
    PreparedSide,
    StageCallback,
    StageClock,
    TryOnResult,
    check_prepared,
    pack_mask,
    unpack_mask,
)
from tryon.pipeline.imageio import ImageSource, load_rgb

# Each stage's share of a run on a phone photo (bench/classic_bench.py), for the progress bar.
STAGE_SHARES: dict[str, float] = {
    "segmenting": 0.30,
    "masking": 0.05,
    "warping": 0.01,
    "rendering": 0.39,
    "compositing": 0.25,
}
# Raise when the method changes what the prepared sides hold or how they are computed: sides kept
# by the shop under the old version are then recomputed.
METHOD_VERSION = 1
# Alpha from which a garment pixel counts as cloth in the mask shown to staff.
CLOTH_ALPHA = 0.5


def _points_to_json(landmarks: object) -> dict:
    return dataclasses.asdict(landmarks)


def _points_from_json(cls: type, values: dict) -> object:
    """Rebuild a landmarks dataclass; JSON turned its (x, y) tuples into lists."""
    return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in values.items()})


class ClassicTryOnEngine:
    """Try-on without model weights. Cheap to construct; the Haar cascades are loaded once per process.
    `run` may be called from several threads."""

    name = ENGINE_CLASSIC
    identity = f"{ENGINE_CLASSIC}/{METHOD_VERSION}"

    def __init__(self) -> None:
        self._faces = FaceDetector()

    def run(self, person: ImageSource, garment: ImageSource, *, on_stage: StageCallback | None = None) -> TryOnResult:
        """Put the garment on the person in the photo.

        `on_stage(stage, fraction_done)` hears each of STAGES as it starts, then the last one again with
        1.0. Raises NoPersonFoundError when no face or body is found, GarmentNotFoundError when the
        garment image shows no garment, InvalidImageError when an input cannot be decoded.
        """
        clock = StageClock(on_stage, STAGE_SHARES)
        clock.start("segmenting")
        person_rgb = load_rgb(person)
        photo_side = self.prepare_photo(person_rgb)
        clock.start("masking")
        garment_side = self.prepare_garment(garment)
        return self._dress(person_rgb, photo_side, garment_side, clock)

    def prepare_photo(self, person: ImageSource) -> PreparedSide:
        """Face, person mask and body landmarks of the photo. Raises NoPersonFoundError."""
        person_rgb = load_rgb(person)
        face = self._faces.detect(person_rgb)
        person_mask = segment_person(person_rgb, face)
        body = body_landmarks(face, person_mask)
        return PreparedSide(
            side=PHOTO_SIDE,
            identity=self.identity,
            arrays={"person_mask": pack_mask(person_mask)},
            meta={"face": dataclasses.asdict(face), "body": _points_to_json(body), "shape": list(person_mask.shape)},
        )

    def prepare_garment(self, garment: ImageSource) -> PreparedSide:
        """The garment's colours, soft alpha and landmarks. Raises GarmentNotFoundError."""
        colours, alpha, landmarks = prepare_garment(load_rgb(garment))
        cloth = np.where(alpha >= CLOTH_ALPHA, 255, 0).astype(np.uint8)
        return PreparedSide(
            side=GARMENT_SIDE,
            identity=self.identity,
            arrays={"colours": colours, "alpha": alpha, "cloth_mask": pack_mask(cloth)},
            meta={"landmarks": _points_to_json(landmarks), "mask_size": [cloth.shape[1], cloth.shape[0]]},
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
        Raises StalePreparationError for a side prepared by another method version."""
        check_prepared(photo_side, side=PHOTO_SIDE, identity=self.identity)
        check_prepared(garment_side, side=GARMENT_SIDE, identity=self.identity)
        clock = StageClock(on_stage, STAGE_SHARES, already_done=("segmenting", "masking"))
        return self._dress(load_rgb(person), photo_side, garment_side, clock)

    def _dress(
        self, person_rgb: np.ndarray, photo_side: PreparedSide, garment_side: PreparedSide, clock: StageClock
    ) -> TryOnResult:
        face = FaceBox(**photo_side.meta["face"])
        body = _points_from_json(BodyLandmarks, photo_side.meta["body"])
        person_mask = unpack_mask(photo_side.arrays["person_mask"], tuple(photo_side.meta["shape"]))
        garment_points = _points_from_json(GarmentLandmarks, garment_side.meta["landmarks"])
        garment_colours, garment_alpha = garment_side.arrays["colours"], garment_side.arrays["alpha"]

        clock.start("warping")
        body_points, garment_targets = fit_points(garment_points, body)
        spline = fit_thin_plate_spline(body_points, garment_targets)
        torso_alpha, sleeves = place_sleeves(garment_points, garment_alpha, body)
        sleeve_corners = [placed_corners(sleeve) for sleeve in sleeves]
        region = render_region(np.vstack([body_points, *sleeve_corners]), body, person_rgb.shape)

        clock.start("rendering")
        layer = render_garment(
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
        image, garment_mask = composite(person_rgb, layer)
        small = person_crop(image, person_mask, face)
        timings = clock.finish()
        return TryOnResult(
            image=Image.fromarray(image),
            image_small=Image.fromarray(small),
            engine=ENGINE_CLASSIC,
            timings=timings,
            person_mask=person_mask,
            garment_mask=garment_mask,
        )
