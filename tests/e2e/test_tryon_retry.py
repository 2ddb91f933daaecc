"""The try-on panel follows a job whose worker died: running, then "trying again" (queued with one
attempt behind it), then the second try's progress and the result, in real Chromium.

The embedded server has one in-process worker, which a test cannot kill without killing the web
server, so the websocket route plays the retry: after the first real `running` message it sends the
`queued` message the sweeper publishes for a dead worker, and from then on passes the real messages
on as the second try's (attempts 2). What is under test is the page's ordering of those messages.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from skimage import data as skimage_data

from tests.e2e.conftest import SHOPPER_PASSWORD

SHOPPER_EMAIL = "shopper@revetir.example"
RETRY_TEXT = "The try-on worker stopped; trying again…"


@pytest.fixture
def astronaut_png(tmp_path) -> Path:
    path = tmp_path / "astronaut.png"
    Image.fromarray(skimage_data.astronaut()).save(path)
    return path


class PlayedRetry:
    """Forwards the server's messages; after the first `running` one, sends the retry's `queued`
    message and holds the rest until released, then forwards them as the second try's."""

    def __init__(self) -> None:
        self.route = None
        self.retry_sent = False
        self.held: list[dict] = []
        self.released = False

    def __call__(self, route) -> None:
        self.route = route
        server = route.connect_to_server()
        server.on_message(self.from_server)

    def from_server(self, message) -> None:
        body = json.loads(message)
        if body.get("type") == "tryon.state" or self.released:
            self.forward(body)
            return
        if not self.retry_sent:
            self.route.send(message)
            if body.get("status") == "running":
                self.route.send(json.dumps({**body, "status": "queued", "stage": "", "progress": 0, "attempts": 1}))
                self.retry_sent = True
            return
        self.held.append(body)

    def forward(self, body: dict) -> None:
        if body.get("attempts"):
            body = {**body, "attempts": body["attempts"] + 1}
        self.route.send(json.dumps(body))

    def release(self) -> None:
        self.released = True
        while self.held:
            self.forward(self.held.pop(0))


def test_the_panel_shows_a_retry_after_a_worker_died_and_then_the_second_trys_result(
    revetir_server, page, astronaut_png, tmp_path
):
    played = PlayedRetry()
    page.route_web_socket("**/ws/tryon/", played)
    page.goto(f"{revetir_server.url}/accounts/login/")
    page.fill("input[name=username]", SHOPPER_EMAIL)
    page.fill("input[name=password]", SHOPPER_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    # A top: the waist-up test photo can try tops only (the catalogue also has trousers and dresses).
    page.goto(f"{revetir_server.url}/products/sailor-stripe-tee/")
    panel = page.locator(".tryon-panel")
    page.wait_for_function("document.querySelector('[data-tryon]').dataset.socket === 'open'")

    panel.locator("input[type=file][name=photo]").set_input_files(astronaut_png)
    panel.get_by_role("button", name="Try it on").click()

    stage = panel.locator("[data-tryon-stage]")
    page.wait_for_function(f"document.querySelector('[data-tryon-stage]').textContent === {json.dumps(RETRY_TEXT)}")
    assert panel.locator("[data-tryon-result]").is_hidden()
    page.screenshot(path=tmp_path / "retry.png", full_page=True)

    played.release()
    result = panel.locator("[data-tryon-result]")
    result.wait_for(state="visible", timeout=90_000)
    assert stage.inner_text() == "Done"
    assert panel.locator("[data-tryon-failure]").is_hidden()
