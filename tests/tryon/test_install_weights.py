"""`manage.py install_weights` installs only verified checkpoints and never leaves a partial file."""

from __future__ import annotations

import functools
import io
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import torch
from django.core.management import CommandError, call_command

from revetir.testing.reference_data import deterministic_state_dict
from tryon.pipeline.neural.weights import verify_weights_dir


@pytest.fixture(scope="module")
def u2netp_bytes(reference_dir) -> bytes:
    buffer = io.BytesIO()
    torch.save(deterministic_state_dict(reference_dir, "u2netp"), buffer)
    return buffer.getvalue()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep test output clean
        pass


@pytest.fixture
def http_server(tmp_path, monkeypatch):
    """A real HTTP server on 127.0.0.1 serving a temporary folder; yields (folder, base URL)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    root = tmp_path / "served"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def run_install(*args: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("install_weights", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def files_in(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_copies_official_files_found_in_subfolders_and_verifies_them(u2netp_bytes, tmp_path):
    download = tmp_path / "download" / "saved_models" / "u2netp"
    download.mkdir(parents=True)
    (download / "u2netp.pth").write_bytes(u2netp_bytes)
    dest = tmp_path / "weights"

    stdout, stderr = run_install("--from", str(tmp_path / "download"), "--dest", str(dest))

    assert files_in(dest) == ["u2netp.pth"]
    assert (dest / "u2netp.pth").read_bytes() == u2netp_bytes
    assert verify_weights_dir(dest).ok == ("u2netp.pth",)
    assert "Installed u2netp.pth" in stdout
    assert "Apache-2.0" in stdout
    assert "100%" in stderr


def test_a_file_with_another_name_is_recognised_by_its_keys(u2netp_bytes, tmp_path):
    renamed = tmp_path / "download (1).pth"
    renamed.write_bytes(u2netp_bytes)
    dest = tmp_path / "weights"
    run_install("--from", str(renamed), "--dest", str(dest))
    assert files_in(dest) == ["u2netp.pth"]


def test_default_destination_is_the_weights_dir_setting(u2netp_bytes, tmp_path, settings):
    settings.TRYON_WEIGHTS_DIR = tmp_path / "configured"
    source = tmp_path / "u2netp.pth"
    source.write_bytes(u2netp_bytes)
    run_install("--from", str(source))
    assert files_in(tmp_path / "configured") == ["u2netp.pth"]


def test_truncated_file_is_refused_and_leaves_the_installed_one_untouched(u2netp_bytes, tmp_path):
    dest = tmp_path / "weights"
    run_install("--from", str(_write(tmp_path / "good" / "u2netp.pth", u2netp_bytes)), "--dest", str(dest))
    truncated = _write(tmp_path / "bad" / "u2netp.pth", u2netp_bytes[: len(u2netp_bytes) // 3])

    with pytest.raises(CommandError, match="truncated"):
        run_install("--from", str(truncated), "--dest", str(dest))

    assert files_in(dest) == ["u2netp.pth"]
    assert (dest / "u2netp.pth").read_bytes() == u2netp_bytes


def test_wrong_network_under_an_official_name_is_refused(u2netp_bytes, tmp_path):
    impostor = _write(tmp_path / "gen_model_final.pth", u2netp_bytes)
    dest = tmp_path / "weights"
    with pytest.raises(CommandError, match="does not match"):
        run_install("--from", str(impostor), "--dest", str(dest))
    assert files_in(dest) == []


def test_downloads_from_a_url_with_a_progress_bar(u2netp_bytes, tmp_path, http_server):
    served, base_url = http_server
    (served / "u2netp.pth").write_bytes(u2netp_bytes)
    dest = tmp_path / "weights"

    stdout, stderr = run_install("--url", f"{base_url}/u2netp.pth", "--dest", str(dest))

    assert files_in(dest) == ["u2netp.pth"]
    assert (dest / "u2netp.pth").read_bytes() == u2netp_bytes
    assert "100%" in stderr
    assert "OK       u2netp.pth" in stdout


def test_corrupt_download_leaves_nothing_behind(u2netp_bytes, tmp_path, http_server):
    served, base_url = http_server
    (served / "u2netp.pth").write_bytes(u2netp_bytes[:-4096])
    dest = tmp_path / "weights"
    with pytest.raises(CommandError, match="truncated"):
        run_install("--url", f"{base_url}/u2netp.pth", "--dest", str(dest))
    assert files_in(dest) == []


def test_missing_url_and_web_pages_are_refused_with_a_reason(tmp_path, http_server):
    served, base_url = http_server
    (served / "share.html").write_text("<html><body>Sign in to download</body></html>")
    dest = tmp_path / "weights"
    with pytest.raises(CommandError, match="404"):
        run_install("--url", f"{base_url}/u2net.pth", "--dest", str(dest))
    with pytest.raises(CommandError, match="web page"):
        run_install("--url", f"{base_url}/share.html", "--dest", str(dest))
    assert files_in(dest) == []


def test_without_options_reports_missing_files_and_where_to_get_them(tmp_path):
    stdout, _ = run_install("--dest", str(tmp_path))
    assert "warp_model_final.pth" in stdout
    assert "https://drive.google.com/" in stdout
    assert "weight-free engine" in stdout


def test_bad_arguments_are_explained(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        run_install("--from", str(tmp_path / "nowhere"), "--dest", str(tmp_path))
    with pytest.raises(CommandError, match="either --from or --url"):
        run_install("--from", str(tmp_path), "--url", "http://127.0.0.1:9/x.pth")
    with pytest.raises(CommandError, match="No weight files"):
        run_install("--from", str(tmp_path), "--dest", str(tmp_path / "weights"))


def _write(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --- FASHN VTON v1.5 -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_fashn_file(tmp_path_factory, reference_dir):
    """The small reference model's stand-in weights as a safetensors file named as the authors name it."""
    from revetir.testing.fashn_reference import write_stand_in_file

    folder = tmp_path_factory.mktemp("download")
    return write_stand_in_file(folder / "model.safetensors", "fashn_vton_small")


