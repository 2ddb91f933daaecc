"""`python -m tryon.pipeline body PHOTO [-o OVERLAY.png]`, run as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
from PIL import Image

from revetir.testing import body_photos
from tests.conftest import PROJECT_ROOT
from tryon.pipeline.body import KEYPOINT_NAMES
from tryon.pipeline.body.analysis import HIPS_OUT, NO_PERSON


def run_body_cli(*arguments: str, environment: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {key: value for key, value in os.environ.items() if not key.startswith("REVETIR_")}
    return subprocess.run(
        [sys.executable, "-m", "tryon.pipeline", "body", *arguments],
        cwd=PROJECT_ROOT,
        env={**base, **(environment or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_prints_keypoints_by_name_box_and_verdicts_and_draws_the_overlay(tmp_path):
    photo, overlay = tmp_path / "hopper.jpg", tmp_path / "overlay.png"
    Image.fromarray(body_photos.grace_hopper()).save(photo, quality=95)
    completed = run_body_cli(str(photo), "-o", str(overlay))
    assert completed.returncode == 0, completed.stderr
    analysis = json.loads(completed.stdout)
    assert list(analysis["keypoints"]) == list(KEYPOINT_NAMES)
    nose = analysis["keypoints"]["nose"]
    assert abs(nose["x"] - 259) < 35 and abs(nose["y"] - 239) < 35 and nose["visibility"] > 0.9
    assert analysis["verdicts"]["upper_body"] == {"usable": True, "message": ""}
    assert analysis["verdicts"]["lower_body"] == {"usable": False, "message": HIPS_OUT}
    assert analysis["people"] == 1 and len(analysis["box"]) == 4
    drawn = np.asarray(Image.open(overlay).convert("RGB")).astype(int)
    original = np.asarray(Image.open(photo).convert("RGB")).astype(int)
    assert drawn.shape == original.shape
    # The mask tints the person; the background at the top right is left as it was.
    assert np.abs(drawn[300:400, 200:300] - original[300:400, 200:300]).mean() > 20
    assert np.abs(drawn[150:250, 440:500] - original[150:250, 440:500]).mean() < 3


def test_photo_without_a_person_exits_2_with_the_shoppers_message(tmp_path):
    photo = tmp_path / "coffee.png"
    Image.fromarray(body_photos.coffee()).save(photo)
    completed = run_body_cli(str(photo))
    assert completed.returncode == 2
    assert NO_PERSON in completed.stderr
    assert json.loads(completed.stdout)["photo_problem"] == NO_PERSON


def test_missing_model_files_exit_2_naming_the_file_and_the_fix(tmp_path):
    photo = tmp_path / "hopper.png"
    Image.fromarray(body_photos.grace_hopper()).save(photo)
    completed = run_body_cli(str(photo), environment={"REVETIR_WEIGHTS_DIR": str(tmp_path / "empty")})
    assert completed.returncode == 2
    assert "pose_detection.tflite" in completed.stderr
    assert "python -m tryon.pipeline.body.install" in completed.stderr


def test_unreadable_photo_exits_2(tmp_path):
    photo = tmp_path / "notes.jpg"
    photo.write_text("not a photo")
    completed = run_body_cli(str(photo))
    assert completed.returncode == 2
    assert "not a readable image" in completed.stderr
