"""What the checkout pages show: the steps as an ordered list with the current step marked."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.html import strip_tags
from pytest_django.asserts import assertInHTML

from revetir.testing.factories import make_product, make_user
from tests.shop.helpers_cart_orders import ADDRESS, fill_cart, order_for

pytestmark = pytest.mark.django_db

STEPS_LIST = re.compile(r'<ol class="checkout-steps">(.*?)</ol>', re.S)


def _steps(html: str) -> tuple[list[str], list[str]]:
    """(the steps' texts, the steps marked as current), read from the page's ordered list."""
    match = STEPS_LIST.search(html)
    assert match, "the page has no checkout steps list"
    items = re.findall(r"<li([^>]*)>(.*?)</li>", match.group(1), re.S)
    texts = [strip_tags(body).strip() for _attrs, body in items]
    current = [strip_tags(body).strip() for attrs, body in items if 'aria-current="step"' in attrs]
    return texts, current


@pytest.fixture
def shopper_with_cart(client):
    user = make_user()
    fill_cart(user, (make_product(stock={"M": 5}).variants.get(), 1))
    client.force_login(user)
    return client, user


def test_address_step_lists_the_three_steps_separately_with_address_current(shopper_with_cart):
    client, _user = shopper_with_cart
    html = client.get(reverse("shop:checkout_address")).content.decode()
    assert _steps(html) == (["Address", "Review", "Done"], ["Address"])


def test_review_step_marks_review_current_and_links_back_to_the_address(shopper_with_cart):
    client, _user = shopper_with_cart
    client.post(reverse("shop:checkout_address"), ADDRESS)
    html = client.get(reverse("shop:checkout_review")).content.decode()
    assert _steps(html) == (["Address", "Review", "Done"], ["Review"])
    assertInHTML(f'<li><a href="{reverse("shop:checkout_address")}">Address</a></li>', html)


def test_complete_page_marks_done_current(client):
    user = make_user()
    order = order_for(user, (make_product(stock={"M": 5}).variants.get(), 1))
    client.force_login(user)
    html = client.get(reverse("shop:checkout_complete", args=[order.number])).content.decode()
    assert _steps(html) == (["Address", "Review", "Done"], ["Done"])


def test_address_form_comes_before_the_summary_in_the_checkout_layout(shopper_with_cart):
    client, _user = shopper_with_cart
    html = client.get(reverse("shop:checkout_address")).content.decode()
    layout = html[html.index('<div class="checkout-layout">') :]
    assert layout.index("<form") < layout.index('aria-label="Order summary"')
