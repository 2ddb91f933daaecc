"""`make run HOST=… PORT=…` tells seed_demo where the shop is, so its "Open the shop at" line is right."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import PROJECT_ROOT


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(("host", "port"), [("127.0.0.1", "8765"), ("localhost", "9001")])
def test_make_run_passes_host_and_port_to_seed_demo(host, port):
    dry_run = subprocess.run(
        ["make", "-n", "-B", "run", f"HOST={host}", f"PORT={port}"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    seed_lines = [line for line in dry_run.stdout.splitlines() if "manage.py seed_demo" in line]
    assert len(seed_lines) == 1, dry_run.stdout
    assert seed_lines[0].endswith(f"seed_demo --base-url http://{host}:{port}/")
    assert f"-b {host} -p {port}" in dry_run.stdout
