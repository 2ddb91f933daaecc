""" "See it on me" in real Chromium: a shopper with a saved photo switches the catalogue to show every
garment card on their photo; the pictures arrive over the websocket, the switch is remembered, and a
second visit gets the results from the cache at once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image
from skimage import data as skimage_data

from tests.e2e.conftest import PROJECT_ROOT, SHOPPER_PASSWORD

SHOPPER_EMAIL = "shopper@revetir.example"
# Every garment of a demo page fitted by the weight-free engine on two busy cores.
PAGE_TIMEOUT_MS = 240_000


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    if os.environ.get("REVETIR_SAVE_SCREENSHOTS") == "1":
        return PROJECT_ROOT / "docs"
    return tmp_path


def test_the_catalogue_shows_every_garment_on_the_shoppers_photo_and_remembers_it(
    revetir_server, page, tmp_path, screenshot_dir
):
    photo = tmp_path / "astronaut-mirrored.png"
    Image.fromarray(skimage_data.astronaut()[:, ::-1]).save(photo)
    page.goto(f"{revetir_server.url}/accounts/login/")
    page.fill("input[name=username]", SHOPPER_EMAIL)
    page.fill("input[name=password]", SHOPPER_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto(f"{revetir_server.url}/tryon/photos/")
    page.locator("input[type=file][name=photo]").set_input_files(photo)
    page.locator("main form[enctype] button[type=submit]").first.click()
    page.wait_for_load_state()
    # The shared shopper may have asked for try-ons one by one in earlier browser tests.
    listed_before = page.locator(".tryon-jobs li").count()

    page.goto(f"{revetir_server.url}/")
    page.get_by_role("button", name="See it on me").click()
    page.wait_for_load_state()
    assert page.locator("[data-wear-product]").count() > 0
    progress = page.locator("[data-wear-progress]")
    page.wait_for_function(
        "document.querySelectorAll('.product-card.worn, .product-card.wear-failed, .product-card.wear-skipped')"
        ".length === "
        "document.querySelectorAll('[data-wear-product]').length",
        timeout=PAGE_TIMEOUT_MS,
    )
    cards = page.locator(".product-card").count()
    skipped = page.locator(".product-card.wear-skipped").count()  # garments this waist-up photo cannot try
    failed = page.locator(".product-card.wear-failed").count()
    worn_count = page.locator(".product-card.worn").count()
    assert skipped > 0, "the front page mixes tops with trousers and dresses"
    # The line says how many cards were dressed, and why the others keep their product picture.
    message = progress.inner_text()
    assert message.startswith(f"{worn_count} of {cards} garments shown on your photo; "), message
    assert "need a full-length photo" in message and not message.startswith("All ")
    assert (f"{failed} could not be fitted" in message) == bool(failed)
    worn = page.locator(".product-card.worn img").first
    assert "/tryon/jobs/" in worn.get_attribute("src") and worn.get_attribute("alt") == "This garment on your photo"
    # A sharp crop of the full result, not the 192×256 model picture stretched over the card.
    assert worn.evaluate("picture => [picture.naturalWidth, picture.naturalHeight]") == [480, 640]
    page.screenshot(path=screenshot_dir / "screenshot-see-it-on-me.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=screenshot_dir / "screenshot-see-it-on-me-390.png", full_page=True)
    page.set_viewport_size({"width": 1200, "height": 900})

    # The dressed cards are not "Your try-ons", one by one: they are counted once instead.
    page.goto(f"{revetir_server.url}/tryon/photos/")
    assert page.locator(".tryon-jobs li").count() == listed_before
    assert f"has also shown {worn_count} garment" in page.locator("[data-page-tryons]").inner_text()

    page.goto(f"{revetir_server.url}/")  # remembered, and every picture now comes from the cache
    page.wait_for_function(f"document.querySelectorAll('.product-card.worn').length === {worn_count}", timeout=15_000)
    page.get_by_role("button", name="Show the product pictures").click()
    page.wait_for_load_state()
    assert page.locator(".product-card.worn").count() == 0
    assert page.get_by_role("button", name="See it on me").is_visible()
