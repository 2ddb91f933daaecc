"""The contract every try-on engine keeps: stages, the stage clock that reports them, the result,
the errors and the `Engine` protocol the shop and the CLI code against.

The shop shows `TryOnError` messages to shoppers as they are, so they are written for people.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from tryon.pipeline.pictures import GarmentSource, ImageSource

# Stages in the order engines report them; the shop shows their names with the progress bar.
STAGES: tuple[str, ...] = ("segmenting", "masking", "warping", "rendering", "compositing")

# on_stage(stage, fraction_done) with fraction_done in [0, 1] for the whole run.
StageCallback = Callable[[str, float], None]

# Garment types (the shop's Product.garment_type): tops, bottoms (trousers, shorts, skirts), dresses.
UPPER_BODY, LOWER_BODY, FULL_BODY = "upper_body", "lower_body", "full_body"
GARMENT_TYPES: tuple[str, ...] = (UPPER_BODY, LOWER_BODY, FULL_BODY)

ENGINE_FASHN = "fashn"
ENGINE_NEURAL = "neural"
ENGINE_CLASSIC = "classic"


@dataclass(frozen=True)
class TryOnResult:
    """What an engine returns. `image` is the full-resolution photo with the garment on;
    `image_small` is the model-resolution picture (192×256 for the neural and classic engines, the
    model's output without its padding, at most 576×864, for FASHN)."""

    image: Image.Image
    image_small: Image.Image
    engine: str
    timings: dict[str, float] = field(default_factory=dict)
    person_mask: np.ndarray | None = None  # uint8 H×W (0/255) at the photo's resolution
    garment_mask: np.ndarray | None = None  # uint8 H×W (0/255) of the garment as placed on the photo


def check_garment_type(garment_type: str) -> None:
    """TryOnError for a garment type no engine knows (a caller's mistake, said plainly)."""
    if garment_type not in GARMENT_TYPES:
        raise TryOnError(f"Unknown garment type {garment_type!r}; use one of {', '.join(GARMENT_TYPES)}.")


def progress_before(stage_shares: Mapping[str, float], stage: str) -> float:
    """Where the progress bar stands when `stage` starts: the shares (`Engine.stage_shares`) of the
    stages before it. A job that prepares a side before `Engine.dress` reports it with this."""
    return round(min(1.0, sum(stage_shares[earlier] for earlier in STAGES[: STAGES.index(stage)])), 4)


PHOTO_SIDE = "photo"
GARMENT_SIDE = "garment"
_META_KEY = "__meta__"


@dataclass(frozen=True)
class PreparedSide:
    """What an engine computed from one input alone (the shopper's photo or a product image), kept so
    the next try-on with that input skips the work.

    `identity` names the engine and the weights that produced it (see `Engine.identity`): a part made
    by other weights is refused by `Engine.dress`, so the shop recomputes it. `arrays` are numpy
    arrays (network tensors as float32, exactly as computed), `meta` small JSON values.
    """

    side: str
    identity: str
    arrays: dict[str, np.ndarray]
    meta: dict = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        """An uncompressed .npz (float pyramids barely compress; reading them back must be fast)."""
        header = json.dumps({"side": self.side, "identity": self.identity, "meta": self.meta})
        buffer = io.BytesIO()
        np.savez(buffer, **self.arrays, **{_META_KEY: np.frombuffer(header.encode(), dtype=np.uint8)})
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> PreparedSide:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            header = json.loads(archive[_META_KEY].tobytes().decode())
            arrays = {name: archive[name] for name in archive.files if name != _META_KEY}
        return cls(side=header["side"], identity=header["identity"], arrays=arrays, meta=header["meta"])


def pack_mask(mask: np.ndarray) -> np.ndarray:
    """A 0/255 mask as bits (an eighth of the bytes); `unpack_mask` restores it exactly."""
    return np.packbits(mask > 0, axis=None)


def unpack_mask(bits: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    count = int(np.prod(shape))
    return (np.unpackbits(bits, count=count).reshape(shape) * 255).astype(np.uint8)


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


class GarmentFitError(TryOnError):
    """The engine could not fit the garment to the photo without drawing a broken picture (a torn or
    folded warp, a garment that misses the body): it refuses instead of drawing one."""

    def __init__(
        self,
        message: str = (
            "We could not fit this garment to your photo without distorting it, so we did not draw it. "
            "Try a photo where you stand straight and face the camera, or try another garment."
        ),
    ) -> None:
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

    def __init__(
        self, on_stage: StageCallback | None, shares: Mapping[str, float], *, already_done: tuple[str, ...] = ()
    ) -> None:
        """`already_done` names stages finished before this clock started (sides prepared earlier):
        their shares count as done, so the bar starts where they left it."""
        self._on_stage = on_stage
        self._shares = shares
        self._current: str | None = None
        self._started = 0.0
        self._done = min(1.0, sum(shares[stage] for stage in already_done))
        self.timings: dict[str, float] = {}

    def start(self, stage: str) -> None:
        if stage == self._current:
            return
        self._close_current()
        self._current, self._started = stage, time.perf_counter()
        if self._on_stage is not None:
            self._on_stage(stage, round(self._done, 4))

    def within(self, fraction: float) -> None:
        """Report progress inside the current stage (`fraction` of it done, e.g. sampling steps), so a
        long stage moves the bar instead of holding it."""
        if self._current is None or self._on_stage is None:
            return
        share = self._shares[self._current] * min(max(fraction, 0.0), 1.0)
        self._on_stage(self._current, round(min(1.0, self._done + share), 4))

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


class StalePreparationError(TryOnError):
    """A prepared side was made by another engine or other weights; the caller prepares it again."""

    def __init__(self, part: PreparedSide, identity: str) -> None:
        super().__init__(f"The prepared {part.side} was made by {part.identity!r}, not {identity!r}.")


class Engine(Protocol):
    """What the shop's worker and the CLI need from a try-on engine.

    `run` is `dress(person, prepare_photo(person), prepare_garment(garment))`: the worker keeps the
    two prepared sides so a photo is analysed once for all garments and a garment once for all photos.
    `identity` changes whenever the engine's results could (another engine, other weights). A garment
    (`imageio.GarmentSource`) may be a cut-out whose alpha is its mask; a garment side's
    `meta["mask_problems"]` lists what the staff check (`mask_check.mask_problems`) found wrong with its
    mask, and the shop keeps a garment with problems from shoppers."""

    name: str
    identity: str
    stage_shares: Mapping[str, float]  # each of STAGES' share of a typical run, for the progress bar

    def run(
        self,
        person: ImageSource,
        garment: GarmentSource,
        *,
        on_stage: StageCallback | None = None,
        garment_type: str = UPPER_BODY,
    ) -> TryOnResult: ...

    def prepare_photo(self, person: ImageSource) -> PreparedSide: ...

    def prepare_garment(self, garment: GarmentSource, *, garment_type: str = UPPER_BODY) -> PreparedSide: ...

    def dress(
        self,
        person: ImageSource,
        photo_side: PreparedSide,
        garment_side: PreparedSide,
        *,
        on_stage: StageCallback | None = None,
    ) -> TryOnResult: ...


def check_prepared(part: PreparedSide, *, side: str, identity: str) -> None:
    """Refuse a prepared side of the wrong kind or made by another engine or weights."""
    if part.side != side or part.identity != identity:
        raise StalePreparationError(part, identity)
