"""System checks (`manage.py check`, and on every server start): the body model's files are installed.

Photo uploads need them; a warning here names each missing or damaged file and the command that
installs it, before a shopper's upload fails on it.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core import checks

from tryon.pipeline.body.models import INSTALL_COMMAND, MODELS_SUBDIR, model_statuses


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
