"""The neural try-on engine. `load_networks` builds the neural networks from the official checkpoints and is the
single place where they are run for production inference: U²-Net (Qin et al. 2020, arXiv:2005.09007)
for the person mask and PF-AFN's warp + generator (Ge et al. CVPR 2021, arXiv:2103.04559, section 3)
for the garment. Optimisations (half precision, compilation, batching) belong here and nowhere else,
and must keep the reference goldens passing.

The engine checks PF-AFN's warp before the generator renders it (`fit_check.measure_warp_fit`: a
folded or torn flow, a garment that misses the chest or lands far outside the person) and refuses
the job with `GarmentFitError`'s plain message rather than draw a broken picture.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from tryon.pipeline.body import BodyAnalysis
from tryon.pipeline.contract import (
    ENGINE_NEURAL,
    GARMENT_SIDE,
    PHOTO_SIDE,
    UPPER_BODY,
    PreparedSide,
    StageCallback,
    StageClock,
    TryOnError,
    TryOnResult,
    WeightsError,
    check_prepared,
    pack_mask,
    unpack_mask,
)
from tryon.pipeline.device import DEVICE_AUTO, resolve_device, resolve_engine_device
from tryon.pipeline.imageio import GarmentSource, ImageSource, load_garment, load_rgb
from tryon.pipeline.mask_check import mask_problems
from tryon.pipeline.masks import garment_mask, refine_with_saliency
from tryon.pipeline.neural import NEURAL_GARMENT_TYPES
from tryon.pipeline.neural.fit_check import measure_warp_fit
from tryon.pipeline.neural.optimize import (
    LOADING_MMAP_THRESHOLD_BYTES,
    optimize_for_inference,
    release_free_memory,
    tune_malloc_for_inference,
)
from tryon.pipeline.neural.pfafn import GeneratorNet, WarpNet, render_tryon, tryon_forward, warp_garment
from tryon.pipeline.neural.postprocess import garment_region, paste_back
from tryon.pipeline.neural.preprocess import (
    MODEL_HEIGHT,
    MODEL_WIDTH,
    U2NET_SIZE,
    PersonCrop,
    crop_person,
    garment_to_model_inputs,
    person_mask_from_saliency,
    pfafn_output_to_uint8,
    u2net_input,
    u2net_mask,
    viton_frame,
)
from tryon.pipeline.neural.u2net import U2Net, U2NetVariant
from tryon.pipeline.neural.weights import (
    CHECKPOINTS,
    StateDictSource,
    WeightsDirReport,
    load_checkpoint,
    verify_weights_dir,
)
from tryon.pipeline.person import analyse_person


@dataclass(frozen=True)
class LoadedNetworks:
    """The three networks in eval mode on one device.

    `segment(x)` takes a normalised image [1, 3, H, W] (U²-Net's ToTensorLab statistics) and returns
    the fused saliency map d0 [1, 1, H, W] in [0, 1]. `dress(real_image, clothes, edge)` takes the
    256×192 model inputs (see `pfafn.tryon_forward`) and returns its dict. Results come back on the
    device of the inputs.
    """

    segmenter: torch.nn.Module
    warp: torch.nn.Module
    generator: torch.nn.Module
    device: torch.device

    def segment(self, x: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            d0 = self.segmenter(x.to(self.device, torch.float32))[0]
        return d0.to(x.device).contiguous()

    def dress(
        self, real_image: torch.Tensor, clothes: torch.Tensor, edge: torch.Tensor, *, with_intermediates: bool = False
    ) -> dict[str, torch.Tensor]:
        inputs = [t.to(self.device, torch.float32) for t in (real_image, clothes, edge)]
        with torch.inference_mode():
            outputs = tryon_forward(self.warp, self.generator, *inputs, with_intermediates=with_intermediates)
        return {name: value.to(real_image.device).contiguous() for name, value in outputs.items()}

    def person_features(self, real_image: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """PF-AFN's person-side features of a [1, 3, 256, 192] crop (see `WarpNet.person_pyramid`) and
        the photo's share of the flow refinements computed from them (`WarpNet.person_terms`), on the CPU."""
        with torch.inference_mode():
            pyramid = self.warp.person_pyramid(real_image.to(self.device, torch.float32))
            terms = self.warp.person_terms(pyramid)
        return [level.cpu().contiguous() for level in pyramid], [term.cpu().contiguous() for term in terms]

    def garment_pyramid(self, masked_clothes: torch.Tensor) -> list[torch.Tensor]:
        """PF-AFN's garment-side features of the masked garment (see `WarpNet.garment_pyramid`), on the CPU."""
        with torch.inference_mode():
            pyramid = self.warp.garment_pyramid(masked_clothes.to(self.device, torch.float32))
        return [level.cpu().contiguous() for level in pyramid]

    def warp_from_pyramids(
        self,
        masked_clothes: torch.Tensor,
        edge: torch.Tensor,
        person_pyramid: list[torch.Tensor],
        garment_pyramid: list[torch.Tensor],
        person_terms: list[torch.Tensor] | None = None,
    ) -> dict[str, torch.Tensor]:
        """The pair's warp (`pfafn.warp_garment`): warped_cloth, last_flow and warped_edge, to be judged
        before the generator draws them. Without `person_terms` (a photo side kept before they were)
        the refinements compute them."""
        inputs = [t.to(self.device, torch.float32) for t in (masked_clothes, edge)]
        person_pyramid, garment_pyramid, terms = (
            None if side is None else [level.to(self.device, torch.float32) for level in side]
            for side in (person_pyramid, garment_pyramid, person_terms)
        )
        with torch.inference_mode():
            warped = warp_garment(self.warp, *inputs, person_pyramid, garment_pyramid, person_terms=terms)
        return {name: value.to(masked_clothes.device).contiguous() for name, value in warped.items()}

    def render(self, real_image: torch.Tensor, warped: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The generator and composition on `warp_from_pyramids`' outputs (`pfafn.render_tryon`): all six
        of `dress`'s outputs."""
        on_device = {name: value.to(self.device, torch.float32) for name, value in warped.items()}
        with torch.inference_mode():
            outputs = render_tryon(self.generator, real_image.to(self.device, torch.float32), on_device)
        return {name: value.to(real_image.device).contiguous() for name, value in outputs.items()}

    def warm_up(self) -> None:
        """One pass at the production sizes (U²-Net 320×320, PF-AFN 256×192), so the CPU networks lay
        their weights out for oneDNN now rather than during the first shopper's try-on; the heap memory
        that frees is handed back after each network."""
        self.segment(torch.zeros(1, 3, U2NET_SIZE, U2NET_SIZE))
        release_free_memory()
        image = torch.zeros(1, 3, MODEL_HEIGHT, MODEL_WIDTH)
        self.dress(image, image, torch.ones(1, 1, MODEL_HEIGHT, MODEL_WIDTH))
        release_free_memory()


_NETWORK_CACHE: dict[tuple, LoadedNetworks] = {}
_NETWORK_CACHE_LOCK = threading.Lock()


def _file_identity(source: StateDictSource) -> tuple[str, int, int] | None:
    if not isinstance(source, str | os.PathLike):
        return None
    path = Path(source).resolve()
    try:
        stat = path.stat()
    except OSError:
        return None  # load_checkpoint reports the missing file
    return str(path), stat.st_mtime_ns, stat.st_size


def load_networks(
    u2net_sd: StateDictSource,
    warp_sd: StateDictSource,
    gen_sd: StateDictSource,
    *,
    u2net_variant: U2NetVariant = "u2net",
    device: str | torch.device = "cpu",
) -> LoadedNetworks:
    """Build U²-Net (`u2net_variant`), the PF-AFN warp module and generator and load each checkpoint
    (a state dict or a .pth path) with the strict rules of `weights.load_checkpoint`.

    When all three are paths the result is cached per process, keyed by path, modification time,
    size, variant and device, so workers load each file once and pick up a replaced file. A wrong
    or damaged file raises `WeightsError` naming it.

    The networks are rewritten for inference by `optimize.optimize_for_inference` (BatchNorm folded
    into convolutions, oneDNN fused convolutions with pre-ordered weights on the CPU): the same
    function up to float32 rounding. On the CPU a warm-up pass lays the weights out for the
    production sizes before malloc is switched to serving activations from the heap (see
    `optimize.MMAP_THRESHOLD_BYTES`). U²-Net + PF-AFN run 1.4-1.6× faster than the plain classes on
    a 2-core CPU (figures and what did not help: bench/README.md).
    """
    target = resolve_device(device)
    identities = [_file_identity(source) for source in (u2net_sd, warp_sd, gen_sd)]
    cache_key = (*identities, u2net_variant, str(target)) if all(identities) else None
    if cache_key is not None:
        with _NETWORK_CACHE_LOCK:
            cached = _NETWORK_CACHE.get(cache_key)
        if cached is not None:
            return cached

    # Process-wide malloc settings, see optimize.MMAP_THRESHOLD_BYTES: weights are read and laid out
    # with large blocks mapped, then activations reuse the heap.
    tune_malloc_for_inference(LOADING_MMAP_THRESHOLD_BYTES)
    with torch.device("meta"):  # no random initialisation: every tensor comes from the checkpoint
        segmenter, warp, generator = U2Net(u2net_variant), WarpNet(), GeneratorNet()
    networks = LoadedNetworks(
        segmenter=_prepare(load_checkpoint(segmenter, u2net_sd), target),
        warp=_prepare(load_checkpoint(warp, warp_sd), target),
        generator=_prepare(load_checkpoint(generator, gen_sd), target),
        device=target,
    )
    release_free_memory()  # what reading the checkpoints left on the heap
    if target.type == "cpu":
        networks.warm_up()
    tune_malloc_for_inference()
    if target.type == "cuda":
        # TF32 convolutions trade fidelity to the official model for speed; the goldens assume float32.
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    if cache_key is not None:
        with _NETWORK_CACHE_LOCK:
            stale = [key for key in _NETWORK_CACHE if key[:3] != cache_key[:3] and key[3:] == cache_key[3:]]
            for key in stale:  # one set per variant and device: a replaced file frees the old networks
                del _NETWORK_CACHE[key]
            _NETWORK_CACHE[cache_key] = networks
    return networks


def _prepare(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    model.eval()
    model.requires_grad_(False)
    return optimize_for_inference(model.to(device))


# ---------------------------------------------------------------------------------------------------------------------
# The neural try-on engine

# Share of a run each stage takes on a CPU (U²-Net ~0.6–1 s, warp ~1 s, generator ~0.5 s), so the
# progress bar moves at a steady pace; the fractions reported are the sums of the stages before.
STAGE_SHARES: dict[str, float] = {
    "segmenting": 0.30,
    "masking": 0.05,
    "warping": 0.40,
    "rendering": 0.17,
    "compositing": 0.08,
}


def neural_weights_problem(report: WeightsDirReport) -> str:
    """One message naming every file the neural engine still lacks and how to install it."""
    problems = [
        report.problems[CHECKPOINTS[name].filename]
        for name in ("pfafn_warp", "pfafn_gen")
        if CHECKPOINTS[name].filename in report.problems
    ]
    segmenters = [CHECKPOINTS[name].filename for name in ("u2net", "u2netp")]
    if not set(segmenters) & set(report.ok):
        broken = [name for name in segmenters if (report.weights_dir / name).is_file()]
        if broken:
            problems.extend(report.problems[name] for name in broken)
        else:
            problems.append(f"{report.problems[segmenters[0]]} (The smaller {segmenters[1]} works too.)")
    return "The neural try-on model is not ready. " + " ".join(problems)


class NeuralTryOnEngine:
    """The neural engine: U²-Net cuts the person out, PF-AFN warps the garment onto them and renders
    the try-on, which is pasted back into the photo over the garment only.

    Create it once per process: it verifies the weights directory and loads the networks (the
    full U²-Net when `u2net.pth` is installed, else U²-NetP). Missing or damaged checkpoints raise
    `WeightsError` naming the file and the install command. `run` is safe to call from several
    threads. With `refine_garment_mask`, U²-Net also runs on the product photo to sharpen the
    classical garment mask.
    """

    name = ENGINE_NEURAL
    stage_shares = STAGE_SHARES

    def __init__(
        self,
        weights_dir: str | os.PathLike[str] | None = None,
        *,
        device: str = DEVICE_AUTO,
        refine_garment_mask: bool = False,
    ) -> None:
        self.device = resolve_engine_device(device)
        report = verify_weights_dir(weights_dir)
        if not report.neural_ready:
            raise WeightsError(neural_weights_problem(report))
        self.weights_dir = report.weights_dir
        self.u2net_variant: U2NetVariant = report.u2net_variant
        self.identity = report.neural_identity()
        self.refine_garment_mask = refine_garment_mask
        self.networks = load_networks(
            report.path(self.u2net_variant),
            report.path("pfafn_warp"),
            report.path("pfafn_gen"),
            u2net_variant=self.u2net_variant,
            device=self.device,
        )

    def run(
        self,
        person: ImageSource,
        garment: GarmentSource,
        *,
        on_stage: StageCallback | None = None,
        garment_type: str = UPPER_BODY,
    ) -> TryOnResult:
        """Dress the person in `person` (a photo of any size) with the top in `garment` (a product
        photo on a plain light background); reports each of `STAGES` to `on_stage` as it starts.
        Bottoms and dresses are a `TryOnError`: PF-AFN was trained on tops only
        (`select.engine_for_garment` sends them to the weight-free engine). The same as `dress` on
        `prepare_photo` and `prepare_garment`."""
        _check_top(garment_type)
        clock = StageClock(on_stage, self.stage_shares)
        clock.start("segmenting")
        photo = load_rgb(person)
        photo_side = self.prepare_photo(photo)
        clock.start("masking")
        garment_side = self.prepare_garment(garment)
        return self._dress(photo, photo_side, garment_side, clock)

    def prepare_photo(self, person: ImageSource) -> PreparedSide:
        """The photo side, kept per photo: the body model's framing, U²-Net's person mask, the person
        cut out on white in the model's frame, the shoulder and hip joints in that frame (for the fit
        check) and PF-AFN's person-side pyramid. Raises NoPersonFoundError or UnusablePhotoError when
        the photo cannot try a top."""
        photo = load_rgb(person)
        body = analyse_person(photo, UPPER_BODY)
        saliency = self._saliency(photo)
        crop = crop_person(photo, saliency, frame=_viton_frame_of(body))
        person_mask = person_mask_from_saliency(saliency)
        pyramid, terms = self.networks.person_features(crop.real_image)
        arrays = {
            "real_image": crop.real_image.numpy(),
            "person_uint8": crop.person_uint8,
            "person_mask": pack_mask(person_mask),
            "torso_joints": crop.model_points(_torso_joints_of(body)),
            **{f"person_pyramid_{level}": value.numpy() for level, value in enumerate(pyramid)},
            **{f"person_terms_{level}": value.numpy() for level, value in enumerate(terms)},
        }
        meta = {"box": list(crop.box), "photo_size": list(crop.photo_size), "levels": len(pyramid)}
        return PreparedSide(side=PHOTO_SIDE, identity=self.identity, arrays=arrays, meta=meta)

    def prepare_garment(self, garment: GarmentSource, *, garment_type: str = UPPER_BODY) -> PreparedSide:
        """The garment side, kept per product image: cloth mask (a cut-out's alpha, else found on the
        plain background), PF-AFN's inputs and garment-side pyramid. The model sees a cut-out on white,
        as it was trained; `meta["mask_problems"]` says what the staff check finds wrong with the mask.
        Raises GarmentNotFoundError when no garment stands out from the background."""
        _check_top(garment_type)
        picture = load_garment(garment)
        garment_rgb = picture.on_white()
        mask = garment_mask(picture)
        if self.refine_garment_mask and not picture.is_cut_out:
            mask = refine_with_saliency(mask, self._saliency(garment_rgb))
        inputs = garment_to_model_inputs(garment_rgb, mask)
        masked_clothes = inputs.clothes * inputs.edge  # as tryon_forward masks it
        pyramid = self.networks.garment_pyramid(masked_clothes)
        arrays = {
            "cloth_mask": pack_mask(mask),
            "masked_clothes": masked_clothes.numpy(),
            "edge": inputs.edge.numpy(),
            **{f"garment_pyramid_{level}": value.numpy() for level, value in enumerate(pyramid)},
        }
        meta = {
            "mask_size": [garment_rgb.shape[1], garment_rgb.shape[0]],
            "levels": len(pyramid),
            "mask_problems": mask_problems(garment_rgb, mask, UPPER_BODY, cut_out=picture.is_cut_out),
        }
        return PreparedSide(side=GARMENT_SIDE, identity=self.identity, arrays=arrays, meta=meta)

    def dress(
        self,
        person: ImageSource,
        photo_side: PreparedSide,
        garment_side: PreparedSide,
        *,
        on_stage: StageCallback | None = None,
    ) -> TryOnResult:
        """The pair: flow estimation, the fit check, generator and paste-back into `person` (the photo
        `photo_side` was prepared from). Reports warping, rendering and compositing. Raises
        GarmentFitError, before rendering, for a warp that would draw a broken picture (folded or torn,
        off the chest, far outside the person), and StalePreparationError for a side prepared by other
        weights or an older engine."""
        check_prepared(photo_side, side=PHOTO_SIDE, identity=self.identity)
        check_prepared(garment_side, side=GARMENT_SIDE, identity=self.identity)
        clock = StageClock(on_stage, self.stage_shares, already_done=("segmenting", "masking"))
        return self._dress(load_rgb(person), photo_side, garment_side, clock)

    def _dress(
        self, photo: np.ndarray, photo_side: PreparedSide, garment_side: PreparedSide, clock: StageClock
    ) -> TryOnResult:
        person, garment = photo_side.arrays, garment_side.arrays
        crop = PersonCrop(
            real_image=torch.from_numpy(person["real_image"]),
            person_uint8=person["person_uint8"],
            box=tuple(photo_side.meta["box"]),
            photo_size=tuple(photo_side.meta["photo_size"]),
        )
        levels = range(photo_side.meta["levels"])
        person_pyramid = [torch.from_numpy(person[f"person_pyramid_{i}"]) for i in levels]
        kept_terms = all(f"person_terms_{i}" in person for i in levels)  # sides kept before the terms existed lack them
        person_terms = [torch.from_numpy(person[f"person_terms_{i}"]) for i in levels] if kept_terms else None
        garment_pyramid = [
            torch.from_numpy(garment[f"garment_pyramid_{i}"]) for i in range(garment_side.meta["levels"])
        ]

        clock.start("warping")
        warped = self.networks.warp_from_pyramids(
            torch.from_numpy(garment["masked_clothes"]),
            torch.from_numpy(garment["edge"]),
            person_pyramid,
            garment_pyramid,
            person_terms,
        )
        person_mask = unpack_mask(person["person_mask"], photo.shape[:2])
        person_in_frame, on_photo = crop.model_frame_of(person_mask)
        torso_joints = person["torso_joints"]
        measure_warp_fit(
            warped_edge=warped["warped_edge"][0, 0].numpy(),
            flow=warped["last_flow"][0].numpy(),
            person=person_in_frame,
            on_photo=on_photo,
            shoulders=torso_joints[:2],
            hips=torso_joints[2:],
        ).require_fit()

        clock.start("rendering")
        outputs = self.networks.render(crop.real_image, warped)

        clock.start("compositing")
        small = pfafn_output_to_uint8(outputs["p_tryon"])
        pasted = paste_back(photo, crop, small, garment_region(outputs["m_composite"], outputs["warped_edge"]))
        timings = clock.finish()
        return TryOnResult(
            image=Image.fromarray(pasted.image),
            image_small=Image.fromarray(small),
            engine=ENGINE_NEURAL,
            timings=timings,
            person_mask=person_mask,
            garment_mask=pasted.garment_mask,
        )

    def _saliency(self, rgb: np.ndarray) -> np.ndarray:
        """U²-Net's soft person (or garment) mask at the image's size, uint8."""
        height, width = rgb.shape[:2]
        return u2net_mask(self.networks.segment(u2net_input(rgb)), width=width, height=height)


def _viton_frame_of(body: BodyAnalysis) -> tuple[int, int, int, int]:
    """The model frame of the person, from the body model's shoulders and hips (the person's left and
    right in either order: the frame only needs their middles and spans)."""
    joints = _torso_joints_of(body)
    return viton_frame(joints[:2], joints[2:])


def _torso_joints_of(body: BodyAnalysis) -> np.ndarray:
    """The body model's two shoulder joints, then its two hip joints (4×2 photo pixels, x then y)."""
    names = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
    return np.array([body.point(name) for name in names], dtype=np.float64)


def _check_top(garment_type: str) -> None:
    if garment_type not in NEURAL_GARMENT_TYPES:
        raise TryOnError(
            "The neural try-on engine fits tops only; use the weight-free engine (--engine classic or auto) "
            "for trousers, skirts and dresses."
        )
