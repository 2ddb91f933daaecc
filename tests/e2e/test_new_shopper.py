"""What a new shopper tripped over (issue #22), walked in real Chromium at 1280 and 390 px: the
catalogue's panels on a phone, totals of cart and order tables without a sideways swipe, "Log in"
bringing them back, the try-on form on a saved photo with wording for the garment, and the order
e-mail linking to the address the shop is served on."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from skimage import data as skimage_data

from tests.e2e.conftest import SHOPPER_PASSWORD
from tests.e2e.test_accessibility import add_to_cart, fill_address, log_in, screenshot_folder

SHOPPER_EMAIL = "shopper@revetir.example"
DESKTOP, PHONE = 1280, 390
SCREEN_HEIGHT = 844  # a 390 px wide phone's screen


@pytest.fixture
def shots(tmp_path):
    return screenshot_folder() or tmp_path


def new_page(browser, width: int):
    context = browser.new_context(viewport={"width": width, "height": SCREEN_HEIGHT})
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def right_edge_fits(page, selector: str) -> bool:
    """Whether every element matching `selector` ends inside the window (no sideways swipe to see it)."""
    return page.evaluate(
        "(selector) => [...document.querySelectorAll(selector)]"
        ".every(element => element.getBoundingClientRect().right <= window.innerWidth + 0.5)",
        selector,
    )


def test_on_a_phone_the_products_come_before_the_folded_categories_and_filters(revetir_server, browser, shots):
    phone = new_page(browser, PHONE)
    desktop = new_page(browser, DESKTOP)
    try:
        phone.goto(f"{revetir_server.url}/?size=M&sort=price_asc")
        phone.screenshot(path=shots / "screenshot-catalogue-390.png")
        first_card_top = phone.locator(".product-card").first.bounding_box()["y"]
        assert first_card_top < SCREEN_HEIGHT / 2, f"the first product starts {first_card_top:.0f} px down"
        assert not phone.locator("details.category-panel").evaluate("panel => panel.open")
        assert not phone.locator("details.filters-panel").evaluate("panel => panel.open")
        assert phone.locator("details.filters-panel > summary").inner_text() == "Filter and sort: filters applied"
        phone.locator("details.category-panel > summary").click()  # still one tap away
        assert phone.locator(".category-nav a", has_text="Trousers & shorts").is_visible()

        desktop.goto(f"{revetir_server.url}/?size=M")
        desktop.screenshot(path=shots / "screenshot-catalogue-1280.png")
        assert desktop.locator("details.category-panel").evaluate("panel => panel.open")
        assert desktop.locator("details.filters-panel").evaluate("panel => panel.open")
    finally:
        phone.context.close()
        desktop.context.close()


def test_log_in_in_the_header_brings_the_shopper_back_to_the_product(revetir_server, browser):
    page = new_page(browser, DESKTOP)
    try:
        page.goto(f"{revetir_server.url}/?category=unisex-trousers-shorts")
        page.locator(".product-card a").first.click()
        product_url = page.url
        page.locator(".site-nav").get_by_role("link", name="Log in").click()
        page.fill("input[name=username]", SHOPPER_EMAIL)
        page.fill("input[name=password]", SHOPPER_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(product_url)
    finally:
        page.context.close()


def test_cart_and_order_show_their_totals_on_a_phone_and_the_mail_links_to_this_shop(revetir_server, browser, shots):
    page = new_page(browser, PHONE)
    try:
        log_in(page, revetir_server.url, SHOPPER_EMAIL, SHOPPER_PASSWORD)
        page.goto(f"{revetir_server.url}/?category=women-tops")
        product_url = revetir_server.url + page.locator(".product-card a").first.get_attribute("href")
        add_to_cart(page, product_url)
        page.goto(f"{revetir_server.url}/cart/")
        page.screenshot(path=shots / "screenshot-cart-stacked-390.png", full_page=True)
        line_total = page.locator("main tbody td[data-label=Total]").first
        assert line_total.is_visible() and re.search(r"\d+\.\d\d", line_total.inner_text())
        assert right_edge_fits(page, "main td, main th")
        no_swipe = "[...document.querySelectorAll('.table-scroll')].every(box => box.scrollWidth <= box.clientWidth)"
        assert page.evaluate(no_swipe)

        page.goto(f"{revetir_server.url}/checkout/")
        fill_address(page)
        page.get_by_role("button", name="Continue to review").click()
        assert right_edge_fits(page, "main td, main th")
        page.get_by_role("button", name="Place order").click()
        page.get_by_role("heading", name="Thank you, your order is placed").wait_for()
        number = page.locator("main strong").first.inner_text()
        page.goto(f"{revetir_server.url}/orders/{number}/")
        page.screenshot(path=shots / "screenshot-order-stacked-390.png", full_page=True)
        total_row = page.locator("main tfoot tr", has_text="Total")
        assert total_row.is_visible() and right_edge_fits(page, "main tfoot td, main tbody td")
        page.goto(f"{revetir_server.url}/orders/")
        assert right_edge_fits(page, "main td")
    finally:
        page.context.close()
    # The console mail backend writes the confirmation into the server's log.
    assert f"{revetir_server.url}/orders/{number}/" in revetir_server.log()
    assert "127.0.0.1:8000" not in revetir_server.log()


def test_the_try_on_form_starts_on_the_saved_photo_and_asks_for_the_photo_each_garment_needs(
    revetir_server, browser, tmp_path, shots
):
    photo = tmp_path / "astronaut.png"
    Image.fromarray(skimage_data.astronaut()).save(photo)
    page = new_page(browser, DESKTOP)
    try:
        log_in(page, revetir_server.url, SHOPPER_EMAIL, SHOPPER_PASSWORD)
        page.goto(f"{revetir_server.url}/tryon/photos/")
        if page.locator(".photo-card, .tryon-photos img").count() == 0:
            page.locator("input[type=file][name=photo]").set_input_files(photo)
            page.locator("main form[enctype] button[type=submit]").first.click()
            page.wait_for_load_state()
        page.goto(f"{revetir_server.url}/?category=women-tops")
        page.locator(".product-card a").first.click()
        saved = page.locator(".tryon-panel input[name=photo_id]:not([value=''])").first
        assert saved.is_checked(), "the form should start on the saved photo, not on a new upload"
        assert "upper body visible" in page.locator(".tryon-panel .helptext").first.inner_text()

        page.goto(f"{revetir_server.url}/?category=unisex-trousers-shorts")
        page.locator(".product-card a").first.click()
        page.screenshot(path=shots / "screenshot-tryon-trousers-1280.png", full_page=True)
        help_text = page.locator(".tryon-panel .helptext").last.inner_text()
        assert "full-length photo, from your head down to your feet" in help_text
        assert "upper body visible" not in help_text
        # The waist-up photo cannot try trousers, so nothing is chosen for the shopper here.
        assert not page.locator(".tryon-panel input[name=photo_id]:checked:not([value=''])").count()
    finally:
        page.context.close()


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_see_it_on_me_lets_the_shopper_choose_which_saved_photo(revetir_server, browser, tmp_path, shots, width):
    photos = [tmp_path / "astronaut.png", tmp_path / "astronaut-mirrored.png"]
    Image.fromarray(skimage_data.astronaut()).save(photos[0])
    Image.fromarray(skimage_data.astronaut()[:, ::-1]).save(photos[1])
    page = new_page(browser, width)
    # Only the choice is under test: the page's try-ons are not started (the API call is refused here).
    page.route("**/api/tryon/pages/", lambda route: route.abort())
    try:
        log_in(page, revetir_server.url, SHOPPER_EMAIL, SHOPPER_PASSWORD)
        for photo in photos:  # saving the same photo again keeps it once
            page.goto(f"{revetir_server.url}/tryon/photos/")
            page.locator("input[type=file][name=photo]").set_input_files(photo)
            page.locator("main form[enctype] button[type=submit]").first.click()
            page.wait_for_load_state()
        page.goto(f"{revetir_server.url}/")
        choice = page.locator("[data-wear] select[name=photo_id]")
        options = choice.locator("option")
        assert options.count() >= 2
        assert all(text.startswith("Tops only · ") for text in options.all_inner_texts())  # waist-up photos, said so
        page.screenshot(path=shots / f"screenshot-see-it-on-me-choice-{width}.png")
        assert right_edge_fits(page, "[data-wear] select, [data-wear] button")
        other = options.nth(1).get_attribute("value")
        choice.select_option(other)
        page.get_by_role("button", name="See it on me").click()
        page.wait_for_load_state()
        assert page.locator("[data-wear]").get_attribute("data-photo-id") == other
        assert page.locator("[data-wear] select[name=photo_id]").input_value() == other
        page.get_by_role("button", name="Show the product pictures").click()
        page.wait_for_load_state()
    finally:
        page.context.close()
