"""The body model: BlazePose keypoints, a person mask and per-garment-type photo verdicts (no Django).

MediaPipe's pose detector and landmark model and its selfie segmentation (Apache-2.0), run with
LiteRT; see analysis.py for the pipeline and models.py for the files.
"""

from tryon.pipeline.body.analysis import (
    GARMENT_TYPES,
    BodyAnalysis,
    GarmentVerdict,
    Keypoint,
    analyse_body,
)
from tryon.pipeline.body.landmarks import KEYPOINT_NAMES
from tryon.pipeline.body.models import BodyModelMissingError

__all__ = [
    "GARMENT_TYPES",
    "KEYPOINT_NAMES",
    "BodyAnalysis",
    "BodyModelMissingError",
    "GarmentVerdict",
    "Keypoint",
    "analyse_body",
]
