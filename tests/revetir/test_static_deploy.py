"""Static files never take the site down: a site started with DEBUG off on static files collected
the documented way (README, Deploying: migrate, then collectstatic) answers its pages and serves
the files they link, and so does one whose static files were collected while DEBUG was on."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.revetir.test_settings import PRODUCTION_ENV, run_manage

DAPHNE = Path(sys.executable).parent / "daphne"
START_TIMEOUT_S = 90


@pytest.fixture(scope="module")
def site_env(tmp_path_factory) -> dict[str, str]:
    """Production variables on a migrated throwaway database, plain HTTP on loopback."""
    root = tmp_path_factory.mktemp("static-deploy")
    env = {
        **PRODUCTION_ENV,
        "REVETIR_ALLOWED_HOSTS": "127.0.0.1",
        "REVETIR_SECURE_SSL_REDIRECT": "0",
        "REVETIR_SESSION_COOKIE_SECURE": "0",
        "REVETIR_CSRF_COOKIE_SECURE": "0",
        "REVETIR_SQLITE_PATH": str(root / "db.sqlite3"),
        "REVETIR_MEDIA_ROOT": str(root / "media"),
        "REVETIR_PRIVATE_MEDIA_ROOT": str(root / "private"),
        "REVETIR_TRYON_WARM_UP": "0",
        "REVETIR_TRYON_PREPARE_IN_BACKGROUND": "0",
    }
    result = run_manage("migrate", "--noinput", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return env


def collect(env: dict[str, str], static_root: Path, *, debug: str) -> None:
    env = {**env, "REVETIR_DEBUG": debug, "REVETIR_STATIC_ROOT": str(static_root)}
    result = run_manage("collectstatic", "--noinput", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


@contextmanager
def daphne(env: dict[str, str], static_root: Path, log_path: Path | None = None) -> Iterator[str]:
    """Daphne with the production settings (DEBUG off) on a free port, its output in `log_path`;
    yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("REVETIR_")}
    clean_env.update(env, REVETIR_STATIC_ROOT=str(static_root))
    log_path = log_path or static_root.parent / "daphne.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), "revetir.asgi:application"],
            cwd=Path(__file__).resolve().parents[2],
            env=clean_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert process.poll() is None, log_path.read_text()[-4000:]
            try:
                requests.get(base_url + "/", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.3)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def assert_pages_and_their_static_files_answer(base_url: str) -> None:
    for path in ("/", "/accounts/login/", "/cart/"):
        page = requests.get(base_url + path, timeout=10)
        assert page.status_code == 200, (path, page.status_code)
        links = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
        assert any(link.endswith(".css") for link in links), links
        for link in links:
            assert re.search(r"\.[0-9a-f]{12}\.\w+$", link), f"{link} is not a hashed (far-future cached) name"
            assert requests.get(base_url + link, timeout=10).status_code == 200, link


def test_a_site_collected_the_documented_way_answers_with_debug_off(site_env, tmp_path):
    collect(site_env, tmp_path / "static", debug="0")
    check = run_manage("check", "--deploy", env={**site_env, "REVETIR_STATIC_ROOT": str(tmp_path / "static")})
    assert "revetir.E001" not in check.stdout + check.stderr

    with daphne(site_env, tmp_path / "static", tmp_path / "daphne.log") as base_url:
        assert_pages_and_their_static_files_answer(base_url)

    # Nothing is missing, so nothing may be logged as missing (WhiteNoise's own look-ups included).
    assert "linked unhashed" not in (tmp_path / "daphne.log").read_text()


def test_static_files_collected_with_debug_on_still_serve_a_site_run_with_debug_off(site_env, tmp_path):
    collect(site_env, tmp_path / "static", debug="1")

    with daphne(site_env, tmp_path / "static") as base_url:
        assert_pages_and_their_static_files_answer(base_url)


def test_check_deploy_names_collectstatic_while_the_manifest_is_missing(site_env, tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_manage("check", "--deploy", env={**site_env, "REVETIR_STATIC_ROOT": str(tmp_path / "empty")})

    assert result.returncode != 0
    assert "revetir.E001" in result.stderr
    assert "collectstatic" in result.stderr


def test_without_collected_static_files_pages_still_answer(site_env, tmp_path):
    (tmp_path / "empty").mkdir()

    with daphne(site_env, tmp_path / "empty") as base_url:
        page = requests.get(base_url + "/", timeout=10)

    assert page.status_code == 200
    assert 'href="/static/css/site.css"' in page.text  # unhashed: the error is logged, the shop stays up
