"""Deleting an account never leaves an order half alive (issue #12, failure 5): orders that have
not shipped are cancelled with their stock back once; while an order is on its way (shipped, not
delivered) the deletion is refused, and the page says which of the two will happen."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.services import AccountDeletionRefused, delete_account
from revetir.testing.factories import DEFAULT_PASSWORD, make_order, make_product, make_staff, make_user
from shop.models import Order, OrderStatus
from shop.services import order_change_status
from tests.shop.helpers_cart_orders import order_for, stock_of

STOCK = 10


@pytest.fixture
def variant():
    return make_product(stock={"M": STOCK}).variants.get()


@pytest.mark.django_db
def test_deleting_an_account_cancels_its_open_orders_and_returns_their_stock_once(variant):
    user = make_user()
    placed = order_for(user, (variant, 2))
    processing = order_change_status(order=order_for(user, (variant, 3)), new_status=OrderStatus.PROCESSING)
    delivered = make_order(user=user, status=OrderStatus.DELIVERED)
    assert stock_of(variant) == STOCK - 5

    delete_account(user=user)

    assert not User.objects.filter(pk=user.pk).exists()
    statuses = dict(Order.objects.values_list("number", "status"))
    assert statuses[placed.number] == OrderStatus.CANCELLED
    assert statuses[processing.number] == OrderStatus.CANCELLED
    assert statuses[delivered.number] == OrderStatus.DELIVERED
    assert stock_of(variant) == STOCK
    assert set(Order.objects.values_list("stock_released", flat=True).filter(status=OrderStatus.CANCELLED)) == {True}
    assert not Order.objects.filter(user__isnull=True).exclude(full_name="Deleted account").exists()


@pytest.mark.django_db
def test_an_order_already_cancelled_by_staff_is_not_given_back_twice(variant):
    user = make_user()
    order = order_for(user, (variant, 2))
    order_change_status(order=order, new_status=OrderStatus.CANCELLED)

    delete_account(user=user)

    assert stock_of(variant) == STOCK


@pytest.mark.django_db
def test_deleting_an_account_is_refused_while_an_order_is_shipped_and_nothing_changes(variant):
    user = make_user()
    placed = order_for(user, (variant, 2))
    shipped = make_order(user=user, status=OrderStatus.SHIPPED)

    with pytest.raises(AccountDeletionRefused) as refused:
        delete_account(user=user)

    assert f"Order {shipped.number} is on its way" in refused.value.messages[0]
    assert User.objects.filter(pk=user.pk).exists()
    placed.refresh_from_db()
    assert (placed.status, placed.full_name) == (OrderStatus.PLACED, "Ada Lovelace")
    assert stock_of(variant) == STOCK - 2


@pytest.mark.django_db
def test_the_delete_page_names_the_orders_it_will_cancel(client, variant):
    user = make_user()
    placed = order_for(user, (variant, 2))
    client.force_login(user)

    page = client.get(reverse("accounts:delete")).content.decode()

    assert "These orders will be cancelled" in page
    assert placed.number in page
    assert "Delete my account and cancel 1 order" in page
    response = client.post(reverse("accounts:delete"), {"password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert Order.objects.get(pk=placed.pk).status == OrderStatus.CANCELLED


@pytest.mark.django_db
def test_the_delete_page_says_an_order_on_its_way_must_arrive_first_and_refuses(client):
    user = make_user()
    shipped = make_order(user=user, status=OrderStatus.SHIPPED)
    client.force_login(user)

    page = client.get(reverse("accounts:delete")).content.decode()
    assert "Not yet: an order is on its way" in page
    assert shipped.number in page

    response = client.post(reverse("accounts:delete"), {"password": DEFAULT_PASSWORD})

    assert response.status_code == 200
    assert "once it has been delivered" in " ".join(response.context["form"].non_field_errors())
    assert User.objects.filter(pk=user.pk).exists()


@pytest.mark.django_db
def test_staff_cannot_delete_a_user_whose_order_is_on_its_way(client):
    client.force_login(make_staff())
    user = make_user()
    shipped = make_order(user=user, status=OrderStatus.SHIPPED)
    url = reverse("admin:accounts_user_delete", args=[user.pk])

    page = client.get(url).content.decode()
    response = client.post(url, {"post": "yes"})

    assert f"{shipped.number} of {user.email}: shipped, not yet delivered" in page
    assert response.status_code == 200
    assert User.objects.filter(pk=user.pk).exists()
