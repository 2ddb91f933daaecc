"""`python -m tryon.pipeline PERSON GARMENT -o OUT.png`, run as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from matplotlib import cbook
from PIL import Image

from revetir.testing.product_photos import tshirt_photo
from revetir.testing.stand_in_weights import stand_in_weights_dir
from tests.conftest import PROJECT_ROOT
from tryon.pipeline.imageio import load_rgb

EXIF_ORIENTATION = 0x0112
ROTATED_90_CLOCKWISE = 6  # display needs a 90° clockwise turn


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("REVETIR_")}
    return subprocess.run(
        [sys.executable, "-m", "tryon.pipeline", *arguments],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def phone_photo(tmp_path):
    """Grace Hopper's portrait stored sideways with an EXIF orientation tag, as phones save photos."""
    with cbook.get_sample_data("grace_hopper.jpg") as sample:
        upright = Image.open(sample).convert("RGB")
    sideways = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = ROTATED_90_CLOCKWISE
    path = tmp_path / "me.jpg"
    sideways.save(path, quality=92, exif=exif)
    return path, upright.size


@pytest.fixture
def garment_file(tmp_path):
    path = tmp_path / "shirt.png"
    Image.fromarray(tshirt_photo(colour=(30, 60, 160), stripe_colour=(250, 250, 250))).save(path)
    return path


def test_cli_dresses_the_photo_and_prints_the_engine_and_stage_timings(
    reference_dir, tmp_path, phone_photo, garment_file
):
    photo_path, upright_size = phone_photo
    output, small_output = tmp_path / "out.png", tmp_path / "small.png"

    completed = run_cli(
        str(photo_path),
        str(garment_file),
        "-o",
        str(output),
        "--small-output",
        str(small_output),
        "--engine",
        "neural",
        "--device",
        "cpu",
        "--weights-dir",
        str(stand_in_weights_dir(reference_dir)),
    )

    assert completed.returncode == 0, completed.stderr
    assert "engine used: neural" in completed.stdout
    for stage in ("segmenting", "masking", "warping", "rendering", "compositing", "total"):
        assert stage in completed.stdout
    dressed = np.asarray(Image.open(output).convert("RGB"))
    assert (dressed.shape[1], dressed.shape[0]) == upright_size  # EXIF orientation applied
    original = load_rgb(photo_path)
    unchanged = np.all(dressed == original, axis=2).mean()
    assert 0.05 < unchanged < 1.0  # garment pasted, the rest of the photo kept as it was
    assert Image.open(small_output).size == (192, 256)


def test_cli_without_weights_exits_2_naming_the_missing_file(tmp_path, phone_photo, garment_file):
    completed = run_cli(
        str(phone_photo[0]),
        str(garment_file),
        "-o",
        str(tmp_path / "out.png"),
        "--engine",
        "neural",
        "--weights-dir",
        str(tmp_path / "empty"),
    )

    assert completed.returncode == 2
    error_lines = completed.stderr.strip().splitlines()
    assert len(error_lines) == 1 and error_lines[0].startswith("error: ")
    assert "warp_model_final.pth" in error_lines[0] and "install_weights" in error_lines[0]
    assert not (tmp_path / "out.png").exists()


@pytest.fixture
def trousers_file(tmp_path):
    from shop.product_art import GarmentDesign, GarmentPattern, GarmentStyle, render_garment

    path = tmp_path / "trousers.png"
    render_garment(GarmentDesign(GarmentStyle.TROUSERS, GarmentPattern.PLAIN, (40, 40, 90), (40, 40, 90))).save(path)
    return path


def test_cli_refuses_trousers_on_a_waist_up_photo_with_the_shoppers_message(tmp_path, phone_photo, trousers_file):
    completed = run_cli(
        str(phone_photo[0]),
        str(trousers_file),
        "-o",
        str(tmp_path / "out.png"),
        "--garment-type",
        "lower_body",
        "--weights-dir",
        str(tmp_path / "no-neural-weights"),
    )

    assert completed.returncode == 2
    assert "engine: classic" in completed.stdout
    error_lines = completed.stderr.strip().splitlines()
    assert error_lines[-1].startswith("error: ") and "hips" in error_lines[-1]
    assert not (tmp_path / "out.png").exists()


def test_cli_puts_a_top_on_with_the_weight_free_engine_when_no_neural_weights_are_installed(
    tmp_path, phone_photo, garment_file
):
    output = tmp_path / "out.png"

    completed = run_cli(
        str(phone_photo[0]), str(garment_file), "-o", str(output), "--weights-dir", str(tmp_path / "none")
    )

    assert completed.returncode == 0, completed.stderr
    assert "engine used: classic" in completed.stdout
    dressed = np.asarray(Image.open(output).convert("RGB"))
    changed = np.any(dressed != load_rgb(phone_photo[0]), axis=2)
    assert 0.05 < changed.mean() < 0.6


def test_cli_names_fashn_warns_it_is_a_gpu_engine_and_refuses_a_redrawn_photo(
    reference_dir, tmp_path, phone_photo, garment_file
):
    from tests.tryon.fashn_stand_in import install_small_fashn

    weights = install_small_fashn(tmp_path / "weights")
    completed = run_cli(
        str(phone_photo[0]),
        str(garment_file),
        "-o",
        str(tmp_path / "out.png"),
        "--engine",
        "fashn",
        "--device",
        "cpu",
        "--steps",
        "2",
        "--weights-dir",
        str(weights),
    )

    assert "engine: fashn" in completed.stdout
    assert "FASHN VTON v1.5 is a GPU engine" in completed.stderr
    # The stand-in weights draw noise over the whole canvas: the shopper's refusal, not a picture.
    assert completed.returncode == 2, completed.stderr
    assert "redrew your photo" in completed.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "out.png").exists()
