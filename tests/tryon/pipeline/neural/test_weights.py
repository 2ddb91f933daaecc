"""The checkpoint loader accepts exactly what the official loaders accept and explains every refusal."""

from __future__ import annotations

import os

import pytest
import torch

from revetir.testing.reference_data import (
    assert_u2net_maps_match,
    deterministic_state_dict,
    load_golden,
)
from tryon.pipeline.contract import WeightsError
from tryon.pipeline.neural import weights
from tryon.pipeline.neural.pfafn import WarpNet
from tryon.pipeline.neural.u2net import U2Net
from tryon.pipeline.neural.weights import (
    CHECKPOINTS,
    INSTALL_COMMAND,
    build_compact_manifest,
    load_checkpoint,
    render_compact_manifest,
    verify_weights_dir,
)

KEY = "stage1.rebnconvin.conv_s1.weight"
SOURCE_URL_BY_FILENAME = {spec.filename: spec.source_url for spec in CHECKPOINTS.values()}


@pytest.fixture(scope="module")
def u2netp_state_dict(reference_dir):
    return deterministic_state_dict(reference_dir, "u2netp")


@pytest.fixture(scope="module")
def u2netp_file(u2netp_state_dict, tmp_path_factory):
    path = tmp_path_factory.mktemp("checkpoints") / "u2netp.pth"
    torch.save(u2netp_state_dict, path)
    return path


def test_saved_checkpoint_file_loads_and_reproduces_the_official_outputs(reference_dir, u2netp_file):
    model = load_checkpoint(U2Net("u2netp"), u2netp_file).eval()
    golden = load_golden(reference_dir, "u2netp", "case3_oddsize")
    with torch.no_grad():
        assert_u2net_maps_match(model(torch.from_numpy(golden["input"])), golden)


def test_legacy_format_file_as_written_by_old_pytorch_loads_and_verifies(u2netp_state_dict, tmp_path):
    legacy = tmp_path / "u2netp.pth"
    old_style = {k: v for k, v in u2netp_state_dict.items() if not k.endswith("num_batches_tracked")}
    torch.save(old_style, legacy, _use_new_zipfile_serialization=False)
    model = load_checkpoint(U2Net("u2netp"), legacy)
    assert torch.equal(model.state_dict()[KEY], u2netp_state_dict[KEY])
    assert verify_weights_dir(tmp_path).ok == ("u2netp.pth",)


def test_dataparallel_module_prefix_is_stripped(u2netp_state_dict):
    prefixed = {f"module.{key}": value for key, value in u2netp_state_dict.items()}
    model = load_checkpoint(U2Net("u2netp"), prefixed)
    assert torch.equal(model.state_dict()[KEY], u2netp_state_dict[KEY])


def test_checkpoint_without_num_batches_tracked_is_accepted(u2netp_state_dict):
    old_style = {k: v for k, v in u2netp_state_dict.items() if not k.endswith("num_batches_tracked")}
    assert len(old_style) < len(u2netp_state_dict)
    model = load_checkpoint(U2Net("u2netp"), old_style)
    assert torch.equal(model.state_dict()[KEY], u2netp_state_dict[KEY])


def test_training_only_aflow_filter_in_a_warp_checkpoint_is_ignored():
    with torch.device("meta"):
        model = WarpNet()
    state_dict = {key: torch.full(value.shape, 0.5).to(value.dtype) for key, value in model.state_dict().items()}
    state_dict["aflow_net.weight"] = torch.zeros(4, 1, 3, 3)
    load_checkpoint(model, state_dict)
    assert "aflow_net.weight" not in model.state_dict()
    assert float(model.state_dict()["aflow_net.netMain.0.0.weight"][0, 0, 0, 0]) == 0.5


def test_missing_key_is_refused_by_name_and_nothing_is_loaded(u2netp_state_dict):
    incomplete = {k: v for k, v in u2netp_state_dict.items() if k != "side3.bias"}
    model = U2Net("u2netp")
    before = model.state_dict()[KEY].clone()
    with pytest.raises(WeightsError, match=r"missing key\(s\): side3\.bias"):
        load_checkpoint(model, incomplete)
    assert torch.equal(model.state_dict()[KEY], before)


def test_unexpected_key_is_refused_by_name(u2netp_state_dict):
    extended = {**u2netp_state_dict, "side7.weight": torch.zeros(1, 64, 3, 3)}
    with pytest.raises(WeightsError, match=r"unexpected key\(s\): side7\.weight"):
        load_checkpoint(U2Net("u2netp"), extended)


