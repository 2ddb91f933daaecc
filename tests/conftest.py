"""Shared fixtures. The try-on reference data is read from ../shared/reference (CI has the same layout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from revetir.testing.shared_folders import PROJECT_ROOT, REFERENCE_DIR

__all__ = ["PROJECT_ROOT", "REFERENCE_DIR"]


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not (REFERENCE_DIR / "README.md").is_file():
        pytest.skip(f"try-on reference data not found at {REFERENCE_DIR} (expected ../shared/reference)")
    return REFERENCE_DIR


@pytest.fixture(autouse=True)
def _no_background_preparation(settings):
    """Saved photos and product images are not prepared by a background worker in tests, and no
    connection starts the worker: a test that needs a prepared side calls `tryon.preparations`
    itself, so nothing runs behind its back."""
    settings.TRYON_PREPARE_IN_BACKGROUND = False
    settings.TRYON_WARM_UP = False


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Every test writes media into its own temporary folders, never into data/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    storages = dict(settings.STORAGES)
    storages["private"] = {**storages["private"], "OPTIONS": {"location": tmp_path / "private", "base_url": None}}
    settings.STORAGES = storages
