"""System checks (`manage.py check`, and on every server start): the body model's files are installed,
and which try-on engine runs.

Photo uploads need the body model; a warning here names each missing or damaged file and the command
that installs it, before a shopper's upload fails on it. FASHN VTON v1.5 is a GPU engine: staff are
told when it is installed but cannot run where jobs run, and what "auto" uses instead.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core import checks

from tryon.pipeline.body.models import INSTALL_COMMAND, MODELS_SUBDIR, model_statuses
from tryon.pipeline.contract import ENGINE_FASHN
from tryon.pipeline.fashn.files import CONFIG_FILENAME


@checks.register("tryon")
def body_model_files_installed(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    models_dir = Path(settings.TRYON_WEIGHTS_DIR) / MODELS_SUBDIR
    return [
        checks.Warning(
            f"Body model file {status.path} is {status.state}; photo uploads will fail until it is installed.",
            hint=f"Run `{INSTALL_COMMAND}{' --force' if status.state == 'damaged' else ''}` (or `make install`).",
            id="tryon.W001",
        )
        for status in model_statuses(models_dir)
        if status.state != "verified"
    ]


@checks.register("tryon")
def tryon_engine_usable(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A warning where FASHN VTON v1.5 is installed but cannot run (no GPU where jobs run: "auto" falls
    back, and the warning says to which engine) or is named but missing, damaged or without a GPU.
    Nothing when all is well (`check --deploy` stays quiet); the admin's job list and `manage.py
    tryon_queue` always show the engine in use."""
    from tryon.engine_choice import FASHN_ON_CPU_WARNING, auto_engine_choice, gpu_for_jobs
    from tryon.pipeline.fashn.files import install_hint, verify_fashn_dir
    from tryon.pipeline.select import ENGINE_AUTO, gpu_present

    messages: list[checks.CheckMessage] = []
    fashn = verify_fashn_dir(settings.TRYON_WEIGHTS_DIR)
    gpu = gpu_for_jobs()
    has_gpu = gpu_present(settings.TRYON_DEVICE) if gpu is None else gpu
    gpu_workers = (
        "Run the try-ons on Celery workers with a CUDA GPU (`make worker-gpu`) and set REVETIR_TRYON_GPU_WORKERS=1 "
        "on every process of the shop"
    )
    if settings.TRYON_ENGINE == ENGINE_FASHN:
        if not fashn.ready:
            messages.append(
                checks.Warning(
                    f"REVETIR_TRYON_ENGINE=fashn but {fashn.problem}",
                    hint="Every try-on fails until the model is installed. " + install_hint(),
                    id="tryon.W002",
                )
            )
        elif not has_gpu:
            hint = f"{gpu_workers}, or set REVETIR_TRYON_ENGINE=auto to use the next engine where there is no GPU."
            messages.append(checks.Warning(FASHN_ON_CPU_WARNING, hint=hint, id="tryon.W003"))
        return messages
    if settings.TRYON_ENGINE != ENGINE_AUTO:
        return messages
    choice = auto_engine_choice()
    if fashn.ready and choice.name != ENGINE_FASHN:
        hint = f"{gpu_workers} to try on with FASHN; until then the {choice.name} engine serves every try-on."
        messages.append(checks.Warning(choice.reason, hint=hint, id="tryon.W004"))
    elif not fashn.ready and (fashn.model_path.exists() or fashn.directory.joinpath(CONFIG_FILENAME).exists()):
        messages.append(checks.Warning(f"FASHN VTON v1.5 cannot load: {fashn.problem}", id="tryon.W005"))
    return messages
