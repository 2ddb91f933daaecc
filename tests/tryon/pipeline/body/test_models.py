"""The body model files: a missing or damaged file is an error naming it and the fix; installing from
the mediapipe wheel verifies every file; interpreters are shared safely between threads."""

from __future__ import annotations

import shutil
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from revetir.testing import body_photos
from tryon.pipeline.body import BodyModelMissingError, analyse_body
from tryon.pipeline.body.install import BodyModelInstallError, install_body_models
from tryon.pipeline.body.install import main as install_main
from tryon.pipeline.body.models import (
    INSTALL_COMMAND,
    forget_loaded_models,
    model_statuses,
    models_dir_from_env,
    read_manifest,
)


@pytest.fixture
def installed_copy(tmp_path) -> Path:
    """A private copy of the installed model files, to break without touching the real ones."""
    folder = tmp_path / "mediapipe"
    folder.mkdir()
    for model in read_manifest().values():
        shutil.copy(models_dir_from_env() / model.filename, folder / model.filename)
    yield folder
    forget_loaded_models()


def fake_wheel(path: Path, source_dir: Path, *, corrupt: str | None = None) -> Path:
    """A zip laid out like the mediapipe wheel, holding the model files (one corrupted if asked)."""
    with zipfile.ZipFile(path, "w") as wheel:
        for model in read_manifest().values():
            data = (source_dir / model.filename).read_bytes()
            if model.name == corrupt:
                data = data[:-10] + b"0123456789"
            wheel.writestr(model.wheel_path, data)
    return path


def test_missing_file_is_an_error_naming_the_file_and_the_install_command(installed_copy):
    (installed_copy / "pose_landmark_full.tflite").unlink()
    with pytest.raises(BodyModelMissingError) as caught:
        analyse_body(body_photos.astronaut(), models_dir=installed_copy)
    message = str(caught.value)
    assert str(installed_copy / "pose_landmark_full.tflite") in message
    assert INSTALL_COMMAND in message
    assert "missing" in message


def test_damaged_file_is_an_error_naming_the_file_and_how_to_reinstall(installed_copy):
    target = installed_copy / "pose_detection.tflite"
    data = bytearray(target.read_bytes())
    data[1000] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(BodyModelMissingError) as caught:
        analyse_body(body_photos.astronaut(), models_dir=installed_copy)
    assert "pose_detection.tflite" in str(caught.value)
    assert "damaged" in str(caught.value)
    assert f"{INSTALL_COMMAND} --force" in str(caught.value)


def test_statuses_report_verified_missing_and_damaged_files(installed_copy):
    (installed_copy / "selfie_segmentation.tflite").unlink()
    (installed_copy / "pose_detection.tflite").write_bytes(b"not a model")
    states = {status.filename: status.state for status in model_statuses(installed_copy)}
    assert states == {
        "pose_detection.tflite": "damaged",
        "pose_landmark_full.tflite": "verified",
        "selfie_segmentation.tflite": "missing",
    }


def test_install_from_the_wheel_puts_every_file_in_place_verified(installed_copy, tmp_path):
    wheel = fake_wheel(tmp_path / "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl", installed_copy)
    target = tmp_path / "fresh" / "mediapipe"
    written = install_body_models(models_dir=target, wheel_path=wheel)
    assert sorted(path.name for path in written) == sorted(model.filename for model in read_manifest().values())
    assert {status.state for status in model_statuses(target)} == {"verified"}
    assert install_body_models(models_dir=target, wheel_path=wheel) == []  # already there: nothing rewritten
    assert analyse_body(body_photos.grace_hopper(), models_dir=target).people == 1


def test_install_refuses_a_wheel_whose_file_does_not_match_the_manifest_and_leaves_nothing(installed_copy, tmp_path):
    wheel = fake_wheel(tmp_path / "mediapipe.whl", installed_copy, corrupt="pose_landmark_full")
    target = tmp_path / "fresh"
    with pytest.raises(BodyModelInstallError, match=r"pose_landmark_full\.tflite.*SHA-256"):
        install_body_models(models_dir=target, wheel_path=wheel)
    assert not (target / "pose_landmark_full.tflite").exists()
    assert not list(target.glob("*.part"))


def test_install_command_exits_1_with_the_reason_on_a_bad_wheel(installed_copy, tmp_path, capsys):
    wheel = fake_wheel(tmp_path / "mediapipe.whl", installed_copy, corrupt="pose_detection")
    assert install_main(["--wheel", str(wheel), "--dest", str(tmp_path / "out")]) == 1
    assert "pose_detection.tflite" in capsys.readouterr().err


def test_install_repairs_a_damaged_file(installed_copy, tmp_path):
    wheel = fake_wheel(tmp_path / "mediapipe.whl", installed_copy)
    (installed_copy / "selfie_segmentation.tflite").write_bytes(b"truncated")
    written = install_body_models(models_dir=installed_copy, wheel_path=wheel)
    assert [path.name for path in written] == ["selfie_segmentation.tflite"]
    assert {status.state for status in model_statuses(installed_copy)} == {"verified"}


def test_threads_sharing_the_interpreters_get_the_same_answers_as_one_thread():
    pictures = [body_photos.astronaut(), body_photos.grace_hopper(), body_photos.camera_man(), body_photos.coffee()] * 2
    alone = [analyse_body(picture).to_json() for picture in pictures]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = [analysis.to_json() for analysis in pool.map(analyse_body, pictures)]
    assert together == alone


def test_analysis_does_not_change_the_callers_photo():
    picture = body_photos.astronaut()
    before = picture.copy()
    analyse_body(picture)
    assert np.array_equal(picture, before)
