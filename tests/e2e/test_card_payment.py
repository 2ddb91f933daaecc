"""Paying by card in real Chromium against localstripe: the review page offers card, the payment
page loads the card form from the fake Stripe.js that localstripe serves, the shopper types a test
card, pays, and sees the order paid; the review and payment pages are photographed at 1280 and
390 px wide (to docs/ when REVETIR_SAVE_SCREENSHOTS=1) and scanned with axe-core.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from tests.e2e.accessibility import axe_violations, describe_violations
from tests.e2e.conftest import PROJECT_ROOT, LiveServer, serve
from tests.localstripe_server import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET

WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def card_server(tmp_path_factory, localstripe):
    """A Revetir server that takes cards through localstripe, whose webhooks it receives."""
    server = LiveServer(tmp_path_factory.mktemp("e2e-card-server"))
    server.env.update(
        {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "REVETIR_STRIPE_API_BASE": localstripe.url,
        }
    )
    localstripe.send_webhooks_to(f"{server.url}/payments/stripe/webhook/")
    yield from serve(server)


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    return PROJECT_ROOT / "docs" if os.environ.get("REVETIR_SAVE_SCREENSHOTS") == "1" else tmp_path


# localstripe's fake card form (placeholders, no labels) stands where Stripe's own iframe would be:
# markup the shop does not own, so axe's label rule is not applied inside it.
FAKE_CARD_FORM_FAULTS = {"label": "#payment-element"}


def _photograph_and_scan(page, path: Path) -> None:
    """Screenshots at each width, each also scanned with axe-core for WCAG 2.2 A/AA violations."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=path.with_name(f"{path.stem}-{width}.png"), full_page=True)
        violations = axe_violations(page, known_faults=FAKE_CARD_FORM_FAULTS)
        assert not violations, f"{path.stem} at {width} px:\n{describe_violations(violations)}"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_shopper_pays_by_card_with_the_fake_card_form_and_sees_the_order_paid(card_server, page, screenshot_dir):
    page.goto(f"{card_server.url}/accounts/signup/")
    page.fill("input[name=email]", f"card-{secrets.token_hex(4)}@revetir.example")
    page.fill("input[name=full_name]", "Camille Martin")
    page.fill("input[name=password1]", "a-long-e2e-password-7")
    page.fill("input[name=password2]", "a-long-e2e-password-7")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(lambda url: "/signup/" not in url)
    page.goto(card_server.url)
    page.locator(".product-card a").first.click()
    page.locator(".add-to-cart input[name=variant]:not([disabled])").first.check()
    page.locator(".add-to-cart").get_by_role("button", name="Add to cart").click()
    page.wait_for_load_state()
    page.goto(f"{card_server.url}/cart/")
    page.get_by_role("link", name="Check out").click()
    page.fill("input[name=address_line1]", "8 Rue Mercière")
    page.fill("input[name=city]", "Lyon")
    page.fill("input[name=postal_code]", "69002")
    page.select_option("select[name=country]", "FR")
    page.get_by_label("Standard delivery", exact=False).check()
    page.get_by_role("button", name="Continue to review").click()

    page.get_by_label("Card", exact=True).check()
    _photograph_and_scan(page, screenshot_dir / "screenshot-checkout-review-card.png")
    page.locator("form[action$='/checkout/place/'] button[type=submit]").click()

    page.wait_for_url("**/checkout/pay/**")
    total = page.locator("#pay-button").inner_text()
    page.locator("#payment-element input[placeholder=number]").wait_for()
    _photograph_and_scan(page, screenshot_dir / "screenshot-checkout-pay.png")
    card = page.locator("#payment-element")
    card.locator("input[placeholder=number]").fill("4242424242424242")
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("34")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("69002")
    page.locator("#pay-button").click()

    page.wait_for_url("**/checkout/complete/**")
    assert page.locator("h1").inner_text() == "Thank you, your order is paid"
    assert f"Paid by card: {total.removeprefix('Pay ')}" in page.locator("main").inner_text()
    page.get_by_role("link", name="View order").click()
    assert page.locator(".status").inner_text() == "Paid"
