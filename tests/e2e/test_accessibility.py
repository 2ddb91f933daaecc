"""WCAG 2.2 AA on every page of the shop, in real Chromium: an axe-core scan of each page (anonymous,
signed in and staff) at desktop and phone widths, no sideways scrolling on a phone, id references
that resolve, a focus ring with 3:1 contrast, and the try-on flow by keyboard and screen reader.

The pages are one table, `SHOP_PAGES`: a new page is one row (who visits, how to get there).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pytest
from PIL import Image
from skimage import data as skimage_data

from tests.e2e.accessibility import (
    WCAG_NON_TEXT_CONTRAST,
    axe_violations,
    contrast_ratio,
    describe_violations,
    parse_css_colour,
)
from tests.e2e.conftest import PROJECT_ROOT, SHOPPER_PASSWORD, STAFF_PASSWORD

SHOPPER_EMAIL = "shopper@revetir.example"
STAFF_EMAIL = "staff@revetir.example"
DESKTOP_WIDTH = 1280
PHONE_WIDTHS = (390, 320)  # a common phone, and WCAG 1.4.10's reflow width
VIEWPORT_HEIGHT = 900
WHITE = (255.0, 255.0, 255.0)

# Ids that aria-describedby, aria-labelledby, aria-controls and label[for] name, missing from the page.
BROKEN_ID_REFERENCES_JS = """(knownFaultsIn) => {
  const broken = [];
  const referring = '[aria-describedby], [aria-labelledby], [aria-controls], label[for]';
  for (const element of document.querySelectorAll(referring)) {
    if (knownFaultsIn && element.closest(knownFaultsIn)) continue;
    for (const attribute of ['aria-describedby', 'aria-labelledby', 'aria-controls', 'for']) {
      for (const id of (element.getAttribute(attribute) || '').split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) broken.push(`${element.tagName.toLowerCase()}[${attribute}=${id}]`);
      }
    }
  }
  return broken;
}"""


def screenshot_folder() -> Path | None:
    """Where to keep screenshots of what the tests look at: docs/ with REVETIR_SAVE_SCREENSHOTS=1."""
    return PROJECT_ROOT / "docs" if os.environ.get("REVETIR_SAVE_SCREENSHOTS") == "1" else None


class Shop:
    """The running shop and the things some pages need first (a placed order, a finished try-on),
    each made once per test session through the pages themselves."""

    def __init__(self, server, browser, photo_path: Path) -> None:
        self.server = server
        self.url = server.url
        self.browser = browser
        self.photo_path = photo_path
        self.storage_states: dict[str, dict] = {}

    def new_page(self, visitor: str, width: int = DESKTOP_WIDTH):
        context = self.browser.new_context(
            viewport={"width": width, "height": VIEWPORT_HEIGHT},
            storage_state=self.storage_state(visitor) if visitor != "anonymous" else None,
        )
        page = context.new_page()
        page.set_default_timeout(30_000)
        return page

    def storage_state(self, visitor: str) -> dict:
        if visitor not in self.storage_states:
            email, password = {"shopper": (SHOPPER_EMAIL, SHOPPER_PASSWORD), "staff": (STAFF_EMAIL, STAFF_PASSWORD)}[
                visitor
            ]
            context = self.browser.new_context()
            page = context.new_page()
            log_in(page, self.url, email, password)
            self.storage_states[visitor] = context.storage_state()
            context.close()
        return self.storage_states[visitor]

    @cached_property
    def product_path(self) -> str:
        """A top: the test photos (an astronaut, waist up) can try tops on, not trousers or dresses."""
        page = self.new_page("anonymous")
        page.goto(f"{self.url}/?category=women-tops")
        path = page.locator(".product-card a").first.get_attribute("href")
        page.context.close()
        return path

    @cached_property
    def order_number(self) -> str:
        page = self.new_page("shopper")
        add_to_cart(page, self.url + self.product_path)
        page.goto(f"{self.url}/checkout/")
        fill_address(page)
        page.get_by_role("button", name="Continue to review").click()
        page.get_by_role("button", name="Place order").click()
        page.get_by_role("heading", name="Thank you, your order is placed").wait_for()
        number = page.locator("main strong").first.inner_text()
        page.context.close()
        return number

    @cached_property
    def address_edit_path(self) -> str:
        """The edit page of an address the shopper saved in their address book."""
        page = self.new_page("shopper")
        page.goto(f"{self.url}/accounts/addresses/new/")
        page.fill("input[name=full_name]", "Demo Shopper")
        fill_address(page)
        page.get_by_role("button", name="Save address").click()
        page.wait_for_url(lambda address: "/new/" not in address)
        path = page.get_by_role("link", name="Edit").first.get_attribute("href")
        page.context.close()
        return path

    def delete_saved_address(self) -> None:
        """Leaves the demo shopper's address book as it was, for the other browser tests' checkouts."""
        if "address_edit_path" not in self.__dict__:
            return
        page = self.new_page("shopper")
        page.goto(self.url + self.address_edit_path.replace("/edit/", "/delete/"))
        page.get_by_role("button", name="Delete address").click()
        page.wait_for_load_state()
        page.context.close()

    @cached_property
    def finished_job_path(self) -> str:
        """The page of a try-on that finished: the shopper's photo with the product on it."""
        page = self.new_page("shopper")
        page.goto(self.url + self.product_path)
        start_tryon(page, self.photo_path)
        page.locator("[data-tryon-result]").wait_for(state="visible", timeout=120_000)
        page.goto(f"{self.url}/tryon/photos/")
        path = page.locator("a[href*='/tryon/jobs/']").first.get_attribute("href")
        page.context.close()
        return path

    @cached_property
    def photo_delete_path(self) -> str:
        self.finished_job_path  # noqa: B018 (makes sure a photo is saved)
        page = self.new_page("shopper")
        page.goto(f"{self.url}/tryon/photos/")
        path = page.get_by_role("link", name="Delete photo…").first.get_attribute("href")
        page.context.close()
        return path

    @cached_property
    def not_found_html(self) -> str:
        """The shop's own 404 page as the server renders it with DEBUG off (the browser-test server
        runs with DEBUG on, which shows Django's technical page instead)."""
        render = (
            "from django.http import Http404; from django.test import RequestFactory; "
            "from django.views.defaults import page_not_found; "
            "print(page_not_found(RequestFactory().get('/no-such-page/'), Http404()).content.decode())"
        )
        return self.server.manage("shell", "-c", render)