def test_fashn_model_is_installed_with_its_checksum_checked_and_recorded(small_fashn_file, tmp_path):
    from tests.tryon.fashn_stand_in import write_model_config
    from tryon.pipeline.fashn.files import verify_fashn_dir
    from tryon.pipeline.weight_files import file_sha256

    dest = tmp_path / "weights"
    write_model_config(dest)  # the small configuration; the released model needs none
    sha256 = file_sha256(small_fashn_file)

    stdout, stderr = run_install("--from", str(small_fashn_file), "--dest", str(dest), "--sha256", sha256.upper())

    assert f"sha256 {sha256}  (checked)" in stdout
    assert "Apache-2.0" in stdout and "Confirm the licence" in stdout
    assert "100%" in stderr  # the progress bar
    report = verify_fashn_dir(dest)
    assert report.ready and report.sha256 == sha256  # recorded beside the file: the engine's identity names it
    assert "OK       model.safetensors" in stdout and f"sha256 {sha256}" in stdout
    assert (dest / "fashn" / "model.safetensors").read_bytes() == small_fashn_file.read_bytes()


def test_fashn_model_with_another_checksum_is_refused_and_nothing_is_installed(small_fashn_file, tmp_path):
    from tests.tryon.fashn_stand_in import write_model_config

    dest = tmp_path / "weights"
    write_model_config(dest)
    with pytest.raises(CommandError, match="not the expected 0000"):
        run_install("--from", str(small_fashn_file), "--dest", str(dest), "--sha256", "0" * 64)
    assert sorted(path.name for path in (dest / "fashn").iterdir()) == ["model_config.json"]
    with pytest.raises(CommandError, match="is not a SHA-256"):
        run_install("--from", str(small_fashn_file), "--dest", str(dest), "--sha256", "abc")


def test_a_safetensors_file_of_another_model_is_refused_naming_what_differs(small_fashn_file, tmp_path):
    dest = tmp_path / "weights"  # no configuration: checked against the released model's keys and shapes
    with pytest.raises(CommandError, match=r"is not the FASHN VTON v1\.5 model") as refused:
        run_install("--from", str(small_fashn_file), "--dest", str(dest))
    assert "double_blocks" in str(refused.value)
    assert [path.name for path in dest.rglob("*") if path.is_file()] == []  # no temporary file left either
