"""Where the evaluation data beside the project lives (CI has the same layout): read from there,
never copied into the project."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = PROJECT_ROOT.parent / "shared" / "reference"
REAL_PHOTOS_DIR = PROJECT_ROOT.parent / "shared" / "realphotos"