def log_in(page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda address: "/login/" not in address)


def add_to_cart(page, product_url: str) -> None:
    page.goto(product_url)
    page.locator(".add-to-cart input[name=variant]:not([disabled])").first.check()
    page.locator(".add-to-cart").first.get_by_role("button", name="Add to cart").click()
    page.locator(".messages").wait_for()


def fill_address(page) -> None:
    page.fill("input[name=full_name]", "Demo Shopper")
    page.fill("input[name=address_line1]", "1 Rue de la Paix")
    page.fill("input[name=city]", "Paris")
    page.fill("input[name=postal_code]", "75002")
    page.select_option("select[name=country]", "FR")


def start_tryon(page, photo_path: Path) -> None:
    panel = page.locator(".tryon-panel")
    page.wait_for_function("document.querySelector('[data-tryon]').dataset.socket === 'open'")
    panel.locator("input[type=file][name=photo]").set_input_files(photo_path)
    panel.get_by_role("button", name="Try it on").click()


@dataclass(frozen=True)
class ShopPage:
    """One page (or one state of a page) to scan: who visits it, and how they get there."""

    name: str
    visitor: str  # "anonymous", "shopper" or "staff"
    reach: Callable  # (page, shop) -> None, leaves the page in the state to scan
    # Django admin's own markup has WCAG faults this project does not patch: rule id → where.
    known_faults: dict[str, str] = field(default_factory=dict)
    # Fits a 320 px screen without sideways scrolling. Not asked of Django admin's change lists or the
    # staff report, whose data tables are wider than a phone (WCAG 1.4.10 exempts data tables).
    reflows: bool = True