def test_wrong_shape_is_refused_with_both_shapes(u2netp_state_dict):
    reshaped = {**u2netp_state_dict, "outconv.weight": torch.zeros(1, 5, 1, 1)}
    with pytest.raises(WeightsError, match=r"outconv\.weight \(file \[1, 5, 1, 1\], model \[1, 6, 1, 1\]\)"):
        load_checkpoint(U2Net("u2netp"), reshaped)


def test_full_model_checkpoint_in_the_small_model_names_the_file(u2netp_file):
    with pytest.raises(WeightsError) as refused:
        load_checkpoint(U2Net("u2net"), u2netp_file)
    assert str(u2netp_file) in str(refused.value)
    assert "wrong shape" in str(refused.value)


def test_truncated_file_names_the_file_and_the_install_command(u2netp_file, tmp_path):
    truncated = tmp_path / "u2netp.pth"
    truncated.write_bytes(u2netp_file.read_bytes()[: u2netp_file.stat().st_size // 2])
    with pytest.raises(WeightsError) as refused:
        load_checkpoint(U2Net("u2netp"), truncated)
    message = str(refused.value)
    assert str(truncated) in message
    assert "truncated" in message
    assert INSTALL_COMMAND in message


def test_missing_file_and_non_state_dict_file_are_refused(tmp_path):
    with pytest.raises(WeightsError, match="not found"):
        load_checkpoint(U2Net("u2netp"), tmp_path / "u2netp.pth")
    tensor_file = tmp_path / "tensor.pth"
    torch.save(torch.zeros(3), tensor_file)
    with pytest.raises(WeightsError, match="not a state dict"):
        load_checkpoint(U2Net("u2netp"), tensor_file)


def test_empty_weights_dir_reports_every_file_with_where_to_get_it(tmp_path):
    report = verify_weights_dir(tmp_path)
    assert report.ok == ()
    assert not report.neural_ready
    assert set(report.problems) == {spec.filename for spec in CHECKPOINTS.values()}
    for filename, message in report.problems.items():
        assert filename in message
        assert "not installed" in message
        assert INSTALL_COMMAND in message
        assert SOURCE_URL_BY_FILENAME[filename] in message


def test_weights_dir_report_separates_good_truncated_and_mismatched_files(u2netp_file, tmp_path):
    (tmp_path / "u2netp.pth").write_bytes(u2netp_file.read_bytes())
    (tmp_path / "warp_model_final.pth").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "gen_model_final.pth").write_bytes(u2netp_file.read_bytes())  # the wrong network
    report = verify_weights_dir(tmp_path)
    assert report.ok == ("u2netp.pth",)
    assert "truncated" in report.problems["warp_model_final.pth"]
    assert "does not match" in report.problems["gen_model_final.pth"]
    assert str(tmp_path / "gen_model_final.pth") in report.problems["gen_model_final.pth"]
    assert "u2net.pth" in report.problems
    assert not report.neural_ready


def test_weights_dir_check_notices_a_replaced_file(u2netp_file, tmp_path):
    target = tmp_path / "u2netp.pth"
    target.write_bytes(b"half a download")
    assert "u2netp.pth" in verify_weights_dir(tmp_path).problems
    target.write_bytes(u2netp_file.read_bytes())
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 1_000_000))
    assert "u2netp.pth" in verify_weights_dir(tmp_path).ok


def test_weights_dir_defaults_to_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("REVETIR_WEIGHTS_DIR", str(tmp_path))
    assert verify_weights_dir().weights_dir == tmp_path
    monkeypatch.delenv("REVETIR_WEIGHTS_DIR")
    assert weights.weights_dir_from_env() == weights.DEFAULT_WEIGHTS_DIR


def test_shipped_manifest_is_the_one_generated_from_the_reference(reference_dir):
    expected = render_compact_manifest(build_compact_manifest(reference_dir / "manifests"))
    assert weights.MANIFEST_PATH.read_text(encoding="utf-8") == expected


def test_registry_names_each_official_file_with_source_and_licence():
    by_file = {spec.filename: spec for spec in CHECKPOINTS.values()}
    assert set(by_file) == {"u2net.pth", "u2netp.pth", "warp_model_final.pth", "gen_model_final.pth"}
    for spec in by_file.values():
        assert spec.source_url.startswith("https://drive.google.com/")
        assert spec.approx_size_mb > 0
    assert "non-commercial" in by_file["warp_model_final.pth"].licence
    assert "non-commercial" in by_file["gen_model_final.pth"].licence
    assert "Apache-2.0" in by_file["u2net.pth"].licence
