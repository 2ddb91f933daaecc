"""The FASHN VTON engine end to end on the CPU with the small reference configuration and stand-in
weights: prepared sides, progress per sampling step, only the dressed region pasted into the photo,
reproducible pictures, and the refusals (a photo the model redrew, sides from other settings)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from skimage import data as skimage_data

from revetir.testing.tryon_data import t_shirt_png
from tests.tryon.fashn_stand_in import install_small_fashn
from tryon.pipeline.body import BodyAnalysis
from tryon.pipeline.body.analysis import GarmentVerdict, Keypoint
from tryon.pipeline.body.landmarks import KEYPOINT_NAMES
from tryon.pipeline.contract import FULL_BODY, LOWER_BODY, UPPER_BODY, StalePreparationError, WeightsError
from tryon.pipeline.fashn import build_model
from tryon.pipeline.fashn.dressed_region import RedrawnPhotoError, body_region, dressed_region
from tryon.pipeline.fashn.engine import CATEGORY_FOR_GARMENT_TYPE, FashnOptions, FashnTryOnEngine
from tryon.pipeline.fashn.files import (
    CONFIG_FILENAME,
    INSTALL_RECORD_FILENAME,
    MODEL_FILENAME,
    build_manifest_entry,
    manifest_entry,
    verify_fashn_dir,
)

STEPS = 3
# The stand-in weights draw colourful noise over the whole canvas, which the engine rightly refuses;
# these tests of the pipeline around the model let the whole picture through.
LET_EVERYTHING_THROUGH = 1.0


@pytest.fixture(scope="module")
def weights_dir(tmp_path_factory, reference_dir):
    return install_small_fashn(tmp_path_factory.mktemp("weights"))


@pytest.fixture(scope="module")
def engine(weights_dir) -> FashnTryOnEngine:
    options = FashnOptions(steps=STEPS, max_redrawn_outside=LET_EVERYTHING_THROUGH)
    return FashnTryOnEngine(weights_dir, device="cpu", options=options)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return skimage_data.astronaut()


@pytest.fixture(scope="module")
def sides(engine, photo):
    return engine.prepare_photo(photo), engine.prepare_garment(t_shirt_png(), garment_type=UPPER_BODY)


def test_a_try_on_reports_every_sampling_step_and_changes_only_the_dressed_region(engine, photo, sides):
    reports: list[tuple[str, float]] = []
    result = engine.dress(photo, *sides, on_stage=lambda stage, fraction: reports.append((stage, fraction)))

    assert result.engine == "fashn"
    assert result.image.size == (photo.shape[1], photo.shape[0])
    rendering = [fraction for stage, fraction in reports if stage == "rendering"]
    assert len(rendering) == 1 + STEPS  # the stage's start, then once per Euler step
    assert rendering == sorted(rendering) and rendering[-1] > rendering[0]
    assert [stage for stage, _ in reports][-1] == "compositing" and reports[-1][1] == 1.0

    image = np.asarray(result.image)
    changed = np.abs(image.astype(int) - photo.astype(int)).max(axis=2) > 0
    assert changed.any()
    assert not changed[result.garment_mask == 0].any()  # outside the dressed region: the photo's own pixels
    shoulder_y = min(kp.y for name, kp in json_keypoints(sides[0]).items() if name.endswith("shoulder"))
    head = slice(0, int(shoulder_y * 0.6))
    assert not changed[head].any()  # the face and what is above it stay the shopper's own pixels
    assert result.image_small.size[0] <= 32 and result.image_small.size[1] <= 48  # the small canvas, unpadded


def json_keypoints(photo_side) -> dict[str, Keypoint]:
    return {name: Keypoint(**point) for name, point in photo_side.meta["analysis"]["keypoints"].items()}


def test_the_same_photo_garment_and_settings_give_the_same_picture(engine, photo, sides):
    first = np.asarray(engine.dress(photo, *sides).image)
    second = np.asarray(engine.dress(photo, *sides).image)
    assert np.array_equal(first, second)


def test_the_garment_side_carries_the_models_category_for_each_garment_type(engine):
    categories = {
        garment_type: engine.prepare_garment(t_shirt_png(), garment_type=garment_type).meta["category"]
        for garment_type in (UPPER_BODY, LOWER_BODY, FULL_BODY)
    }
    # The reference README's pipeline facts: tops 1, bottoms 2, one-pieces 3 (0 is the null branch).
    assert categories == {UPPER_BODY: 1, LOWER_BODY: 2, FULL_BODY: 3} == CATEGORY_FOR_GARMENT_TYPE


def test_sides_prepared_with_other_sampling_settings_are_refused(weights_dir, sides, photo):
    other = FashnTryOnEngine(weights_dir, device="cpu", options=FashnOptions(steps=STEPS + 1))
    assert other.identity != sides[0].identity
    with pytest.raises(StalePreparationError):
        other.dress(photo, *sides)


def test_a_picture_the_model_redrew_beyond_the_garment_is_refused_with_the_default_settings(weights_dir, photo):
    engine = FashnTryOnEngine(weights_dir, device="cpu", options=FashnOptions(steps=2))
    with pytest.raises(RedrawnPhotoError) as refused:
        engine.run(photo, t_shirt_png())
    assert refused.value.share > 0.5
    assert "did not show" in str(refused.value)


# ---------------------------------------------------------------------------------------------------------------------
# The dressed region on a drawn person


def standing_person(height: int = 200, width: int = 120) -> BodyAnalysis:
    """A made-up analysis: a person facing the camera, shoulders at y 60, hips at y 120."""
    points = {name: Keypoint(width / 2, 30.0, 0.99) for name in KEYPOINT_NAMES}
    points.update(
        left_shoulder=Keypoint(80, 60, 0.99),
        right_shoulder=Keypoint(40, 60, 0.99),
        left_hip=Keypoint(72, 120, 0.99),
        right_hip=Keypoint(48, 120, 0.99),
    )
    mask = np.zeros((height, width), np.uint8)
    mask[20:, 35:85] = 255
    verdicts = {garment_type: GarmentVerdict(True) for garment_type in (UPPER_BODY, LOWER_BODY, FULL_BODY)}
    box = (35, 20, 85, height)
    return BodyAnalysis(width, height, points, mask, box, people=1, verdicts=verdicts)


def test_the_body_region_follows_the_garment_type():
    person = standing_person()
    top, bottom, dress = (body_region(person, kind, 200, 120) for kind in (UPPER_BODY, LOWER_BODY, FULL_BODY))
    rows = lambda region: np.flatnonzero(region.any(axis=1))  # noqa: E731
    assert 45 <= rows(top)[0] < 60 and rows(top).max() < 160  # from above the shoulders to below the hips
    assert 80 <= rows(bottom)[0] < 120 and rows(bottom).max() == 199  # from the waist down
    assert rows(dress)[0] == rows(top)[0] and rows(dress).max() == 199
    assert not top[:, :20].any()  # not the background far from the person


def test_only_what_changed_inside_the_body_region_is_dressed():
    person = standing_person()
    photo = np.full((200, 120, 3), 90, np.uint8)
    drawn = photo.copy()
    drawn[70:110, 40:80] = (200, 30, 30)  # a new red top on the torso
    region = dressed_region(photo, drawn, person, UPPER_BODY)
    assert region.alpha[90, 60] == pytest.approx(1.0)
    assert region.alpha[10, 60] == 0.0 and region.alpha[150, 10] == 0.0
    assert region.redrawn_outside == 0.0
    unchanged = dressed_region(photo, photo.copy(), person, UPPER_BODY)
    assert unchanged.alpha.max() == 0.0  # nothing drawn: the photo stays as it was


def test_a_picture_changed_outside_the_body_region_is_refused():
    person = standing_person()
    photo = np.full((200, 120, 3), 90, np.uint8)
    drawn = photo.copy()
    drawn[:, :] = (200, 30, 30)
    with pytest.raises(RedrawnPhotoError):
        dressed_region(photo, drawn, person, UPPER_BODY)
    dressed_region(photo, drawn, person, UPPER_BODY, max_redrawn_outside=1.0)  # an operator may allow it


# ---------------------------------------------------------------------------------------------------------------------
# The operator's files


def test_the_weights_identity_names_the_recorded_checksum_and_the_settings(weights_dir, tmp_path):
    report = verify_fashn_dir(weights_dir)
    assert report.ready and not report.is_standard_size
    digest_without_record = report.weights_digest()
    model = weights_dir / "fashn" / MODEL_FILENAME
    stat = model.stat()
    record = {"sha256": "ab" * 32, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    record_path = weights_dir / "fashn" / INSTALL_RECORD_FILENAME
    record_path.write_text(json.dumps(record))
    try:
        assert verify_fashn_dir(weights_dir).weights_digest() == "ab" * 6
    finally:
        record_path.unlink()
    assert verify_fashn_dir(weights_dir).weights_digest() == digest_without_record
    assert FashnOptions(steps=30).digest() != FashnOptions(steps=20).digest()


def test_a_missing_or_mismatched_model_is_a_problem_naming_the_file(tmp_path, weights_dir):
    missing = verify_fashn_dir(tmp_path)
    assert not missing.ready and MODEL_FILENAME in missing.problem and "install_weights" in missing.problem
    with pytest.raises(WeightsError, match="not installed"):
        FashnTryOnEngine(tmp_path, device="cpu")

    wrong_size = tmp_path / "other"
    (wrong_size / "fashn").mkdir(parents=True)
    (wrong_size / "fashn" / MODEL_FILENAME).write_bytes((weights_dir / "fashn" / MODEL_FILENAME).read_bytes())
    report = verify_fashn_dir(wrong_size)  # no model_config.json: checked against the released model
    assert not report.ready and "lacks" in report.problem and "double_blocks.2." in report.problem

    (wrong_size / "fashn" / CONFIG_FILENAME).write_text("{not json")
    assert CONFIG_FILENAME in verify_fashn_dir(wrong_size).problem


def test_the_manifest_lists_the_released_models_keys_and_shapes(reference_dir):
    reference = json.loads((reference_dir / "fashn" / "manifests" / "fashn_vton_full.json").read_text())
    entry = manifest_entry()
    assert entry == build_manifest_entry(reference, sha256=entry["sha256"])
    with torch.device("meta"):
        model = build_model(**entry["constructor_kwargs"])
    assert {key: list(value.shape) for key, value in model.state_dict().items()} == entry["tensors"]
    assert entry["num_tensors"] == 366 and entry["dtype"] == "bfloat16"


def test_dwpose_files_without_onnxruntime_leave_the_pose_to_the_body_model(tmp_path, reference_dir, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *args: None if name == "onnxruntime" else real_find_spec(name, *args)
    )
    weights = install_small_fashn(tmp_path / "weights")
    for name in ("yolox_l.onnx", "dw-ll_ucoco_384.onnx"):
        (weights / "fashn" / name).write_bytes(b"onnx")
    report = verify_fashn_dir(weights)
    assert set(report.dwpose_installed) == {"yolox_l.onnx", "dw-ll_ucoco_384.onnx"} and not report.dwpose_usable
    engine = FashnTryOnEngine(weights, device="cpu", options=FashnOptions(steps=1))
    assert engine.dwpose is None and "/1b-" in engine.identity  # the pose comes from the body model
