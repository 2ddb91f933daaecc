"""The FASHN VTON v1.5 try-on engine: a photographic try-on of tops, bottoms and one-pieces.

FASHN VTON v1.5 (Bochman & Bochman, FASHN AI, 2026; github.com/fashn-AI/fashn-vton-1.5) is a
pixel-space MMDiT (`mmdit.py`) sampled with guided rectified-flow Euler steps (`sampler.py`) on a
576×864 canvas (`canvas.py`), conditioned on the shopper's unmasked photo, a rendered pose picture
(`pose_image.py`, drawn from the shop's own body model, or by DWPose (`dwpose.py`) where the
operator installed its two ONNX files and onnxruntime), the flat-lay product
picture with a blank pose, and the garment category (tops 1, bottoms 2, one-pieces 3; the reference
README's pipeline facts). The stages:

1. segmenting (`prepare_photo`): the body model's analysis (its verdict per garment type, as for the
   other engines), the photo pre-resized and placed on the canvas, its pose picture likewise;
2. masking (`prepare_garment`): the product picture on white placed on the canvas (flat-lay: blank
   pose), and its cloth mask for the staff check the shop runs on every product picture;
3. warping: the conditioning tensors and the seeded noise on the model's device;
4. rendering: the sampling steps, each reported to the progress bar;
5. compositing: the canvas unpadded, the dressed region found (`dressed_region.py`) and only it
   pasted into the photo at the photo's own resolution; a picture the model redrew beyond the
   garment is refused.

It is a GPU engine: about 5 s a picture on an H100, about two hours on two CPU cores. `select.py`
picks it only where a CUDA GPU is present; naming it on a CPU works (the tests run a small
configuration) but the shop warns. The network is loaded once per process (`load_fashn_model`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import threading
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from PIL import Image

from tryon.pipeline.body import BodyAnalysis
from tryon.pipeline.contract import (
    ENGINE_FASHN,
    FULL_BODY,
    GARMENT_SIDE,
    LOWER_BODY,
    PHOTO_SIDE,
    UPPER_BODY,
    NoPersonFoundError,
    PreparedSide,
    StageCallback,
    StageClock,
    TryOnError,
    TryOnResult,
    WeightsError,
    check_garment_type,
    check_prepared,
    pack_mask,
    unpack_mask,
)
from tryon.pipeline.device import DEVICE_AUTO, resolve_engine_device
from tryon.pipeline.fashn.canvas import (
    CanvasPlacement,
    canvas_to_photo,
    paste_into_photo,
    place_photo,
    pre_resize,
    unpad,
)
from tryon.pipeline.fashn.dressed_region import DEFAULT_MAX_REDRAWN_OUTSIDE, dressed_region
from tryon.pipeline.fashn.dwpose import DWPoseDetector, DWPoseUnavailableError
from tryon.pipeline.fashn.files import FashnFilesReport, verify_fashn_dir
from tryon.pipeline.fashn.pose_image import pose_canvas, pose_from_body_analysis
from tryon.pipeline.fashn.sampler import DEFAULT_GUIDANCE, DEFAULT_STEPS, sample, to_uint8
from tryon.pipeline.fashn.weights import compute_dtype, load_model
from tryon.pipeline.imageio import GarmentSource, ImageSource, load_garment, load_rgb
from tryon.pipeline.mask_check import mask_problems
from tryon.pipeline.masks import garment_mask
from tryon.pipeline.person import analyse_photo, analysis_of_photo_side, check_usable

logger = logging.getLogger(__name__)

# The model's garment categories (reference README, pipeline facts); 0 is the null (unguided) branch.
CATEGORY_FOR_GARMENT_TYPE: dict[str, int] = {UPPER_BODY: 1, LOWER_BODY: 2, FULL_BODY: 3}
DEFAULT_SEED = 42  # the official pipeline's default seed
# Share of a run each stage takes on a GPU (sampling is nearly all of it), for the progress bar.
STAGE_SHARES: dict[str, float] = {
    "segmenting": 0.04,
    "masking": 0.01,
    "warping": 0.01,
    "rendering": 0.92,
    "compositing": 0.02,
}
# Raise when what the prepared sides hold or how they are computed changes: kept sides are then recomputed.
METHOD_VERSION = 1
OPTIONS_DIGEST_LENGTH = 6
POSE_FROM_BODY_MODEL, POSE_FROM_DWPOSE = "b", "d"


@dataclass(frozen=True)
class FashnOptions:
    """How the engine samples and what it refuses; every field changes results, so all are in `identity`.

    steps and guidance: the authors' defaults (30 Euler steps, classifier-free guidance 1.5); seed: the
    noise of every try-on (the same photo, garment and settings give the same picture);
    max_redrawn_outside: see `dressed_region`."""

    steps: int = DEFAULT_STEPS
    guidance: float = DEFAULT_GUIDANCE
    seed: int = DEFAULT_SEED
    max_redrawn_outside: float = DEFAULT_MAX_REDRAWN_OUTSIDE

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise TryOnError(f"FASHN steps must be at least 1, not {self.steps}.")
        if self.guidance < 0:
            raise TryOnError(f"FASHN guidance must not be negative, not {self.guidance}.")
        if not 0.0 <= self.max_redrawn_outside <= 1.0:
            raise TryOnError(f"FASHN max_redrawn_outside is a share between 0 and 1, not {self.max_redrawn_outside}.")

    def digest(self) -> str:
        values = repr(dataclasses.astuple(self))
        return hashlib.sha256(values.encode()).hexdigest()[:OPTIONS_DIGEST_LENGTH]


def fashn_identity(report: FashnFilesReport, options: FashnOptions) -> str:
    """The identity of the engine `report`'s files and `options` make (at most 40 characters): the
    weights' SHA-256 prefix, the method version, where the pose comes from (b: the body model, d:
    DWPose) and the options' digest."""
    pose_source = POSE_FROM_DWPOSE if report.dwpose_usable else POSE_FROM_BODY_MODEL
    return f"{ENGINE_FASHN}/{report.weights_digest()}/{METHOD_VERSION}{pose_source}-{options.digest()}"