def goto(path: str) -> Callable:
    return lambda page, shop: page.goto(shop.url + path)


def submit_empty(path: str, button: str) -> Callable:
    def reach(page, shop) -> None:
        page.goto(shop.url + path)
        page.locator("main form").get_by_role("button", name=button).click()
        page.wait_for_load_state()

    return reach


def first_admin_row(changelist: str) -> Callable:
    def reach(page, shop) -> None:
        page.goto(shop.url + changelist)
        page.locator("#result_list tbody a").first.click()
        page.wait_for_load_state()

    return reach


def first_category(page, shop) -> None:
    page.goto(shop.url)
    page.locator(".category-nav a[href*='category=']").first.click()
    page.wait_for_load_state()


def product(page, shop) -> None:
    page.goto(shop.url + shop.product_path)


def product_after_add_to_cart(page, shop) -> None:
    add_to_cart(page, shop.url + shop.product_path)


def cart_with_a_line(page, shop) -> None:
    add_to_cart(page, shop.url + shop.product_path)
    page.goto(f"{shop.url}/cart/")


def cart_after_remove(page, shop) -> None:
    cart_with_a_line(page, shop)
    page.locator("main").get_by_role("button", name=re.compile("^Remove")).first.click()
    page.locator(".messages").wait_for()


def login_with_an_error(page, shop) -> None:
    page.goto(f"{shop.url}/accounts/login/")
    page.fill("input[name=username]", SHOPPER_EMAIL)
    page.fill("input[name=password]", "not-the-password")
    page.click("main button[type=submit]")
    page.locator("#login-error").wait_for()


def delete_account_with_a_wrong_password(page, shop) -> None:
    page.goto(f"{shop.url}/accounts/delete/")
    page.fill("input[name=password]", "not-the-password")
    page.locator("main form").get_by_role("button").last.click()
    page.locator(".errorlist").first.wait_for()


def save_measurements(page, shop, *, height_cm: str) -> None:
    page.goto(f"{shop.url}/accounts/profile/")
    form = page.locator("form.body-profile-form")
    form.locator("input[name=height_cm]").fill(height_cm)
    form.locator("input[name=chest_cm]").fill("96")
    form.get_by_role("button", name="Save measurements").click()
    page.wait_for_load_state()


def profile_with_measurement_errors(page, shop) -> None:
    save_measurements(page, shop, height_cm="12")
    page.locator(".body-profile-form .errorlist").first.wait_for()


def product_with_the_size_finder(page, shop) -> None:
    save_measurements(page, shop, height_cm="172")
    page.goto(shop.url + shop.product_path)


def checkout_address(page, shop) -> None:
    add_to_cart(page, shop.url + shop.product_path)
    page.goto(f"{shop.url}/checkout/")


def checkout_address_with_errors(page, shop) -> None:
    checkout_address(page, shop)
    page.get_by_role("button", name="Continue to review").click()
    page.locator(".errorlist").first.wait_for()


def checkout_review(page, shop) -> None:
    checkout_address(page, shop)
    fill_address(page)
    page.get_by_role("button", name="Continue to review").click()
    page.get_by_role("button", name="Place order").wait_for()


def checkout_review_with_a_voucher(code: str) -> Callable:
    def reach(page, shop) -> None:
        checkout_review(page, shop)
        page.fill("input[name=code]", code)
        page.get_by_role("button", name="Apply voucher").click()
        page.locator(".messages").wait_for()

    return reach


def checkout_complete(page, shop) -> None:
    checkout_review(page, shop)
    page.get_by_role("button", name="Place order").click()
    page.get_by_role("heading", name="Thank you, your order is placed").wait_for()


