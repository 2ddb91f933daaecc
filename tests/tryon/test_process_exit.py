"""A process that started the in-process try-on worker ends cleanly whatever the engine: with the
neural engine's (stand-in) weights installed through `install_weights`, `manage.py seed_demo` on a
fresh database saves product images, which starts the worker to prepare them (warming the engine
up), and still exits 0 after printing its summary, instead of aborting with status 134 while the
worker thread runs native code at interpreter exit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from revetir.testing.stand_in_weights import stand_in_weights_dir
from tryon.pipeline.body.models import MODELS_SUBDIR

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SEED_TIMEOUT_SECONDS = 600


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SEED_TIMEOUT_SECONDS,
    )


def test_seed_demo_exits_0_with_the_neural_weights_installed(reference_dir, tmp_path, settings):
    weights = tmp_path / "weights"
    shutil.copytree(Path(settings.TRYON_WEIGHTS_DIR) / MODELS_SUBDIR, weights / MODELS_SUBDIR)
    env = {
        **os.environ,
        "REVETIR_DEBUG": "1",
        "REVETIR_SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "REVETIR_MEDIA_ROOT": str(tmp_path / "media"),
        "REVETIR_PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "REVETIR_WEIGHTS_DIR": str(weights),
        "REVETIR_DEMO_SHOPPER_PASSWORD": "shopper-password-for-the-exit-test",
        "REVETIR_DEMO_STAFF_PASSWORD": "staff-password-for-the-exit-test",
    }
    env.pop("REVETIR_REDIS_URL", None)  # the in-process worker, as `make run` uses it
    installed = manage(env, "install_weights", "--from", str(stand_in_weights_dir(reference_dir)))
    assert installed.returncode == 0, installed.stdout + installed.stderr
    migrated = manage(env, "migrate", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr

    seeded = manage(env, "seed_demo")

    assert "Demo logins:" in seeded.stdout
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    assert "terminate called" not in seeded.stderr
