"""The gallery, the size finder and the staff pages in real Chromium: a shopper enters their
measurements, opens a top, switches and enlarges its pictures and sees their size marked; staff see
the product list with stock and thumbnails and the report with its charts.

Screenshots go to docs/ when REVETIR_SAVE_SCREENSHOTS=1, else to a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import PROJECT_ROOT, SHOPPER_PASSWORD

SHOPPER_EMAIL = "shopper@revetir.example"
STAFF_EMAIL = "staff@revetir.example"
STAFF_PASSWORD = "e2e-staff-password-1"
DEMO_TOP = "/products/breton-long-sleeve-top/"


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    if os.environ.get("REVETIR_SAVE_SCREENSHOTS") == "1":
        return PROJECT_ROOT / "docs"
    return tmp_path


def log_in(page, server, email: str, password: str, path: str = "/accounts/login/") -> None:
    page.goto(f"{server.url}{path}")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit], #content-main input[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def test_shopper_enters_measurements_then_browses_the_gallery_and_sees_their_size(revetir_server, page, screenshot_dir):
    log_in(page, revetir_server, SHOPPER_EMAIL, SHOPPER_PASSWORD)

    page.goto(f"{revetir_server.url}/accounts/profile/")
    form = page.locator("form.body-profile-form")
    form.locator("input[name=height_cm]").fill("178")
    form.locator("input[name=weight_kg]").fill("74")
    form.locator("input[name=fit_preference][value=regular]").check()
    form.locator("input[name=chest_cm]").fill("96")
    page.screenshot(path=screenshot_dir / "screenshot-profile-size.png", full_page=True)
    form.get_by_role("button", name="Save measurements").click()
    assert "Your measurements were saved" in page.locator(".messages").inner_text()

    page.goto(f"{revetir_server.url}{DEMO_TOP}")
    gallery = page.locator("[data-gallery]")
    page.wait_for_function("document.querySelector('[data-gallery]').classList.contains('gallery-enhanced')")
    pictures = gallery.locator("[data-gallery-image]")
    assert pictures.count() == 3
    assert pictures.nth(0).is_visible() and pictures.nth(1).is_hidden()

    gallery.locator("[data-gallery-thumb]").nth(2).click()
    assert pictures.nth(2).is_visible() and pictures.nth(0).is_hidden()
    assert gallery.locator("[data-gallery-thumb]").nth(2).get_attribute("aria-pressed") == "true"

    picker = page.locator("form.add-to-cart").first
    marked = picker.locator("label.recommended")
    assert marked.count() == 1 and marked.inner_text().startswith("M")
    advice = picker.locator("[data-size-advice]").inner_text()
    assert "Recommended: M — chest 92–99 cm matches your 96 cm" in advice
    page.screenshot(path=screenshot_dir / "screenshot-gallery-size.png", full_page=True)

    pictures.nth(2).focus()
    page.keyboard.press("Enter")
    dialog = page.locator("[data-gallery-zoom]")
    dialog.wait_for(state="visible")
    assert "Picture 3 of 3" in dialog.locator("[data-gallery-zoom-caption]").inner_text()
    page.keyboard.press("ArrowRight")
    assert "Picture 1 of 3" in dialog.locator("[data-gallery-zoom-caption]").inner_text()
    assert "white background" in dialog.locator("[data-gallery-zoom-image]").get_attribute("alt")
    dialog.locator("[data-gallery-zoom-frame]").click()
    assert dialog.locator("[data-gallery-zoom-toggle]").get_attribute("aria-pressed") == "true"
    assert "scale(" in dialog.locator("[data-gallery-zoom-image]").get_attribute("style")
    page.wait_for_timeout(300)  # the zoom transition
    page.screenshot(path=screenshot_dir / "screenshot-gallery-zoom.png")
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")

    picker.locator("label.recommended input").check()
    picker.get_by_role("button", name="Add to cart").click()
    assert "Added to your cart: Breton Long-Sleeve Top (size M)" in page.locator(".messages").inner_text()


def test_without_javascript_every_picture_is_shown_as_a_link_to_the_full_file(revetir_server, browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{revetir_server.url}{DEMO_TOP}")
        pictures = page.locator("[data-gallery-image]")
        assert pictures.count() == 3
        assert all(pictures.nth(index).is_visible() for index in range(3))
        assert page.locator("[data-gallery-thumbs]").is_hidden()
        href = pictures.nth(1).get_attribute("href")
        assert href.endswith("-backdrop.png")
    finally:
        context.close()


def test_staff_see_stock_and_pictures_in_the_product_list_and_the_report(revetir_server, page, tmp_path):
    # The e2e shop has no orders, so these screenshots are for looking at, not for the README.
    log_in(page, revetir_server, STAFF_EMAIL, STAFF_PASSWORD, path="/admin/login/")

    page.goto(f"{revetir_server.url}/admin/shop/product/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() > 0
    first = rows.first
    assert first.locator("img.admin-thumbnail").count() == 1
    page.wait_for_function(
        "[...document.querySelectorAll('img.admin-thumbnail')].every(image => image.complete && image.naturalWidth > 0)"
    )
    assert int(first.locator("td.field-total_stock").inner_text()) >= 0
    page.screenshot(path=tmp_path / "screenshot-admin-products.png", full_page=True)

    # The gallery's backdrop and close-up are never fitted by try-on: no mask check, no warnings.
    first.locator("th a, td a").first.click()
    page.wait_for_url("**/admin/shop/product/*/change/")
    gallery_rows = page.locator("#images-group tbody tr.form-row.has_original")
    assert gallery_rows.count() == 3
    extras = gallery_rows.filter(has_text="Not used by try-on: only the primary picture is fitted")
    assert extras.count() == 2
    assert extras.locator(".garment-mask-warning, .garment-mask-refused, img.garment-mask").count() == 0
    page.screenshot(path=tmp_path / "screenshot-admin-product-gallery.png", full_page=True)

    page.goto(f"{revetir_server.url}/admin/")
    index = page.locator("#content-main").inner_text().lower()  # section captions are upper-cased by CSS
    assert "try-on jobs" in index and "app sign-in tokens" in index
    assert "try on jobs" not in index and "auth token" not in index
    page.get_by_role("link", name="Sales and try-on report (last 30 days)").click()
    page.wait_for_url("**/admin/shop/order/report/")
    page.wait_for_load_state()  # count() does not wait: the click returns before the report has loaded
    assert page.locator("svg.report-chart").count() == 2
    assert "Try-on funnel" in page.locator("#content-main").inner_text()
    page.screenshot(path=tmp_path / "screenshot-admin-report.png", full_page=True)