# ---------------------------------------------------------------------------------------------------------------------
# The network, once per process


_MODELS: dict[tuple, torch.nn.Module] = {}
_MODELS_LOCK = threading.Lock()


def load_fashn_model(report: FashnFilesReport, device: torch.device) -> torch.nn.Module:
    """The network filled from `report`'s verified file, in eval mode on `device` (bfloat16 on GPUs
    that support it, else float32); cached per process by file (path, size, time), configuration and
    device, so a worker loads it once and a replaced file is picked up (the old one is dropped)."""
    if not report.ready:
        raise WeightsError(f"The FASHN try-on model is not ready. {report.problem}")
    dtype = compute_dtype(device)
    files = (str(report.model_path.resolve()), report.size, report.mtime_ns, repr(sorted(report.model_kwargs.items())))
    key = (*files, str(device), str(dtype))
    with _MODELS_LOCK:
        cached = _MODELS.get(key)
        if cached is not None:
            return cached
        logger.info("Loading FASHN VTON v1.5 from %s on %s (%s)", report.model_path, device, dtype)
        model = load_model(report.model_path, device=device, dtype=dtype, model_kwargs=report.model_kwargs)
        model.requires_grad_(False)
        for stale in [other for other in _MODELS if other[4:] == key[4:]]:
            del _MODELS[stale]  # one network per device: a replaced file frees the old one
        _MODELS[key] = model
        return model


def _dwpose_detector(report: FashnFilesReport, device: torch.device) -> DWPoseDetector | None:
    """DWPose where the operator installed its two files and onnxruntime (the pose the model was trained
    with); else None: the pose is drawn from the shop's body model."""
    if not report.dwpose_usable:
        if report.dwpose_installed:
            logger.warning(
                "DWPose files found in %s but not both, or onnxruntime is missing: using the body model",
                report.directory,
            )
        return None
    try:
        return DWPoseDetector(report.directory, device=str(device))
    except DWPoseUnavailableError as exc:
        raise WeightsError(f"The DWPose files in {report.directory} cannot be used: {exc}") from exc


def _canvas_hw(report: FashnFilesReport) -> tuple[int, int]:
    height, width = report.model_kwargs["input_shape"]
    return int(height), int(width)


def _to_model_input(picture: np.ndarray) -> torch.Tensor:
    """uint8 H×W×3 or H×W → float32 [1, C, H, W] in [−1, 1] (`x / 127.5 − 1`, the official scaling)."""
    tensor = torch.from_numpy(np.ascontiguousarray(picture)).float()
    tensor = tensor.unsqueeze(-1) if tensor.ndim == 2 else tensor
    return (tensor / 127.5 - 1.0).permute(2, 0, 1).unsqueeze(0).contiguous()


def _placement_to_json(placement: CanvasPlacement) -> dict:
    return {name: list(value) for name, value in dataclasses.asdict(placement).items()}


