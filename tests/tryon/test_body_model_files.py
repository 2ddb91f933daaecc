"""Operators learn about missing or damaged body model files before shoppers do: `manage.py check`
and `manage.py install_weights` name each file and the command that installs it."""

from __future__ import annotations

import io
import shutil

import pytest
from django.core.management import call_command
from django.urls import reverse

from revetir.testing.factories import make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from tryon.checks import body_model_files_installed
from tryon.models import PersonPhoto, TryOnJob
from tryon.pipeline.body.models import models_dir_from_env, read_manifest
from tryon.services import PHOTO_CHECK_UNAVAILABLE_MESSAGE


def copy_models(target) -> None:
    target.mkdir(parents=True)
    for model in read_manifest().values():
        shutil.copy(models_dir_from_env() / model.filename, target / model.filename)


def test_system_check_is_quiet_when_every_file_verifies(tmp_path, settings):
    copy_models(tmp_path / "mediapipe")
    settings.TRYON_WEIGHTS_DIR = tmp_path
    assert body_model_files_installed() == []


def test_system_check_warns_about_each_missing_or_damaged_file_with_the_fix(tmp_path, settings):
    copy_models(tmp_path / "mediapipe")
    (tmp_path / "mediapipe" / "pose_detection.tflite").unlink()
    (tmp_path / "mediapipe" / "selfie_segmentation.tflite").write_bytes(b"cut off")
    settings.TRYON_WEIGHTS_DIR = tmp_path
    warnings = {message.msg.split()[3].rsplit("/", 1)[-1]: message for message in body_model_files_installed()}
    assert set(warnings) == {"pose_detection.tflite", "selfie_segmentation.tflite"}
    assert "is missing" in warnings["pose_detection.tflite"].msg
    assert warnings["pose_detection.tflite"].hint.startswith("Run `python -m tryon.pipeline.body.install`")
    assert "is damaged" in warnings["selfie_segmentation.tflite"].msg
    assert "--force" in warnings["selfie_segmentation.tflite"].hint


def test_install_weights_reports_the_body_model_files(tmp_path):
    copy_models(tmp_path / "mediapipe")
    (tmp_path / "mediapipe" / "pose_landmark_full.tflite").unlink()
    output = io.StringIO()
    call_command("install_weights", "--dest", str(tmp_path), stdout=output)
    report = output.getvalue()
    assert "OK       pose_detection.tflite  (SHA-256 verified)" in report
    assert "MISSING  pose_landmark_full.tflite" in report
    assert "Fix: `python -m tryon.pipeline.body.install --force`" in report


@pytest.mark.django_db
def test_without_the_body_model_an_upload_is_refused_with_a_503_and_stores_nothing(tmp_path, settings, client, caplog):
    """Shoppers get a plain message and a 503 on every upload route; the log names the missing file."""
    settings.TRYON_WEIGHTS_DIR = tmp_path  # no mediapipe/ folder in it
    user = make_user()
    client.force_login(user)
    product = make_tryon_product()

    page = client.post(reverse("tryon:photo_list"), {"photo": astronaut_upload()})
    photos_api = client.post("/api/tryon/photos/", {"photo": astronaut_upload()}, HTTP_ACCEPT="application/json")
    jobs_api = client.post(
        "/api/tryon/jobs/", {"product": product.pk, "photo": astronaut_upload()}, HTTP_ACCEPT="application/json"
    )

    assert page.status_code == photos_api.status_code == jobs_api.status_code == 503
    assert PHOTO_CHECK_UNAVAILABLE_MESSAGE in page.content.decode()
    assert photos_api.json()["message"] == jobs_api.json()["message"] == PHOTO_CHECK_UNAVAILABLE_MESSAGE
    assert not PersonPhoto.objects.exists() and not TryOnJob.objects.exists()
    assert "pose_detection.tflite" in caplog.text and "python -m tryon.pipeline.body.install" in caplog.text
