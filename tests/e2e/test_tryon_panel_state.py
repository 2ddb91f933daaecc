"""The try-on panel in real Chromium: a new attempt clears what the previous job left on screen."""

from __future__ import annotations

import json

import pytest
from PIL import Image
from skimage import data as skimage_data

from tests.e2e.conftest import SHOPPER_PASSWORD

SHOPPER_EMAIL = "shopper@revetir.example"
WORKER_STOPPED = "The try-on worker stopped; please try again."


class FailedJobSocket:
    """Passes the try-on websocket through until `fail(job)`, which tells the page that job failed
    and drops whatever the server says afterwards, so the page shows a failure that stays."""

    def __init__(self) -> None:
        self.route = None
        self.failed = False

    def __call__(self, route) -> None:
        self.route = route
        server = route.connect_to_server()
        server.on_message(lambda message: None if self.failed else route.send(message))

    def fail(self, job: dict) -> None:
        self.failed = True
        self.route.send(json.dumps({**job, "type": "tryon.failed", "status": "failed", "error": WORKER_STOPPED}))


@pytest.fixture
def mirrored_astronaut_png(tmp_path):
    path = tmp_path / "astronaut-mirrored.png"
    Image.fromarray(skimage_data.astronaut()).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(path)
    return path


@pytest.fixture
def not_a_photo(tmp_path):
    path = tmp_path / "holiday.png"
    path.write_text("these are notes, not a picture")
    return path


def test_a_rejected_upload_after_a_failed_try_on_shows_only_the_new_error(
    revetir_server, page, mirrored_astronaut_png, not_a_photo
):
    socket = FailedJobSocket()
    page.route_web_socket("**/ws/tryon/", socket)
    page.goto(f"{revetir_server.url}/accounts/login/")
    page.fill("input[name=username]", SHOPPER_EMAIL)
    page.fill("input[name=password]", SHOPPER_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)

    # A top: the waist-up test photo can try tops only (the catalogue also has trousers and dresses).
    page.goto(f"{revetir_server.url}/products/red-emblem-tee/")
    panel = page.locator(".tryon-panel")
    page.wait_for_function("document.querySelector('[data-tryon]').dataset.socket === 'open'")
    failure = panel.locator("[data-tryon-failure]")
    form_error = panel.locator("[data-tryon-error]")

    panel.locator("input[type=file][name=photo]").set_input_files(mirrored_astronaut_png)
    with page.expect_response("**/api/tryon/jobs/") as started:
        panel.get_by_role("button", name="Try it on").click()
    socket.fail(started.value.json())
    failure.wait_for(state="visible")
    assert failure.inner_text() == WORKER_STOPPED

    panel.locator("input[type=file][name=photo]").set_input_files(not_a_photo)
    with page.expect_response("**/api/tryon/jobs/") as rejected:
        panel.get_by_role("button", name="Try it on").click()
    assert rejected.value.status == 400
    form_error.wait_for(state="visible")

    assert "not an image we can read" in form_error.inner_text()
    assert failure.is_hidden()
    assert panel.locator("[data-tryon-status]").is_hidden()
    assert panel.locator("[data-tryon-result]").is_hidden()