def tryon_start_page(page, shop) -> None:
    """The page the Try it on form answers with when it is posted without a photo and without
    JavaScript: form.submit() posts it the way such a browser would (tryon.js's handler never runs)."""
    page.goto(shop.url + shop.product_path)
    with page.expect_navigation():
        page.evaluate("document.querySelector('.tryon-panel .tryon-form').submit()")


def product_with_a_finished_tryon(page, shop) -> None:
    shop.finished_job_path  # noqa: B018 (the panel shows this product's newest result)
    page.goto(shop.url + shop.product_path)
    page.locator("[data-tryon-result]").wait_for(state="visible", timeout=60_000)


def not_found(page, shop) -> None:
    address = f"{shop.url}/no-such-page/"
    page.route(address, lambda route: route.fulfill(status=404, content_type="text/html", body=shop.not_found_html))
    page.goto(address)


# Django admin 5.2's markup and stylesheet, as Django ships them, break these rules; their findings
# inside these containers are left out (the rules still apply to the rest of each admin page):
# - link-in-text-block (1.4.1): breadcrumb links differ from the "›" text between them by colour
#   only (no underline);
# - target-size (2.5.8): the changelist filter sidebar's links are single text lines about 20 px high;
# - label, select-name (1.3.1, 4.1.2) and the id-reference check: a tabular inline (a product's sizes
#   and pictures) names its inputs only by column headers, and shows help text as a header tooltip
#   rather than the <id>_helptext element the inputs' aria-describedby names.
ID_REFERENCE_CHECK = "id-reference"
DJANGO_ADMIN_FAULTS = {
    "link-in-text-block": ".breadcrumbs",
    "target-size": "#changelist-filter",
    "label": ".tabular",
    "select-name": ".tabular",
    ID_REFERENCE_CHECK: ".tabular",
}

