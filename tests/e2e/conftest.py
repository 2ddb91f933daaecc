"""A real Revetir server for browser tests: migrated, seeded with the demo shop, served by Daphne
with the embedded defaults (SQLite, in-memory channel layer, in-process try-on worker)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("REVETIR_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOPPER_PASSWORD = "e2e-shopper-password-1"
STAFF_PASSWORD = "e2e-staff-password-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = root / "daphne.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "revetir.settings",
            "REVETIR_DEBUG": "1",
            "REVETIR_SQLITE_PATH": str(root / "db.sqlite3"),
            "REVETIR_MEDIA_ROOT": str(root / "media"),
            "REVETIR_PRIVATE_MEDIA_ROOT": str(root / "private"),
            "REVETIR_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "REVETIR_DEMO_SHOPPER_PASSWORD": SHOPPER_PASSWORD,
            "REVETIR_DEMO_STAFF_PASSWORD": STAFF_PASSWORD,
        }
        self.env.pop("REVETIR_REDIS_URL", None)

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stderr}"
        return done.stdout

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


@pytest.fixture(scope="session")
def revetir_server(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("e2e-server"))
    server.manage("migrate", "--noinput")
    server.manage("seed_demo")
    daphne = str(Path(sys.executable).parent / "daphne")
    with open(server.log_path, "w") as log:
        process = subprocess.Popen(
            [daphne, "-b", "127.0.0.1", "-p", str(server.port), "revetir.asgi:application"],
            cwd=PROJECT_ROOT,
            env=server.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(server.url, timeout=2)
                break
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or busy with its first request
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError(f"Daphne did not start:\n{server.log()}") from None
                time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: install it (apt-get install -y chromium) or set REVETIR_CHROMIUM"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
