"""The profile page (details and order history) and account deletion."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.models import User
from accounts.services import DELETED_ACCOUNT_NAME, account_deleting, delete_account
from revetir.testing.factories import DEFAULT_PASSWORD, make_order, make_product, make_user
from shop.models import Cart, CartLine, Order, OrderStatus


@pytest.mark.django_db
def test_profile_redirects_anonymous_visitors_to_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")


@pytest.mark.django_db
def test_profile_lists_only_the_users_own_orders(client):
    me = make_user(full_name="Ada Owner")
    someone_else = make_user()
    mine = make_order(user=me)
    theirs = make_order(user=someone_else)
    client.force_login(me)

    response = client.get(reverse("accounts:profile"))

    assert response.status_code == 200
    page = response.content.decode()
    assert mine.number in page
    assert theirs.number not in page
    assert list(response.context["recent_orders"]) == [mine]


@pytest.mark.django_db
def test_profile_lists_the_five_newest_orders_and_links_to_the_full_history(client):
    me = make_user()
    orders = [make_order(user=me) for _ in range(7)]
    client.force_login(me)

    response = client.get(reverse("accounts:profile"))

    page = response.content.decode()
    shown = [order for order in orders if order.number in page]
    assert shown == orders[2:]  # created in order, so the last five are the newest
    assert reverse("shop:order_list") in page


@pytest.mark.django_db
def test_profile_saves_name_and_email_and_refuses_an_address_taken_by_another_account(client):
    me = make_user("me@example.com")
    make_user("taken@example.com")
    client.force_login(me)

    saved = client.post(reverse("accounts:profile"), {"full_name": "New Name", "email": "Me.New@Example.com"})
    assert saved["Location"] == reverse("accounts:profile")
    me.refresh_from_db()
    assert (me.full_name, me.email) == ("New Name", "me.new@example.com")

    refused = client.post(reverse("accounts:profile"), {"full_name": "New Name", "email": "TAKEN@example.com"})
    assert refused.status_code == 200
    assert "already exists" in refused.context["form"].errors["email"][0]
    me.refresh_from_db()
    assert me.email == "me.new@example.com"


@pytest.mark.django_db
def test_delete_account_anonymises_orders_and_removes_the_user_cart_and_token():
    user = make_user("leaving@example.com", full_name="Lee Leaving")
    order = make_order(user=user, status=OrderStatus.DELIVERED)
    cart = Cart.objects.create(user=user)
    CartLine.objects.create(cart=cart, variant=make_product().variants.get(), quantity=1)
    Token.objects.create(user=user)

    delete_account(user=user)

    assert not User.objects.filter(email="leaving@example.com").exists()
    assert not Cart.objects.filter(pk=cart.pk).exists()
    assert not Token.objects.exists()
    order.refresh_from_db()
    assert order.user is None
    assert order.email == ""
    assert order.full_name == DELETED_ACCOUNT_NAME
    assert "High Street" not in order.address_line1
    assert (order.address_line2, order.postal_code, order.phone) == ("", "", "")
    assert order.city != "Leeds"
    # Kept for accounting.
    assert (order.status, order.subtotal, order.country) == (OrderStatus.DELIVERED, Decimal("60.00"), "GB")
    assert order.lines.get().quantity == 2


@pytest.mark.django_db
def test_delete_account_lets_other_apps_remove_their_data_first():
    user = make_user()
    user_id = user.pk
    seen = []

    def remove_tryon_data(sender, user, **kwargs):
        seen.append((user.pk, User.objects.filter(pk=user.pk).exists()))

    account_deleting.connect(remove_tryon_data)
    try:
        delete_account(user=user)
    finally:
        account_deleting.disconnect(remove_tryon_data)

    assert seen == [(user_id, True)]


@pytest.mark.django_db
def test_delete_account_page_needs_the_current_password_then_logs_out(client):
    user = make_user()
    order = make_order(user=user)
    client.force_login(user)

    refused = client.post(reverse("accounts:delete"), {"password": "not-my-password"})
    assert refused.status_code == 200
    assert "password" in refused.context["form"].errors
    assert User.objects.filter(pk=user.pk).exists()

    response = client.post(reverse("accounts:delete"), {"password": DEFAULT_PASSWORD})
    assert response["Location"] == reverse("shop:product_list")
    assert not User.objects.filter(pk=user.pk).exists()
    assert SESSION_KEY not in client.session
    assert Order.objects.filter(pk=order.pk, user__isnull=True).exists()


@pytest.mark.django_db
def test_delete_account_page_requires_login(client):
    response = client.post(reverse("accounts:delete"), {"password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