SHOP_PAGES: list[ShopPage] = [
    # Catalogue
    ShopPage("catalogue", "anonymous", goto("/")),
    ShopPage("category", "anonymous", first_category),
    ShopPage("search results", "anonymous", goto("/?q=tee")),
    ShopPage("search without results", "anonymous", goto("/?q=no-such-garment")),
    ShopPage("catalogue with a filter error", "anonymous", goto("/?min_price=abc&size=XXXL")),
    ShopPage("product", "anonymous", product),
    ShopPage("product, signed in (try-on panel)", "shopper", product),
    ShopPage("product after Add to cart", "anonymous", product_after_add_to_cart),
    ShopPage("product with the size finder (measurements saved)", "shopper", product_with_the_size_finder),
    # Cart
    ShopPage("empty cart", "anonymous", goto("/cart/")),
    ShopPage("cart with a line", "anonymous", cart_with_a_line),
    ShopPage("cart after Remove", "anonymous", cart_after_remove),
    # Checkout and orders
    ShopPage("checkout address", "shopper", checkout_address),
    ShopPage("checkout address with errors", "shopper", checkout_address_with_errors),
    ShopPage("checkout review", "shopper", checkout_review),
    ShopPage("checkout review, an unknown voucher", "shopper", checkout_review_with_a_voucher("NOSUCHCODE")),
    ShopPage("checkout review, voucher applied", "shopper", checkout_review_with_a_voucher("WELCOME10")),
    ShopPage("checkout complete", "shopper", checkout_complete),
    ShopPage("order list", "shopper", goto("/orders/")),
    ShopPage("order detail", "shopper", lambda page, shop: page.goto(f"{shop.url}/orders/{shop.order_number}/")),
    ShopPage(
        "order cancel confirmation",
        "shopper",
        lambda page, shop: page.goto(f"{shop.url}/orders/{shop.order_number}/cancel/"),
    ),
    # Accounts
    ShopPage("login", "anonymous", goto("/accounts/login/")),
    ShopPage("login with an error", "anonymous", login_with_an_error),
    ShopPage("sign-up", "anonymous", goto("/accounts/signup/")),
    ShopPage("sign-up with errors", "anonymous", submit_empty("/accounts/signup/", "Create account")),
    ShopPage("password reset", "anonymous", goto("/accounts/password/reset/")),
    ShopPage("password reset sent", "anonymous", goto("/accounts/password/reset/sent/")),
    ShopPage("password reset with a stale link", "anonymous", goto("/accounts/password/reset/MQ/stale-token/")),
    ShopPage("password reset complete", "anonymous", goto("/accounts/password/reset/complete/")),
    ShopPage("profile", "shopper", goto("/accounts/profile/")),
    ShopPage("profile, measurements with errors", "shopper", profile_with_measurement_errors),
    ShopPage("password change", "shopper", goto("/accounts/password/change/")),
    ShopPage("password change with errors", "shopper", submit_empty("/accounts/password/change/", "Change password")),
    ShopPage("password change done", "shopper", goto("/accounts/password/change/done/")),
    ShopPage("address book", "shopper", goto("/accounts/addresses/")),
    ShopPage("add an address", "shopper", goto("/accounts/addresses/new/")),
    ShopPage("add an address with errors", "shopper", submit_empty("/accounts/addresses/new/", "Save address")),
    ShopPage("edit an address", "shopper", lambda page, shop: page.goto(shop.url + shop.address_edit_path)),
    ShopPage(
        "address delete confirmation",
        "shopper",
        lambda page, shop: page.goto(shop.url + shop.address_edit_path.replace("/edit/", "/delete/")),
    ),
    ShopPage("delete account", "shopper", goto("/accounts/delete/")),
    ShopPage("delete account with a wrong password", "shopper", delete_account_with_a_wrong_password),
    # Try-on
    ShopPage("try-on start (posted without a photo)", "shopper", tryon_start_page),
    ShopPage("my photos", "shopper", goto("/tryon/photos/")),
    ShopPage("my photos, upload without a photo", "shopper", submit_empty("/tryon/photos/", "Upload")),
    ShopPage("photo delete confirmation", "shopper", lambda page, shop: page.goto(shop.url + shop.photo_delete_path)),
    ShopPage("try-on job, finished", "shopper", lambda page, shop: page.goto(shop.url + shop.finished_job_path)),
    ShopPage(
        "try-on delete confirmation",
        "shopper",
        lambda page, shop: page.goto(shop.url + shop.finished_job_path + "delete/"),
    ),
    ShopPage("product with a finished try-on result", "shopper", product_with_a_finished_tryon),
    # Errors
    ShopPage("404", "anonymous", not_found),
    # Staff (Django admin)
    ShopPage("admin login", "anonymous", goto("/admin/login/"), DJANGO_ADMIN_FAULTS),
    ShopPage("admin index", "staff", goto("/admin/"), DJANGO_ADMIN_FAULTS),
    ShopPage("admin products", "staff", goto("/admin/shop/product/"), DJANGO_ADMIN_FAULTS, reflows=False),
    ShopPage("admin product change", "staff", first_admin_row("/admin/shop/product/"), DJANGO_ADMIN_FAULTS),
    ShopPage("admin stock", "staff", goto("/admin/shop/variant/"), DJANGO_ADMIN_FAULTS, reflows=False),
    ShopPage("admin stock import", "staff", goto("/admin/shop/variant/stock/import/"), DJANGO_ADMIN_FAULTS),
    ShopPage("admin orders", "staff", goto("/admin/shop/order/"), DJANGO_ADMIN_FAULTS, reflows=False),
    ShopPage(
        "staff sales and try-on report", "staff", goto("/admin/shop/order/report/"), DJANGO_ADMIN_FAULTS, reflows=False
    ),
]


@pytest.fixture(scope="session")
def astronaut_photo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("photos") / "astronaut.png"
    Image.fromarray(skimage_data.astronaut()).save(path)
    return path


@pytest.fixture(scope="module")
def shop(revetir_server, browser, astronaut_photo):
    shop = Shop(revetir_server, browser, astronaut_photo)
    yield shop
    shop.delete_saved_address()


