"""Every benchmark script imports in a fresh interpreter, as an operator runs it (`python bench/X.py`):
`classic_bench.py` and `save_tryon_samples.py` once failed before measuring anything, because the demo
garments' drawings need Django set up and nothing here ran them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The scripts an operator runs; the rest (settings, URLconfs, the ASGI app) are loaded by the servers
# the scripts start, with the environment those set.
SCRIPTS = sorted(
    path.stem for path in (PROJECT_ROOT / "bench").glob("*.py") if 'if __name__ == "__main__"' in path.read_text()
)


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_benchmark_script_imports_in_a_fresh_interpreter(script):
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    # As `python bench/X.py` does: the script's folder first on the path, then what it adds itself.
    code = f"import runpy, sys; sys.path.insert(0, 'bench'); runpy.run_path('bench/{script}.py', run_name='imported')"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
