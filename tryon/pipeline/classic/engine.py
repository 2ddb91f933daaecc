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

Pixels above the chin and outside the person mask are never changed.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from tryon.pipeline.classic.body_points import FaceDetector, body_landmarks
from tryon.pipeline.classic.composite import composite, person_crop
from tryon.pipeline.classic.fit import fit_points, place_sleeves, placed_corners, render_region
from tryon.pipeline.classic.garment_mask import prepare_garment
from tryon.pipeline.classic.render import render_garment
from tryon.pipeline.classic.segment import segment_person
from tryon.pipeline.classic.tps import fit_thin_plate_spline
from tryon.pipeline.contract import ENGINE_CLASSIC, StageCallback, StageClock, TryOnResult
from tryon.pipeline.imageio import ImageSource, load_rgb

# Each stage's share of a run on a phone photo (bench/classic_bench.py), for the progress bar.
STAGE_SHARES: dict[str, float] = {
    "segmenting": 0.30,
    "masking": 0.05,
    "warping": 0.01,
    "rendering": 0.39,
    "compositing": 0.25,
}


class ClassicTryOnEngine:
    """Try-on without model weights. Cheap to construct; the Haar cascades are loaded once per process.
    `run` may be called from several threads."""

    name = ENGINE_CLASSIC

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
