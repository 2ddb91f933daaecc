"""Which engine runs a try-on and on which device: shared by the shop's worker and the CLI.

"auto" picks the neural engine when its checkpoints verify and the weight-free classic engine
otherwise; bottoms and dresses always go to the weight-free engine; the device is CUDA when PyTorch
sees one, else the CPU. PyTorch is imported only when a device is resolved.
"""

from __future__ import annotations

import os
import threading

from tryon.pipeline.contract import ENGINE_CLASSIC, ENGINE_NEURAL, Engine, TryOnError, WeightsError
from tryon.pipeline.device import DEVICE_AUTO
from tryon.pipeline.neural import NEURAL_GARMENT_TYPES

ENGINE_AUTO = "auto"
ENGINE_CHOICES = (ENGINE_AUTO, ENGINE_NEURAL, ENGINE_CLASSIC)


def select_engine(
    name: str = ENGINE_AUTO,
    *,
    weights_dir: str | os.PathLike[str] | None = None,
    device: str = DEVICE_AUTO,
) -> Engine:
    """The try-on engine to use: "neural" (weights required), "classic" (weight-free) or "auto"
    (neural when its weights verify, else classic). Raises `WeightsError` when the neural engine is
    asked for, or is the only one available, and its weights are missing or damaged."""
    from tryon.pipeline.neural.engine import NeuralTryOnEngine, neural_weights_problem
    from tryon.pipeline.neural.weights import verify_weights_dir

    if name not in ENGINE_CHOICES:
        raise TryOnError(f"Unknown try-on engine {name!r}; use one of {', '.join(ENGINE_CHOICES)}.")
    if name == ENGINE_CLASSIC:
        return _classic_engine(TryOnError("The weight-free classic try-on engine is not part of this build."))
    if name == ENGINE_NEURAL:
        return NeuralTryOnEngine(weights_dir, device=device)
    report = verify_weights_dir(weights_dir)
    if report.neural_ready:
        return NeuralTryOnEngine(weights_dir, device=device)
    return _classic_engine(WeightsError(neural_weights_problem(report)))


def engine_identity(name: str = ENGINE_AUTO, *, weights_dir: str | os.PathLike[str] | None = None) -> str:
    """The `identity` of the engine `select_engine` would load, without loading it (cheap per request):
    the shop compares it with stored results. Blank when no engine would load."""
    if name == ENGINE_CLASSIC:
        return _classic_identity()
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
    """The engine name (as REVETIR_TRYON_ENGINE gives it) that dresses `garment_type` when `name` is
    selected: the selected one for the types the neural engine dresses, else the weight-free one."""
    return name if garment_type in NEURAL_GARMENT_TYPES else ENGINE_CLASSIC


def engine_for_garment(engine: Engine, garment_type: str) -> Engine:
    """The engine that tries on `garment_type` given the one selected: the neural engine does tops only
    (PF-AFN was trained on tops), so bottoms and dresses go to the weight-free engine (one per process),
    whose result the shop marks with its plain notice."""
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
