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

    page.goto(f"{revetir_server.url}/")
    page.get_by_role("button", name="See it on me").click()
    page.wait_for_load_state()
    wearable = page.locator("[data-wear-product]").count()
    assert wearable > 0
    progress = page.locator("[data-wear-progress]")
    page.wait_for_function(
        "document.querySelectorAll('.product-card.worn, .product-card.wear-failed, .product-card.wear-skipped')"
        ".length === "
        "document.querySelectorAll('[data-wear-product]').length",
        timeout=PAGE_TIMEOUT_MS,
    )
    wearable -= page.locator(".product-card.wear-skipped").count()  # garments this photo cannot try
    assert progress.inner_text() == f"All {wearable} garments are shown on your photo."
    worn = page.locator(".product-card.worn img").first
    assert "/tryon/jobs/" in worn.get_attribute("src") and worn.get_attribute("alt") == "This garment on your photo"
    page.screenshot(path=screenshot_dir / "screenshot-see-it-on-me.png", full_page=True)

    page.reload()  # remembered, and every picture now comes from the cache
    page.wait_for_function(f"document.querySelectorAll('.product-card.worn').length === {wearable}", timeout=15_000)
    page.get_by_role("button", name="Show the product pictures").click()
    page.wait_for_load_state()
    assert page.locator(".product-card.worn").count() == 0
    assert page.get_by_role("button", name="See it on me").is_visible()