def page_faults(page, shop_page: ShopPage, width: int) -> list[str]:
    """What is wrong with the page as it is shown at this width, one line per fault."""
    faults = []
    violations = axe_violations(page, known_faults=shop_page.known_faults)
    if violations:
        faults.append(f"axe-core:\n{describe_violations(violations)}")
    broken = page.evaluate(BROKEN_ID_REFERENCES_JS, shop_page.known_faults.get(ID_REFERENCE_CHECK))
    if broken:
        faults.append(f"references to ids that are not on the page: {', '.join(broken)}")
    if width in PHONE_WIDTHS and shop_page.reflows:
        scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
        if scroll_width > width:
            faults.append(f"scrolls sideways: {scroll_width} px of content in a {width} px window")
    return faults


@pytest.mark.parametrize("shop_page", SHOP_PAGES, ids=[shop_page.name for shop_page in SHOP_PAGES])
def test_page_meets_wcag_2_2_aa_at_desktop_and_phone_widths(shop, shop_page):
    page = shop.new_page(shop_page.visitor)
    try:
        shop_page.reach(page, shop)
        assert page.title().endswith("· Revetir") or "/admin/" in page.url, f"untitled page: {page.title()!r}"
        faults = {}
        for width in (DESKTOP_WIDTH, *PHONE_WIDTHS):
            page.set_viewport_size({"width": width, "height": VIEWPORT_HEIGHT})
            if found := page_faults(page, shop_page, width):
                faults[width] = found
    finally:
        page.context.close()
    report = "\n".join(f"at {width} px: {fault}" for width, found in faults.items() for fault in found)
    assert not faults, f"{shop_page.name} ({shop_page.visitor}):\n{report}"


# --- Focus ring --------------------------------------------------------------------------------

