"""The contract every try-on engine keeps: stages, progress callback, result and errors.

The shop shows `TryOnError` messages to shoppers as they are, so they are written for people.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

# Stages in the order engines report them; the shop shows their names with the progress bar.
STAGES: tuple[str, ...] = ("segmenting", "masking", "warping", "rendering", "compositing")

# on_stage(stage, fraction_done) with fraction_done in [0, 1] for the whole run.
StageCallback = Callable[[str, float], None]

ENGINE_NEURAL = "neural"
ENGINE_CLASSIC = "classic"


@dataclass(frozen=True)
class TryOnResult:
    """What an engine returns. `image` is the full-resolution photo with the garment on;
    `image_small` is the 192×256 model-resolution picture."""

    image: Image.Image
    image_small: Image.Image
    engine: str
    timings: dict[str, float] = field(default_factory=dict)
    person_mask: np.ndarray | None = None  # uint8 H×W (0/255) at the photo's resolution
    garment_mask: np.ndarray | None = None  # uint8 H×W (0/255) of the garment as placed on the photo


class TryOnError(Exception):
    """A failure the shopper can act on; the message is shown to them verbatim."""


class NoPersonFoundError(TryOnError):
    def __init__(self, message: str = "No person found in the photo. Use a photo of yourself facing the camera, "
                 "upper body visible.") -> None:
        super().__init__(message)


class GarmentNotFoundError(TryOnError):
    def __init__(self, message: str = "The garment image has no garment on a plain background.") -> None:
        super().__init__(message)


class InvalidImageError(TryOnError):
    """The input could not be decoded as an image."""


class WeightsError(TryOnError):
    """A checkpoint is missing, truncated or does not match the model; the message names the file
    and says how to install it."""
