"""The contract every try-on engine keeps: stages, the stage clock that reports them, the result,
the errors and the `Engine` protocol the shop and the CLI code against.

The shop shows `TryOnError` messages to shoppers as they are, so they are written for people.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from tryon.pipeline.imageio import ImageSource

# Stages in the order engines report them; the shop shows their names with the progress bar.
STAGES: tuple[str, ...] = ("segmenting", "masking", "warping", "rendering", "compositing")

# on_stage(stage, fraction_done) with fraction_done in [0, 1] for the whole run.
StageCallback = Callable[[str, float], None]

# Garment types (the shop's Product.garment_type): tops, bottoms (trousers, shorts, skirts), dresses.
UPPER_BODY, LOWER_BODY, FULL_BODY = "upper_body", "lower_body", "full_body"
GARMENT_TYPES: tuple[str, ...] = (UPPER_BODY, LOWER_BODY, FULL_BODY)

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
    def __init__(
        self,
        message: str = "No person found in the photo. Use a photo of yourself facing the camera, upper body visible.",
    ) -> None:
        super().__init__(message)


class UnusablePhotoError(TryOnError):
    """The photo shows a person but cannot try this garment type (seen from the side, hips out of the
    picture for trousers...); the message says what photo to take instead."""


class GarmentNotFoundError(TryOnError):
    def __init__(self, message: str = "The garment image has no garment on a plain background.") -> None:
        super().__init__(message)


class InvalidImageError(TryOnError):
    """The input could not be decoded as an image."""


class WeightsError(TryOnError):
    """A checkpoint is missing, truncated or does not match the model; the message names the file
    and says how to install it."""


class StageClock:
    """Reports each stage to an `on_stage` callback as it starts, with the overall fraction done, and
    times it. `shares` is each stage's share of a typical run, so the progress bar moves steadily: the
    fraction reported when a stage starts is the sum of the shares of the stages before it."""

    def __init__(self, on_stage: StageCallback | None, shares: Mapping[str, float]) -> None:
        self._on_stage = on_stage
        self._shares = shares
        self._current: str | None = None
        self._started = 0.0
        self._done = 0.0
        self.timings: dict[str, float] = {}

    def start(self, stage: str) -> None:
        if stage == self._current:
            return
        self._close_current()
        self._current, self._started = stage, time.perf_counter()
        if self._on_stage is not None:
            self._on_stage(stage, round(self._done, 4))

    def finish(self) -> dict[str, float]:
        """Close the last stage, report 1.0 for it and return the timings (seconds per stage)."""
        last = self._current
        self._close_current()
        if self._on_stage is not None and last is not None:
            self._on_stage(last, 1.0)
        return dict(self.timings)

    def _close_current(self) -> None:
        if self._current is None:
            return
        self.timings[self._current] = round(time.perf_counter() - self._started, 4)
        self._done = min(1.0, self._done + self._shares[self._current])
        self._current = None


class Engine(Protocol):
    """What the shop's worker and the CLI need from a try-on engine."""

    name: str

    def run(
        self,
        person: ImageSource,
        garment: ImageSource,
        *,
        on_stage: StageCallback | None = None,
        garment_type: str = UPPER_BODY,
    ) -> TryOnResult: ...
