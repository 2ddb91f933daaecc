"""The neural try-on engine end to end (stand-in weights from the reference), and engine selection."""

from __future__ import annotations

import itertools
import sys
import types

import cv2
import numpy as np
import pytest
import torch
from skimage import data

from revetir.testing.product_photos import tshirt_photo
from revetir.testing.stand_in_weights import FLOW_HEAD_DAMPING, damped_flow_heads, stand_in_weights_dir
from tryon.pipeline.contract import ENGINE_NEURAL, STAGES, GarmentFitError, TryOnError, WeightsError
from tryon.pipeline.neural.engine import LoadedNetworks, NeuralTryOnEngine
from tryon.pipeline.neural.pfafn import WarpNet
from tryon.pipeline.neural.preprocess import MODEL_HEIGHT
from tryon.pipeline.select import select_engine

# Pixels this far from the garment as placed on the photo must be the photo's own (the feathered
# rim of the blend is a few model pixels, about 2 photo pixels each for a 512-pixel photo).
UNTOUCHED_DISTANCE = 20


@pytest.fixture(scope="module")
def neural_weights_dir(reference_dir):
    return stand_in_weights_dir(reference_dir)


@pytest.fixture(scope="module")
def neural_engine(neural_weights_dir):
    return NeuralTryOnEngine(neural_weights_dir, device="cpu")


@pytest.fixture(scope="module")
def astronaut_run(neural_engine):
    photo = data.astronaut()
    reported: list[tuple[str, float]] = []
    result = neural_engine.run(photo, tshirt_photo(), on_stage=lambda stage, done: reported.append((stage, done)))
    return photo, result, reported


@pytest.fixture
def classic_engine_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "tryon.pipeline.classic.engine", None)  # makes the import fail


@pytest.fixture
def stub_classic_module(monkeypatch):
    """A stand-in for tryon.pipeline.classic.engine, so selection is tested without the classic engine's work."""
    module = types.ModuleType("tryon.pipeline.classic.engine")

    class ClassicTryOnEngine:
        name = "classic"

    module.ClassicTryOnEngine = ClassicTryOnEngine
    monkeypatch.setitem(sys.modules, "tryon.pipeline.classic.engine", module)
    return ClassicTryOnEngine


def test_neural_run_reports_every_stage_in_order_with_growing_progress(astronaut_run):
    _, _, reported = astronaut_run

    stages_in_order = list(dict.fromkeys(stage for stage, _ in reported))
    fractions = [done for _, done in reported]
    assert stages_in_order == list(STAGES)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(earlier < later for earlier, later in itertools.pairwise(fractions))


def test_neural_run_returns_the_full_resolution_photo_and_the_model_picture(astronaut_run):
    photo, result, _ = astronaut_run

    assert result.engine == ENGINE_NEURAL
    assert result.image.size == (photo.shape[1], photo.shape[0]) and result.image.mode == "RGB"
    assert result.image_small.size == (192, 256) and result.image_small.mode == "RGB"
    assert set(result.timings) == set(STAGES) and min(result.timings.values()) >= 0
    assert result.person_mask.shape == photo.shape[:2]
    assert result.garment_mask.shape == photo.shape[:2]


def test_neural_run_changes_the_photo_only_where_the_garment_was_pasted(astronaut_run):
    photo, result, _ = astronaut_run

    changed = np.any(np.asarray(result.image) != photo, axis=2)
    garment = result.garment_mask > 0
    distance_to_garment = cv2.distanceTransform(np.where(garment, 0, 255).astype(np.uint8), cv2.DIST_L2, 5)
    assert garment.any() and changed.any()
    assert not changed[distance_to_garment > UNTOUCHED_DISTANCE].any()
    assert changed[garment].mean() > 0.5


def slid_down(warped: dict[str, torch.Tensor], rows: int) -> dict[str, torch.Tensor]:
    """The warp moved `rows` down the frame: garment and mask off the top (zeros there), the flow's
    top row repeated above, so the warp itself stays as smooth as it was."""

    def down(tensor: torch.Tensor, above: torch.Tensor) -> torch.Tensor:
        return torch.cat([above.expand(-1, -1, rows, -1), tensor[:, :, :-rows]], dim=2)

    return {
        "warped_cloth": down(warped["warped_cloth"], torch.zeros_like(warped["warped_cloth"][:, :, :1])),
        "last_flow": down(warped["last_flow"], warped["last_flow"][:, :, :1]),
        "warped_edge": down(warped["warped_edge"], torch.zeros_like(warped["warped_edge"][:, :, :1])),
    }


