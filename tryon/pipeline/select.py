"""Which engine runs a try-on and on which device: shared by the shop's worker and the CLI.

"auto" picks FASHN VTON v1.5 for every garment type when its weights verify and a CUDA GPU is present
(it is a GPU engine: about two hours a picture on two CPU cores); else the neural engine when its
checkpoints verify, which does tops only (bottoms and dresses go to the weight-free engine); else the
weight-free classic engine. Naming "fashn" picks it on any device (tests run a small configuration on
the CPU; the shop warns staff). The device is CUDA when PyTorch sees one, else the CPU. PyTorch is
imported only when a device is resolved or an engine is loaded.

Where a GPU is depends on the process: a web process in a scaled-out shop has none while its GPU
workers do, so callers may say `gpu=True/False` instead of probing this process (`gpu=None`).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tryon.pipeline.contract import ENGINE_CLASSIC, ENGINE_FASHN, ENGINE_NEURAL, Engine, TryOnError, WeightsError
from tryon.pipeline.device import DEVICE_AUTO
from tryon.pipeline.neural import NEURAL_GARMENT_TYPES

if TYPE_CHECKING:
    from tryon.pipeline.fashn.engine import FashnOptions

ENGINE_AUTO = "auto"
ENGINE_CHOICES = (ENGINE_AUTO, ENGINE_FASHN, ENGINE_NEURAL, ENGINE_CLASSIC)


def gpu_present(device: str = DEVICE_AUTO) -> bool:
    """Whether this process may run an engine on a CUDA GPU: the device setting allows it and PyTorch sees one."""
    if device == "cpu":
        return False
    import torch

    return torch.cuda.is_available()


@dataclass(frozen=True)
class AutoChoice:
    """What "auto" runs here, and why (in staff's words: `manage.py check`, the admin)."""

    name: str
    reason: str


def auto_choice(
    *, weights_dir: str | os.PathLike[str] | None = None, device: str = DEVICE_AUTO, gpu: bool | None = None
) -> AutoChoice:
    """The engine "auto" picks: FASHN when its weights verify and a GPU is present, else the neural
    engine when its weights verify, else the weight-free one; the reason says what is missing."""
    from tryon.pipeline.fashn.files import verify_fashn_dir
    from tryon.pipeline.neural.weights import verify_weights_dir

    fashn = verify_fashn_dir(weights_dir)
    has_gpu = device != "cpu" and (gpu_present(device) if gpu is None else gpu)
    if fashn.ready and has_gpu:
        return AutoChoice(ENGINE_FASHN, "FASHN VTON v1.5 weights verify and a GPU is present.")
    if fashn.ready:
        why_not_fashn = (
            "FASHN VTON v1.5 is installed but no CUDA GPU is available to the try-on workers, so it is not used "
            "(it takes about two hours a picture on a CPU)."
        )
    else:
        why_not_fashn = f"FASHN VTON v1.5 is not used: {fashn.problem}"
    if verify_weights_dir(weights_dir).neural_ready:
        return AutoChoice(
            ENGINE_NEURAL, f"{why_not_fashn} The neural engine runs instead (tops; other garments the weight-free one)."
        )
    return AutoChoice(ENGINE_CLASSIC, f"{why_not_fashn} The weight-free engine runs instead.")


def resolve_engine_name(
    name: str = ENGINE_AUTO,
    *,
    weights_dir: str | os.PathLike[str] | None = None,
    device: str = DEVICE_AUTO,
    gpu: bool | None = None,
) -> str:
    """The engine `name` stands for here ("auto" resolved; the others as they are)."""
    if name not in ENGINE_CHOICES:
        raise TryOnError(f"Unknown try-on engine {name!r}; use one of {', '.join(ENGINE_CHOICES)}.")
    if name != ENGINE_AUTO:
        return name
    return auto_choice(weights_dir=weights_dir, device=device, gpu=gpu).name


def select_engine(
    name: str = ENGINE_AUTO,
    *,
    weights_dir: str | os.PathLike[str] | None = None,
    device: str = DEVICE_AUTO,
    gpu: bool | None = None,
    fashn_options: FashnOptions | None = None,
) -> Engine:
    """The try-on engine to use: "fashn" or "neural" (weights required), "classic" (weight-free) or
    "auto" (see the module docstring). Raises `WeightsError` when an engine that needs weights is
    asked for, or is the only one available, and its weights are missing or damaged."""
    if name == ENGINE_CLASSIC:
        return _classic_engine(TryOnError("The weight-free classic try-on engine is not part of this build."))
    resolved = resolve_engine_name(name, weights_dir=weights_dir, device=device, gpu=gpu)
    if resolved == ENGINE_FASHN:
        from tryon.pipeline.fashn.engine import FashnTryOnEngine

        return FashnTryOnEngine(weights_dir, device=device, options=fashn_options)
    from tryon.pipeline.neural.engine import NeuralTryOnEngine, neural_weights_problem
    from tryon.pipeline.neural.weights import verify_weights_dir

    if resolved == ENGINE_NEURAL:
        return NeuralTryOnEngine(weights_dir, device=device)
    return _classic_engine(WeightsError(neural_weights_problem(verify_weights_dir(weights_dir))))


def engine_identity(
    name: str = ENGINE_AUTO,
    *,
    weights_dir: str | os.PathLike[str] | None = None,
    device: str = DEVICE_AUTO,
    gpu: bool | None = None,
    fashn_options: FashnOptions | None = None,
) -> str:
    """The `identity` of the engine `select_engine` would load, without loading it (cheap per request):
    the shop compares it with stored results. Blank when no engine would load."""
    resolved = resolve_engine_name(name, weights_dir=weights_dir, device=device, gpu=gpu)
    if resolved == ENGINE_CLASSIC:
        return _classic_identity()
    if resolved == ENGINE_FASHN:
        from tryon.pipeline.fashn.engine import FashnOptions, fashn_identity
        from tryon.pipeline.fashn.files import verify_fashn_dir

        report = verify_fashn_dir(weights_dir)
        return fashn_identity(report, fashn_options or FashnOptions()) if report.ready else ""
    from tryon.pipeline.neural.weights import verify_weights_dir

    report = verify_weights_dir(weights_dir)
    if report.neural_ready:
        return report.neural_identity()
    return "" if name == ENGINE_NEURAL else _classic_identity()


def _classic_identity() -> str:
    try:
        from tryon.pipeline.classic.engine import ClassicTryOnEngine
    except ModuleNotFoundError as exc:
        if exc.name not in ("tryon.pipeline.classic", "tryon.pipeline.classic.engine"):
            raise
        return ""
    return ClassicTryOnEngine.identity


_classic_for_other_garments: list[Engine] = []
_classic_lock = threading.Lock()


def engine_name_for_garment(name: str, garment_type: str) -> str:
    """The engine name that dresses `garment_type` when `name` (as `resolve_engine_name` gives it, or
    "auto" already known not to be FASHN) is selected: FASHN dresses every type; otherwise the selected
    one for the types the neural engine dresses, else the weight-free one."""
    if name == ENGINE_FASHN:
        return name
    return name if garment_type in NEURAL_GARMENT_TYPES else ENGINE_CLASSIC


def engine_for_garment(engine: Engine, garment_type: str) -> Engine:
    """The engine that tries on `garment_type` given the one selected: FASHN and the weight-free engine
    dress every type; the neural engine does tops only (PF-AFN was trained on tops), so bottoms and
    dresses go to the weight-free engine (one per process), whose result the shop marks with its plain
    notice."""
    if engine.name != ENGINE_NEURAL or engine_name_for_garment(engine.name, garment_type) == ENGINE_NEURAL:
        return engine
    with _classic_lock:
        if not _classic_for_other_garments:
            _classic_for_other_garments.append(
                _classic_engine(TryOnError("This garment can only be tried on with the weight-free engine."))
            )
        return _classic_for_other_garments[0]


def _classic_engine(error_when_missing: TryOnError) -> Engine:
    """The weight-free engine, imported only when chosen (a build may leave it out)."""
    try:
        from tryon.pipeline.classic.engine import ClassicTryOnEngine
    except ModuleNotFoundError as exc:
        if exc.name not in ("tryon.pipeline.classic", "tryon.pipeline.classic.engine"):
            raise
        raise error_when_missing from exc
    return ClassicTryOnEngine()
