from __future__ import annotations

from pathlib import Path

import pytest

from revetir.testing.fashn_reference import FASHN_DIR


@pytest.fixture(scope="session")
def fashn_dir(reference_dir) -> Path:
    """../shared/reference/fashn, or a skip saying it is missing."""
    if not (FASHN_DIR / "README.md").is_file():
        pytest.skip(f"FASHN VTON reference data not found at {FASHN_DIR} (expected ../shared/reference/fashn)")
    return FASHN_DIR