def test_a_warp_that_misses_the_torso_is_refused_before_the_generator_runs(neural_engine, monkeypatch):
    photo = data.astronaut()
    photo_side, garment_side = neural_engine.prepare_photo(photo), neural_engine.prepare_garment(tshirt_photo())
    warp = LoadedNetworks.warp_from_pyramids
    monkeypatch.setattr(
        LoadedNetworks, "warp_from_pyramids", lambda *args: slid_down(warp(*args), rows=MODEL_HEIGHT // 2)
    )
    generator_calls = []
    hook = neural_engine.networks.generator.register_forward_pre_hook(lambda *_: generator_calls.append(1))
    reported: list[str] = []

    try:
        with pytest.raises(GarmentFitError, match="could not fit this garment"):
            neural_engine.dress(photo, photo_side, garment_side, on_stage=lambda stage, _done: reported.append(stage))
    finally:
        hook.remove()

    assert generator_calls == []
    assert reported == ["warping"]


def test_the_stand_in_warp_damps_only_the_flow_heads_output_layers():
    with torch.device("meta"):
        state_dict = WarpNet().state_dict()
    ones = {key: torch.ones(value.shape) for key, value in state_dict.items()}

    damped = damped_flow_heads(ones)

    changed = sorted(key for key, value in damped.items() if not torch.equal(value, ones[key]))
    expected = [
        f"aflow_net.{head}.{level}.6.{part}"
        for head in ("netMain", "netRefine")
        for level in range(5)
        for part in ("bias", "weight")
    ]
    assert changed == sorted(expected)
    assert all(torch.all(damped[key] == FLOW_HEAD_DAMPING) for key in changed)


def test_engine_uses_u2netp_when_only_the_small_segmenter_is_installed(neural_engine):
    assert neural_engine.u2net_variant == "u2netp"
    assert neural_engine.networks.segmenter.variant == "u2netp"


def test_auto_selects_the_neural_engine_when_its_weights_verify(neural_weights_dir, neural_engine):
    engine = select_engine("auto", weights_dir=neural_weights_dir, device="cpu")

    assert isinstance(engine, NeuralTryOnEngine)
    assert engine.networks is neural_engine.networks  # loaded once per process


def test_neural_engine_names_every_missing_file_and_the_install_command(tmp_path):
    with pytest.raises(WeightsError) as raised:
        select_engine("neural", weights_dir=tmp_path, device="cpu")

    message = str(raised.value)
    for filename in ("warp_model_final.pth", "gen_model_final.pth", "u2net.pth"):
        assert filename in message
    assert "python manage.py install_weights" in message


def test_neural_engine_names_a_truncated_checkpoint(tmp_path, neural_weights_dir):
    for filename in ("u2netp.pth", "gen_model_final.pth"):
        (tmp_path / filename).symlink_to(neural_weights_dir / filename)
    whole = (neural_weights_dir / "warp_model_final.pth").read_bytes()
    (tmp_path / "warp_model_final.pth").write_bytes(whole[: len(whole) // 2])

    with pytest.raises(WeightsError, match=r"warp_model_final\.pth.*install_weights"):
        NeuralTryOnEngine(tmp_path, device="cpu")


def test_auto_falls_back_to_the_classic_engine_without_weights(tmp_path, stub_classic_module):
    engine = select_engine("auto", weights_dir=tmp_path, device="cpu")

    assert isinstance(engine, stub_classic_module)


def test_auto_without_weights_or_classic_engine_reports_the_missing_weights(tmp_path, classic_engine_missing):
    with pytest.raises(WeightsError, match=r"warp_model_final\.pth"):
        select_engine("auto", weights_dir=tmp_path, device="cpu")


def test_classic_is_used_when_asked_for_even_with_weights_installed(neural_weights_dir, stub_classic_module):
    engine = select_engine("classic", weights_dir=neural_weights_dir, device="cpu")

    assert isinstance(engine, stub_classic_module)


def test_unknown_engine_name_is_refused(tmp_path):
    with pytest.raises(TryOnError, match="Unknown try-on engine 'fast'"):
        select_engine("fast", weights_dir=tmp_path)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on machines without a GPU")
def test_asking_for_cuda_without_a_gpu_says_how_to_fix_it(neural_weights_dir):
    with pytest.raises(TryOnError, match=r"no CUDA GPU.*'auto' or 'cpu'"):
        NeuralTryOnEngine(neural_weights_dir, device="cuda")
