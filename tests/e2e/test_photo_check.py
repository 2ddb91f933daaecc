"""In real Chromium: a photo without a person is refused on My photos with what photo to take, and a
waist-up photo is saved with what it can and cannot try.

Screenshots go to docs/ when REVETIR_SAVE_SCREENSHOTS=1, else to a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from matplotlib import cbook
from PIL import Image
from skimage import data as skimage_data

from tests.e2e.conftest import PROJECT_ROOT, SHOPPER_PASSWORD

SHOPPER_EMAIL = "shopper@revetir.example"


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    if os.environ.get("REVETIR_SAVE_SCREENSHOTS") == "1":
        return PROJECT_ROOT / "docs"
    return tmp_path


def test_my_photos_refuses_a_cup_of_coffee_and_keeps_a_waist_up_portrait_for_tops(
    revetir_server, page, tmp_path, screenshot_dir
):
    coffee, portrait = tmp_path / "coffee.jpg", tmp_path / "portrait.jpg"
    Image.fromarray(skimage_data.coffee()).save(coffee)
    with cbook.get_sample_data("grace_hopper.jpg") as sample:
        Image.open(sample).convert("RGB").save(portrait)

    page.goto(f"{revetir_server.url}/accounts/login/")
    page.fill("input[name=username]", SHOPPER_EMAIL)
    page.fill("input[name=password]", SHOPPER_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)

    page.goto(f"{revetir_server.url}/tryon/photos/")
    page.set_input_files("input[name=photo]", str(coffee))
    page.click("main form button[type=submit]")
    error = page.locator(".errorlist").first
    error.wait_for()
    assert "We could not find a person in this photo" in error.inner_text()
    page.screenshot(path=str(screenshot_dir / "screenshot-photo-refused.png"), full_page=True)

    page.set_input_files("input[name=photo]", str(portrait))
    page.click("main form button[type=submit]")
    verdicts = page.locator(".tryon-verdicts").first
    verdicts.wait_for()
    text = verdicts.inner_text()
    assert "Can try: Upper body" in text
    assert "Cannot try lower body (trousers, skirts) or full body (dresses): This photo shows you" in text
    page.screenshot(path=str(screenshot_dir / "screenshot-photo-verdicts.png"), full_page=True)