def _placement_from_json(data: dict) -> CanvasPlacement:
    return CanvasPlacement(**{name: tuple(int(v) for v in value) for name, value in data.items()})


class FashnTryOnEngine:
    """FASHN VTON v1.5 with the operator's weights (`<weights dir>/fashn/model.safetensors`).

    Create it once per process: it verifies the file's keys, shapes and dtypes and loads the network
    on `device` (a warm-up step on a GPU, so the first shopper does not pay for CUDA's start-up).
    Missing or damaged weights raise `WeightsError` naming the file and the install command. `run`
    may be called from several threads; sampling runs one picture at a time per call.
    """

    name = ENGINE_FASHN
    stage_shares = STAGE_SHARES

    def __init__(
        self,
        weights_dir: str | os.PathLike[str] | None = None,
        *,
        device: str = DEVICE_AUTO,
        options: FashnOptions | None = None,
        warm_up: bool = True,
    ) -> None:
        self.device = resolve_engine_device(device)
        self.options = options or FashnOptions()
        report = verify_fashn_dir(weights_dir)
        if not report.ready:
            raise WeightsError(f"The FASHN try-on model is not ready. {report.problem}")
        self.report = report
        self.identity = fashn_identity(report, self.options)
        self.canvas_hw = _canvas_hw(report)
        self.dwpose = _dwpose_detector(report, self.device)
        self.model = load_fashn_model(report, self.device)
        if self.device.type == "cpu" and report.is_standard_size:
            logger.warning("FASHN VTON runs on the CPU here: a picture takes about two hours; it is a GPU engine")
        if warm_up and self.device.type == "cuda":
            self.warm_up()

    def warm_up(self) -> None:
        """One sampling step at the canvas size: CUDA kernels chosen and memory reserved now."""
        height, width = self.canvas_hw
        blank = torch.zeros(1, 3, height, width)
        pose = torch.zeros(1, 1, height, width)
        sample(
            self.model,
            noise=blank,
            steps=1,
            guidance=self.options.guidance,
            ca=blank,
            garment=blank,
            person_pose=pose,
            garment_pose=pose,
            category=torch.tensor([CATEGORY_FOR_GARMENT_TYPE[UPPER_BODY]]),
        )
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def run(
        self,
        person: ImageSource,
        garment: GarmentSource,
        *,
        on_stage: StageCallback | None = None,
        garment_type: str = UPPER_BODY,
    ) -> TryOnResult:
        """Dress the person in `person` with the garment (of `garment_type`) in `garment`; the same
        as `dress` on `prepare_photo` and `prepare_garment`, reporting every stage."""
        check_garment_type(garment_type)
        clock = StageClock(on_stage, self.stage_shares)
        clock.start("segmenting")
        photo = load_rgb(person)
        photo_side = self.prepare_photo(photo)
        analysis = analysis_of_photo_side(photo_side)
        check_usable(analysis, garment_type)
        clock.start("masking")
        garment_side = self.prepare_garment(garment, garment_type=garment_type)
        return self._dress(photo, photo_side, analysis, garment_side, clock)

    def prepare_photo(self, person: ImageSource) -> PreparedSide:
        """The photo side, kept per photo: the body model's analysis (a verdict per garment type;
        `dress` refuses the types the photo cannot try), the person canvas, its padding and the pose
        picture on the canvas. Raises NoPersonFoundError when the body model finds nobody."""
        photo = load_rgb(person)
        analysis = analyse_photo(photo)
        if analysis.people == 0 or not analysis.keypoints:
            raise NoPersonFoundError(analysis.usable_for(UPPER_BODY).message or NoPersonFoundError().args[0])
        _, person_canvas, placement = place_photo(photo, self.canvas_hw)
        if self.dwpose is not None:  # as the authors' pipeline: DWPose on the pre-resized photo
            pose = self.dwpose(pre_resize(photo, self.canvas_hw))
        else:
            pose = pose_from_body_analysis(analysis)
        person_pose_canvas = pose_canvas(pose, placement)
        return PreparedSide(
            side=PHOTO_SIDE,
            identity=self.identity,
            arrays={
                "person_canvas": person_canvas,
                "person_pose_canvas": person_pose_canvas,
                "person_mask": pack_mask(analysis.person_mask),
            },
            meta={"analysis": analysis.to_json(), "placement": _placement_to_json(placement)},
        )

    def prepare_garment(self, garment: GarmentSource, *, garment_type: str = UPPER_BODY) -> PreparedSide:
        """The garment side, kept per product image: the picture on white on the canvas as the model
        takes a flat-lay (no masking, blank pose), its category, and the cloth mask with what the
        staff check finds wrong with it. Raises GarmentNotFoundError when no garment stands out."""
        check_garment_type(garment_type)
        picture = load_garment(garment)
        garment_rgb = picture.on_white()
        mask = garment_mask(picture)
        _, garment_canvas, _ = place_photo(garment_rgb, self.canvas_hw)
        return PreparedSide(
            side=GARMENT_SIDE,
            identity=self.identity,
            arrays={"garment_canvas": garment_canvas, "cloth_mask": pack_mask(mask)},
            meta={
                "garment_type": garment_type,
                "category": CATEGORY_FOR_GARMENT_TYPE[garment_type],
                "mask_size": [garment_rgb.shape[1], garment_rgb.shape[0]],
                "mask_problems": mask_problems(garment_rgb, mask, garment_type, cut_out=picture.is_cut_out),
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
        """Sample the try-on and paste its dressed region into `person` (the photo `photo_side` was
        prepared from). Reports warping, each sampling step as rendering progress, and compositing.
        Raises the photo's verdict for the garment type, StalePreparationError for a side prepared with
        other weights or options, RedrawnPhotoError when the model redrew the photo beyond the garment."""
        check_prepared(photo_side, side=PHOTO_SIDE, identity=self.identity)
        check_prepared(garment_side, side=GARMENT_SIDE, identity=self.identity)
        analysis = analysis_of_photo_side(photo_side)
        check_usable(analysis, garment_side.meta["garment_type"])
        clock = StageClock(on_stage, self.stage_shares, already_done=("segmenting", "masking"))
        return self._dress(load_rgb(person), photo_side, analysis, garment_side, clock)

    def _dress(
        self,
        photo: np.ndarray,
        photo_side: PreparedSide,
        analysis: BodyAnalysis,
        garment_side: PreparedSide,
        clock: StageClock,
    ) -> TryOnResult:
        height, width = self.canvas_hw
        person_canvas = photo_side.arrays["person_canvas"]
        placement = _placement_from_json(photo_side.meta["placement"])

        clock.start("warping")
        conditions = {
            "ca": _to_model_input(person_canvas),
            "garment": _to_model_input(garment_side.arrays["garment_canvas"]),
            "person_pose": _to_model_input(photo_side.arrays["person_pose_canvas"]),
            "garment_pose": _to_model_input(np.zeros((height, width), np.uint8)),  # flat-lay: no pose
            "category": torch.tensor([int(garment_side.meta["category"])], dtype=torch.int64),
        }
        # Drawn on the CPU from a seeded generator: the same inputs give the same picture on any device.
        generator = torch.Generator().manual_seed(self.options.seed)
        noise = torch.randn((1, 3, height, width), generator=generator, dtype=torch.float32)

        clock.start("rendering")
        x = sample(
            self.model,
            noise=noise,
            steps=self.options.steps,
            guidance=self.options.guidance,
            on_step=lambda done, total: clock.within(done / total),
            **conditions,
        )
        clock.start("compositing")
        if not bool(torch.isfinite(x).all()):
            raise TryOnError("The try-on model produced an unusable picture; please try again or try another garment.")
        drawn_canvas = to_uint8(x)[0]
        drawn = np.ascontiguousarray(unpad(drawn_canvas, placement.padding_ltrb))
        shown = np.ascontiguousarray(unpad(person_canvas, placement.padding_ltrb))
        garment_type = garment_side.meta["garment_type"]
        region = dressed_region(
            shown, drawn, analysis, garment_type, max_redrawn_outside=self.options.max_redrawn_outside
        )
        photo_height, photo_width = photo.shape[:2]
        alpha = cv2.resize(region.alpha, (photo_width, photo_height), interpolation=cv2.INTER_LINEAR)
        dressed_photo = canvas_to_photo(drawn_canvas, placement)
        image = paste_into_photo(photo, dressed_photo, alpha)
        timings = clock.finish()
        return TryOnResult(
            image=Image.fromarray(image),
            image_small=Image.fromarray(drawn),
            engine=ENGINE_FASHN,
            timings=timings,
            person_mask=unpack_mask(photo_side.arrays["person_mask"], photo.shape[:2]),
            garment_mask=np.where(alpha > 0, 255, 0).astype(np.uint8),  # every pixel the model's picture touched
        )


