"""A shopper's whole journey in real Chromium: sign in, open a product, upload a photo, watch the
try-on progress live, see the result, add the size to the cart, check out, see the order.

Screenshots go to docs/ when REVETIR_SAVE_SCREENSHOTS=1, else to a temporary folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image
from skimage import data as skimage_data

from tests.e2e.conftest import PROJECT_ROOT, SHOPPER_PASSWORD

SHOPPER_EMAIL = "shopper@revetir.example"


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    if os.environ.get("REVETIR_SAVE_SCREENSHOTS") == "1":
        return PROJECT_ROOT / "docs"
    return tmp_path


@pytest.fixture
def astronaut_png(tmp_path) -> Path:
    path = tmp_path / "astronaut.png"
    Image.fromarray(skimage_data.astronaut()).save(path)
    return path


class HeldBackResult:
    """Passes the try-on websocket through, but holds the final message until released, so the test
    can look at (and photograph) the progress the page shows first."""

    def __init__(self) -> None:
        self.route = None
        self.held: list[str] = []
        self.released = False
        self.progress_seen = 0

    def __call__(self, route) -> None:
        self.route = route
        server = route.connect_to_server()
        server.on_message(self.from_server)

    def from_server(self, message) -> None:
        kind = json.loads(message).get("type")
        if kind == "tryon.progress":
            self.progress_seen += 1
        if not self.released and kind in ("tryon.done", "tryon.failed"):
            self.held.append(message)
            return
        self.route.send(message)

    def release(self) -> None:
        self.released = True
        for message in self.held:
            self.route.send(message)


def test_shopper_tries_a_top_on_buys_it_and_sees_the_order(revetir_server, page, astronaut_png, screenshot_dir):
    held = HeldBackResult()
    page.route_web_socket("**/ws/tryon/", held)

    page.goto(f"{revetir_server.url}/accounts/login/")
    page.fill("input[name=username]", SHOPPER_EMAIL)
    page.fill("input[name=password]", SHOPPER_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)

    # A top: the astronaut photo is waist-up, so the photo check refuses it for trousers and dresses.
    page.goto(f"{revetir_server.url}/products/navy-crew-tee/")
    panel = page.locator(".tryon-panel")
    panel.get_by_role("heading", name="Try it on").wait_for()
    page.wait_for_function("document.querySelector('[data-tryon]').dataset.socket === 'open'")
    product_name = page.locator("h1").inner_text()
    page.screenshot(path=screenshot_dir / "screenshot-product.png", full_page=True)

    panel.locator("input[type=file][name=photo]").set_input_files(astronaut_png)
    panel.get_by_role("button", name="Try it on").click()

    status = panel.locator("[data-tryon-status]")
    status.wait_for(state="visible")
    # Every progress message reaches the page; only the final one is held back for now.
    page.wait_for_function("document.querySelector('[data-tryon-progress]').value > 0.5")
    stage = panel.locator("[data-tryon-stage]").inner_text()
    assert stage.endswith("…"), stage
    assert held.progress_seen > 0
    assert panel.locator("[data-tryon-result]").is_hidden()
    panel.scroll_into_view_if_needed()
    page.screenshot(path=screenshot_dir / "screenshot-progress.png", full_page=True)

    held.release()
    result = panel.locator("[data-tryon-result]")
    result.wait_for(state="visible", timeout=90_000)
    assert panel.locator("[data-tryon-failure]").is_hidden(), panel.locator("[data-tryon-failure]").inner_text()
    after = result.locator("img[data-tryon-after]")
    page.wait_for_function("document.querySelector('img[data-tryon-after]').naturalWidth > 0")
    assert after.get_attribute("alt") == f"You wearing the {product_name} (preview)"
    assert "/tryon/jobs/" in after.get_attribute("src")
    engine_note = result.locator("[data-tryon-engine]")
    assert engine_note.is_visible()
    if engine_note.get_attribute("data-engine") == "classic":
        assert engine_note.inner_text().startswith("This is a quick preview")
    assert "engine" not in result.inner_text().lower()
    assert result.get_by_role("link", name="Save picture").get_attribute("href").endswith("?download=1")
    result.scroll_into_view_if_needed()
    page.screenshot(path=screenshot_dir / "screenshot-result.png", full_page=True)

    job_id = result.locator("[data-tryon-job-field]").input_value()
    assert job_id, "the add-to-cart form under the result names the try-on it came from"
    result.locator("input[name=variant]:not([disabled])").first.check()
    result.get_by_role("button", name="Add to cart").click()
    page.wait_for_load_state()
    assert "Added to your cart" in page.locator(".messages").inner_text()

    page.goto(f"{revetir_server.url}/cart/")
    assert product_name in page.locator("main").inner_text()
    page.get_by_role("link", name="Check out").click()
    page.fill("input[name=full_name]", "Demo Shopper")
    page.fill("input[name=address_line1]", "1 Rue de la Paix")
    page.fill("input[name=city]", "Paris")
    page.fill("input[name=postal_code]", "75002")
    page.select_option("select[name=country]", "FR")
    page.get_by_role("button", name="Continue to review").click()
    page.get_by_role("button", name="Place order").click()
    page.get_by_role("heading", name="Thank you, your order is placed").wait_for()
    order_number = page.locator("main strong").first.inner_text()

    page.get_by_role("link", name="View order").click()
    order_page = page.locator("main").inner_text()
    assert order_number in order_page
    assert product_name in order_page
    linked = revetir_server.manage(
        "shell",
        "-c",
        "from shop.models import OrderLine; "
        f"lines = OrderLine.objects.filter(order__number={order_number!r}, tryon_job__isnull=False); "
        "print(list(lines.values_list('tryon_job', flat=True)))",
    )
    assert linked.strip().endswith(f"[{job_id}]"), "the staff report's funnel can count this sale"
