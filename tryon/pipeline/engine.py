"""Try-on engines. `load_networks` builds the neural networks from the official checkpoints and is the
single place where they are run for production inference: U²-Net (Qin et al. 2020, arXiv:2005.09007)
for the person mask and PF-AFN's warp + generator (Ge et al. CVPR 2021, arXiv:2103.04559, section 3)
for the garment. Optimisations (half precision, compilation, batching) belong here and nowhere else,
and must keep the reference goldens passing.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import torch

from tryon.pipeline.pfafn import GeneratorNet, WarpNet, tryon_forward
from tryon.pipeline.u2net import U2Net, U2NetVariant
from tryon.pipeline.weights import StateDictSource, load_checkpoint

DEVICE_AUTO = "auto"


def resolve_device(device: str | torch.device = DEVICE_AUTO) -> torch.device:
    """ "auto" → CUDA when available, else CPU; anything else as torch.device understands it."""
    if isinstance(device, str) and device == DEVICE_AUTO:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@dataclass(frozen=True)
class LoadedNetworks:
    """The three networks in eval mode on one device.

    `segment(x)` takes a normalised image [1, 3, H, W] (U²-Net's ToTensorLab statistics) and returns
    the fused saliency map d0 [1, 1, H, W] in [0, 1]. `dress(real_image, clothes, edge)` takes the
    256×192 model inputs (see `pfafn.tryon_forward`) and returns its dict. Results come back on the
    device of the inputs.
    """

    segmenter: U2Net
    warp: WarpNet
    generator: GeneratorNet
    device: torch.device

    def segment(self, x: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            d0 = self.segmenter(x.to(self.device, torch.float32))[0]
        return d0.to(x.device)

    def dress(
        self, real_image: torch.Tensor, clothes: torch.Tensor, edge: torch.Tensor, *, with_intermediates: bool = False
    ) -> dict[str, torch.Tensor]:
        inputs = [t.to(self.device, torch.float32) for t in (real_image, clothes, edge)]
        with torch.inference_mode():
            outputs = tryon_forward(self.warp, self.generator, *inputs, with_intermediates=with_intermediates)
        return {name: value.to(real_image.device) for name, value in outputs.items()}


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
    """
    target = resolve_device(device)
    identities = [_file_identity(source) for source in (u2net_sd, warp_sd, gen_sd)]
    cache_key = (*identities, u2net_variant, str(target)) if all(identities) else None
    if cache_key is not None:
        with _NETWORK_CACHE_LOCK:
            cached = _NETWORK_CACHE.get(cache_key)
        if cached is not None:
            return cached

    with torch.device("meta"):  # no random initialisation: every tensor comes from the checkpoint
        segmenter, warp, generator = U2Net(u2net_variant), WarpNet(), GeneratorNet()
    networks = LoadedNetworks(
        segmenter=_prepare(load_checkpoint(segmenter, u2net_sd), target),
        warp=_prepare(load_checkpoint(warp, warp_sd), target),
        generator=_prepare(load_checkpoint(generator, gen_sd), target),
        device=target,
    )
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
    return model.to(device)
