"""A new shopper's checkout in real Chromium: sign up, add a size to the cart, ship by express to a
new address saved to the address book, apply the welcome voucher, place the order, read the totals;
then a second order, where checkout offers the saved address first.

Screenshots go to docs/ when REVETIR_SAVE_SCREENSHOTS=1, else to a temporary folder.
"""

from __future__ import annotations

import os
import secrets
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.conftest import PROJECT_ROOT


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    if os.environ.get("REVETIR_SAVE_SCREENSHOTS") == "1":
        return PROJECT_ROOT / "docs"
    return tmp_path


def _add_first_product_to_cart(page, base_url: str) -> Decimal:
    page.goto(base_url)
    page.locator(".product-card a").first.click()
    price = Decimal(page.locator(".price").first.inner_text().split()[0])
    page.locator(".add-to-cart input[name=variant]:not([disabled])").first.check()
    page.locator(".add-to-cart").get_by_role("button", name="Add to cart").click()
    page.wait_for_load_state()
    return price


def test_new_shopper_checks_out_with_express_delivery_a_saved_address_and_a_voucher(
    revetir_server, page, screenshot_dir
):
    email = f"checkout-{secrets.token_hex(4)}@revetir.example"
    page.goto(f"{revetir_server.url}/accounts/signup/")
    page.fill("input[name=email]", email)
    page.fill("input[name=full_name]", "Camille Martin")
    page.fill("input[name=password1]", "a-long-e2e-password-7")
    page.fill("input[name=password2]", "a-long-e2e-password-7")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(lambda url: "/signup/" not in url)

    price = _add_first_product_to_cart(page, revetir_server.url)
    page.goto(f"{revetir_server.url}/cart/")
    page.get_by_role("link", name="Check out").click()

    # Step 1: a new address (saved to the book) and express delivery.
    page.fill("input[name=address_line1]", "8 Rue Mercière")
    page.fill("input[name=city]", "Lyon")
    page.fill("input[name=postal_code]", "69002")
    page.select_option("select[name=country]", "FR")
    page.get_by_label("Save this address to my address book").check()
    page.get_by_label("Express delivery", exact=False).check()
    page.screenshot(path=screenshot_dir / "screenshot-checkout-address.png", full_page=True)
    page.get_by_role("button", name="Continue to review").click()
    assert "The address was saved to your address book." in page.locator(".messages").inner_text()

    # Step 2: review (the country by its name from django-countries), a wrong voucher explained, then
    # the welcome voucher applied.
    assert "France" in page.locator("main").inner_text()
    page.fill("input[name=code]", "NOSUCHCODE")
    page.get_by_role("button", name="Apply voucher").click()
    assert "There is no voucher 'NOSUCHCODE'" in page.locator(".messages").inner_text()
    page.fill("input[name=code]", "welcome10")
    page.get_by_role("button", name="Apply voucher").click()
    assert "Voucher WELCOME10 applied: 10% off." in page.locator(".messages").inner_text()
    discount = (price * Decimal("0.10")).quantize(Decimal("0.01"))
    express = Decimal("9.90")
    total = price - discount + express
    summary = page.locator("main table").inner_text()
    assert f"−{discount} EUR" in summary
    assert f"{express} EUR" in summary
    page.screenshot(path=screenshot_dir / "screenshot-checkout-review.png", full_page=True)
    page.get_by_role("button", name=f"Place order ({total} EUR)").click()

    # Done: the order keeps the voucher, the delivery and the totals.
    page.get_by_role("heading", name="Thank you, your order is placed").wait_for()
    assert f"Amount due: {total} EUR" in page.locator("main").inner_text()
    page.screenshot(path=screenshot_dir / "screenshot-checkout-complete.png", full_page=True)
    page.get_by_role("link", name="View order").click()
    order_page = page.locator("main").inner_text()
    assert "Voucher WELCOME10" in order_page
    assert "Express delivery" in order_page
    assert f"{total} EUR" in order_page
    page.screenshot(path=screenshot_dir / "screenshot-order-totals.png", full_page=True)

    # A second order: the saved address is offered and chosen; the voucher is spent.
    _add_first_product_to_cart(page, revetir_server.url)
    page.goto(f"{revetir_server.url}/checkout/")
    saved = page.get_by_label("8 Rue Mercière", exact=False)
    assert saved.is_checked()
    new_address = page.locator("[data-new-address]")
    assert new_address.is_hidden()  # its fields count only for "A new address"
    page.get_by_label("A new address", exact=True).check()
    assert new_address.is_visible()
    page.screenshot(path=screenshot_dir / "screenshot-checkout-saved-address.png", full_page=True)
    saved.check()
    page.get_by_role("button", name="Continue to review").click()
    assert "8 Rue Mercière" in page.locator("main address").inner_text()
    page.fill("input[name=code]", "WELCOME10")
    page.get_by_role("button", name="Apply voucher").click()
    assert "You have already used voucher WELCOME10" in page.locator(".messages").inner_text()

    page.goto(f"{revetir_server.url}/accounts/addresses/")
    assert "8 Rue Mercière" in page.locator("main").inner_text()
    page.screenshot(path=screenshot_dir / "screenshot-address-book.png", full_page=True)
