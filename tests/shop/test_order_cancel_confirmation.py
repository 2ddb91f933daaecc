"""Cancelling an order asks first, on a page of its own, so it works without JavaScript."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertInHTML

from revetir.testing.factories import make_product, make_user
from shop.models import OrderStatus
from shop.services import order_change_status
from tests.shop.helpers_cart_orders import order_for, stock_of

pytestmark = pytest.mark.django_db


def _placed_order():
    user = make_user()
    variant = make_product(stock={"M": 5}).variants.get()
    return user, variant, order_for(user, (variant, 2))


def test_order_page_links_to_a_confirmation_instead_of_cancelling_at_once(client):
    user, _variant, order = _placed_order()
    client.force_login(user)
    cancel_url = reverse("shop:order_cancel", args=[order.number])

    html = client.get(order.get_absolute_url()).content.decode()

    assertInHTML(f'<a class="button danger" href="{cancel_url}">Cancel this order…</a>', html)
    assert f'action="{cancel_url}"' not in html


def test_confirmation_page_asks_and_changes_nothing_until_confirmed(client):
    user, variant, order = _placed_order()
    client.force_login(user)
    cancel_url = reverse("shop:order_cancel", args=[order.number])

    confirm = client.get(cancel_url)

    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert f"Cancel order {order.number}?" in html
    assert f'<form method="post" action="{cancel_url}"' in html
    assert "No, keep it" in html
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED
    assert stock_of(variant) == 3

    client.post(cancel_url)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert stock_of(variant) == 5


def test_confirmation_of_an_order_that_can_no_longer_be_cancelled_goes_back_with_a_message(client):
    user, _variant, order = _placed_order()
    order_change_status(order=order, new_status=OrderStatus.PROCESSING)
    client.force_login(user)

    response = client.get(reverse("shop:order_cancel", args=[order.number]), follow=True)

    assert response.redirect_chain[-1][0] == order.get_absolute_url()
    assert [str(m) for m in response.context["messages"]] == [
        f"Order {order.number} can no longer be cancelled online."
    ]


def test_another_shoppers_cancel_confirmation_is_not_found(client):
    _user, _variant, order = _placed_order()
    client.force_login(make_user())
    assert client.get(reverse("shop:order_cancel", args=[order.number])).status_code == 404
