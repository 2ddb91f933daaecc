"""The shop's settings turned into the engine choice (`tryon.pipeline.select`): which engine runs here,
with which FASHN options, on which Celery queue, and what staff are told about it.

Where a GPU is depends on the process. The in-process worker and a Celery worker ask PyTorch about
their own; the web processes of a Celery shop have none to ask, so they trust
REVETIR_TRYON_GPU_WORKERS (GPU workers serve REVETIR_TRYON_GPU_QUEUE). FASHN dresses every garment
type, so once it is the engine every try-on job and preparation goes to the GPU queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from tryon.pipeline.contract import ENGINE_FASHN

if TYPE_CHECKING:
    from tryon.pipeline.fashn.engine import FashnOptions
    from tryon.pipeline.select import AutoChoice

FASHN_ON_CPU_WARNING = (
    "The try-on engine is set to FASHN VTON v1.5 (REVETIR_TRYON_ENGINE=fashn) but no CUDA GPU is available "
    "to it: it is a GPU engine and takes about two hours a picture on a CPU."
)


def fashn_options() -> FashnOptions:
    """REVETIR_FASHN_STEPS, _GUIDANCE, _SEED and _MAX_REDRAWN_OUTSIDE as the engine takes them."""
    from tryon.pipeline.fashn.engine import FashnOptions

    return FashnOptions(
        steps=settings.TRYON_FASHN_STEPS,
        guidance=settings.TRYON_FASHN_GUIDANCE,
        seed=settings.TRYON_FASHN_SEED,
        max_redrawn_outside=settings.TRYON_FASHN_MAX_REDRAWN_OUTSIDE,
    )


def gpu_for_jobs() -> bool | None:
    """Whether the processes that run jobs have a GPU, as far as this process can tell: None (ask
    PyTorch here) where this process runs them (the in-process worker), else the setting."""
    if settings.TRYON_WORKER == "thread":
        return None
    return settings.TRYON_GPU_WORKERS


def selected_engine_name() -> str:
    """The engine REVETIR_TRYON_ENGINE stands for where jobs run ("auto" resolved)."""
    from tryon.pipeline.select import resolve_engine_name

    return resolve_engine_name(
        settings.TRYON_ENGINE, weights_dir=settings.TRYON_WEIGHTS_DIR, device=settings.TRYON_DEVICE, gpu=gpu_for_jobs()
    )


def auto_engine_choice() -> AutoChoice:
    """What "auto" picks where jobs run, and why (for `manage.py check` and the admin)."""
    from tryon.pipeline.select import auto_choice

    return auto_choice(weights_dir=settings.TRYON_WEIGHTS_DIR, device=settings.TRYON_DEVICE, gpu=gpu_for_jobs())


def current_engine_identity(*, garment_type: str) -> str:
    """The identity of the engine the settings choose for `garment_type` (FASHN and the weight-free
    engine dress every type, the neural engine tops only; see `tryon.pipeline.select`)."""
    from tryon.pipeline.select import engine_identity, engine_name_for_garment

    name = engine_name_for_garment(selected_engine_name(), garment_type)
    return engine_identity(
        name,
        weights_dir=settings.TRYON_WEIGHTS_DIR,
        device=settings.TRYON_DEVICE,
        gpu=gpu_for_jobs(),
        fashn_options=fashn_options(),
    )


def job_queue() -> str:
    """The Celery queue for try-on jobs and preparations: the GPU queue while FASHN is the engine."""
    return settings.TRYON_GPU_QUEUE if selected_engine_name() == ENGINE_FASHN else settings.TRYON_QUEUE