FOCUS_RING_JS = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  let ancestor = element.parentElement, background = 'rgba(0, 0, 0, 0)';
  while (ancestor && /rgba\\(.*, 0\\)$|transparent/.test(background)) {
    background = getComputedStyle(ancestor).backgroundColor;
    ancestor = ancestor.parentElement;
  }
  return {
    element: element.tagName.toLowerCase() + (element.type ? `[type=${element.type}]` : ''),
    colour: style.outlineColor, style: style.outlineStyle, width: parseFloat(style.outlineWidth),
    behind: background, page: getComputedStyle(document.body).backgroundColor,
  };
}"""


def test_keyboard_focus_ring_has_3_to_1_contrast_against_white_and_the_page_on_every_kind_of_control(shop, tmp_path):
    page = shop.new_page("anonymous")
    try:
        page.goto(shop.url + shop.product_path)
        rings = {}
        # Tab through the page (links, size radios, the quantity box, buttons) and look at each ring.
        for _ in range(40):
            page.keyboard.press("Tab")
            ring = page.evaluate(FOCUS_RING_JS)
            if ring["element"] != "body":  # past the last control the focus leaves the page
                rings.setdefault(ring["element"], ring)
        page.locator(".add-to-cart input[name=variant]:not([disabled])").first.focus()
        page.keyboard.press("ArrowRight")  # radios are reached with the arrow keys
        ring = page.evaluate(FOCUS_RING_JS)
        rings[ring["element"]] = ring
        page.goto(shop.url + "/accounts/login/")
        page.fill("input[name=password]", "typed")
        page.keyboard.press("Shift+Tab")  # back to the e-mail box
        ring = page.evaluate(FOCUS_RING_JS)
        rings.setdefault(ring["element"], ring)
        page.keyboard.type(SHOPPER_EMAIL)
        page.keyboard.press("Tab")
        page.screenshot(path=(screenshot_folder() or tmp_path) / "screenshot-focus-ring.png")
    finally:
        page.context.close()
    assert {"a", "input[type=radio]", "input[type=number]", "button[type=submit]", "input[type=email]"} <= set(rings)
    for element, ring in rings.items():
        assert_visible_focus_ring(element, ring)


def assert_visible_focus_ring(element: str, ring: dict) -> None:
    """A solid ring at least 2 px wide with 3:1 contrast on white, the page and what is behind it."""
    assert ring["style"] == "solid" and ring["width"] >= 2, f"{element} has no visible focus ring: {ring}"
    colour = parse_css_colour(ring["colour"])
    for against in (WHITE, parse_css_colour(ring["page"]), parse_css_colour(ring["behind"])):
        ratio = contrast_ratio(colour, against)
        assert ratio >= WCAG_NON_TEXT_CONTRAST, f"{element}: focus ring {ring['colour']} is {ratio:.2f}:1 on {against}"


# --- Phone cart --------------------------------------------------------------------------------


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_cart_with_lines_does_not_scroll_sideways_on_a_phone(shop, width, tmp_path):
    page = shop.new_page("anonymous", width)
    try:
        add_to_cart(page, shop.url + shop.product_path)
        page.goto(f"{shop.url}/cart/")
        page.locator("main table").wait_for()
        scroll_width, window_width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        overflowing_cells = page.evaluate(
            "[...document.querySelectorAll('main td')].filter(cell => cell.scrollWidth > cell.clientWidth + 1)"
            ".map(cell => cell.innerText.slice(0, 40))"
        )
        page.screenshot(path=(screenshot_folder() or tmp_path) / f"screenshot-cart-{width}.png", full_page=True)
        # The table may scroll inside its own box, but each Remove button stays reachable in it.
        remove = page.locator("main").get_by_role("button", name=re.compile("^Remove"))
        assert remove.count() >= 1
    finally:
        page.context.close()
    assert scroll_width <= window_width, f"the cart is {scroll_width} px wide in a {window_width} px window"
    assert overflowing_cells == [], f"text runs over the next column: {overflowing_cells}"


# --- Try-on by keyboard and screen reader -----------------------------------------------------


class HeldBackEnd:
    """Passes the try-on websocket through but holds back the message that ends a job, so the test
    sees the page while the job runs, then releases it or ends the job with a failure instead."""

    def __init__(self) -> None:
        self.route = None
        self.held: list[str] = []
        self.released = False
        self.ended = False  # after a failure, nothing more about the job reaches the page

    def __call__(self, route) -> None:
        self.route = route
        server = route.connect_to_server()
        server.on_message(self.from_server)

    def from_server(self, message) -> None:
        if self.ended:
            return
        if not self.released and json.loads(message).get("type") in ("tryon.done", "tryon.failed"):
            self.held.append(message)
            return
        self.route.send(message)

    def release(self) -> None:
        self.released = True
        for message in self.held:
            self.route.send(message)

    def fail(self, job: dict, error: str) -> None:
        self.ended = True
        self.route.send(json.dumps({**job, "type": "tryon.failed", "status": "failed", "error": error}))


def photo_of_its_own(folder: Path, name: str, brightness: int) -> Path:
    """The astronaut photo, mirrored and shifted in brightness: a photo no other test uploads, so its
    try-on is computed afresh instead of coming at once from the result cache."""
    pixels = skimage_data.astronaut()[:, ::-1].astype("int16") + brightness
    path = folder / f"{name}.png"
    Image.fromarray(pixels.clip(0, 255).astype("uint8")).save(path)
    return path


@pytest.fixture(scope="session")
def mirrored_photo(tmp_path_factory) -> Path:
    return photo_of_its_own(tmp_path_factory.mktemp("photos"), "mirrored", 0)


@pytest.fixture(scope="session")
def brighter_mirrored_photo(tmp_path_factory) -> Path:
    return photo_of_its_own(tmp_path_factory.mktemp("photos"), "mirrored-brighter", 12)


ACTIVE_ELEMENT_JS = """() => {
  const element = document.activeElement;
  return element.dataset.tryonResultHeading !== undefined ? 'result heading'
    : element.dataset.tryonFailure !== undefined ? 'failure'
    : element.closest('[data-tryon-result]') ? 'in result'
    : element.matches('.tryon-form button[type=submit]') ? 'try button' : element.tagName;
}"""
ANNOUNCER_JS = """() => {
  const region = document.querySelector('[data-tryon-announcement]');
  return {role: region.getAttribute('role'), hidden: !!region.closest('[hidden]'),
          display: getComputedStyle(region).display, text: region.textContent};
}"""


def start_tryon_by_keyboard(page, shop, photo: Path) -> dict:
    """Choose the photo, then press Enter on the Try it on button; the job as the API answered."""
    page.wait_for_function("document.querySelector('[data-tryon]').dataset.socket === 'open'")
    page.locator(".tryon-panel input[type=file][name=photo]").set_input_files(photo)
    page.locator(".tryon-panel").get_by_role("button", name="Try it on").focus()
    with page.expect_response(lambda response: "/api/" in response.url and response.request.method == "POST") as reply:
        page.keyboard.press("Enter")
    assert reply.value.ok, reply.value.text()
    return reply.value.json()


def test_tryon_by_keyboard_announces_progress_then_the_result_and_moves_focus_to_it(shop, mirrored_photo):
    page = shop.new_page("shopper")
    held = HeldBackEnd()
    page.route_web_socket("**/ws/tryon/", held)
    try:
        page.goto(shop.url + shop.product_path)
        product_name = page.locator("h1").inner_text()
        before = page.evaluate(ANNOUNCER_JS)
        assert before == {"role": "status", "hidden": False, "display": "block", "text": ""}, before

        start_tryon_by_keyboard(page, shop, mirrored_photo)
        page.wait_for_function("document.querySelector('[data-tryon-announcement]').textContent.endsWith('…')")
        assert page.evaluate(ACTIVE_ELEMENT_JS) == "try button"  # not dropped to the page body

        held.release()
        page.wait_for_function(
            "document.querySelector('[data-tryon-announcement]').textContent.startsWith('Done')", timeout=120_000
        )
        assert page.evaluate(ACTIVE_ELEMENT_JS) == "result heading"
        assert_visible_focus_ring("the result heading", page.evaluate(FOCUS_RING_JS))
        said = page.evaluate(ANNOUNCER_JS)["text"]
        assert f"Your try-on of {product_name} is below." in said
        assert f"The After picture shows You wearing the {product_name} (preview)." in said
        assert "Pick your size" in said
        engine_note = page.locator("[data-tryon-engine]")
        if engine_note.is_visible():  # what the picture can be trusted for, in the shopper's words
            assert engine_note.inner_text() in said
        assert page.locator("img[data-tryon-after]").get_attribute("alt") == f"You wearing the {product_name} (preview)"
        assert page.locator("img[data-tryon-before]").get_attribute("alt") == "Your photo"

        page.keyboard.press("Tab")  # from the heading on into the result: the size picker comes next
        assert page.evaluate(ACTIVE_ELEMENT_JS) == "in result"
    finally:
        page.context.close()


def test_a_tryon_that_fails_is_announced_and_gets_the_focus(shop, brighter_mirrored_photo):
    page = shop.new_page("shopper")
    held = HeldBackEnd()
    page.route_web_socket("**/ws/tryon/", held)
    try:
        page.goto(shop.url + shop.product_path)
        job = start_tryon_by_keyboard(page, shop, brighter_mirrored_photo)
        if job["status"] == "done":
            pytest.fail("the try-on was finished before it started; this test needs a job still running")
        held.fail(
            {"job": str(job["id"]), "product": job.get("product"), "progress": 0.4},
            "We could not find a person in this photo.",
        )
        page.wait_for_function("document.activeElement.dataset.tryonFailure !== undefined")
        said = page.evaluate(ANNOUNCER_JS)["text"]
        assert said == "The try-on failed. We could not find a person in this photo."
        assert page.locator("[data-tryon-failure]").is_visible()
    finally:
        page.context.close()
