"""The shopper's e-mails: confirmation, shipped, cancelled; a broken mail server never costs an order."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.mail.backends.base import BaseEmailBackend

from revetir.testing.factories import make_product, make_user
from shop.models import Order, OrderStatus, ShippingMethod
from shop.services import order_cancel_by_customer, order_change_status, place_order
from tests.revetir.test_every_page_renders import template_syntax_leaks
from tests.shop.helpers_cart_orders import ADDRESS, fill_cart, order_for, stock_of

pytestmark = pytest.mark.django_db


class BrokenEmailBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP server unreachable")


def test_placing_an_order_mails_a_confirmation_in_text_and_html_with_the_totals(mailoutbox):
    express = ShippingMethod.objects.create(
        name="Express", price=Decimal("9.90"), delivery_days_min=1, delivery_days_max=1
    )
    user = make_user(full_name="Ada Lovelace")
    variant = make_product(name="Linen shirt", price="30.00").variants.get()
    cart = fill_cart(user, (variant, 2))

    order = place_order(
        user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery", shipping_method_id=express.pk
    )

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [user.email]
    assert mail.subject == f"Your Revetir order {order.number}"
    assert "2 × Linen shirt (size M): 60.00 EUR" in mail.body
    assert "Shipping (Express): 9.90 EUR" in mail.body
    assert "Total:    69.90 EUR" in mail.body
    assert f"http://127.0.0.1:8000/orders/{order.number}/" in mail.body
    html, mimetype = mail.alternatives[0]
    assert mimetype == "text/html"
    assert "<strong>69.90 EUR</strong>" in html and "Linen shirt" in html
    assert Order.objects.get(pk=order.pk).confirmation_sent_at is not None


def test_a_failing_mail_server_is_logged_and_the_order_is_still_placed(settings, caplog):
    settings.EMAIL_BACKEND = "tests.shop.test_order_emails.BrokenEmailBackend"
    user = make_user()
    variant = make_product(stock={"M": 3}).variants.get()

    order = order_for(user, (variant, 1))

    stored = Order.objects.get(pk=order.pk)
    assert stored.status == OrderStatus.PLACED
    assert stored.confirmation_sent_at is None
    assert stock_of(variant) == 2
    assert not user.cart.lines.exists()
    assert f"Could not e-mail shop/email/order_confirmation for order {order.number}" in caplog.text


def test_the_checkout_page_completes_when_the_mail_server_is_down(settings, client):
    settings.EMAIL_BACKEND = "tests.shop.test_order_emails.BrokenEmailBackend"
    user = make_user()
    fill_cart(user, (make_product().variants.get(), 1))
    client.force_login(user)
    session = client.session
    session["shop_checkout_address"] = ADDRESS
    session.save()

    response = client.post("/checkout/place/", {"payment_method": "pay_on_delivery"}, follow=True)

    assert "Thank you, your order is placed" in response.content.decode()
    assert Order.objects.filter(user=user).count() == 1


def test_shipping_mails_the_tracking_number_once(mailoutbox):
    order = order_for(make_user(), (make_product().variants.get(), 1))
    order = order_change_status(order=order, new_status=OrderStatus.PROCESSING)
    mailoutbox.clear()

    order = order_change_status(order=order, new_status=OrderStatus.SHIPPED, tracking_number="JD014600003GB")
    order_change_status(order=order, new_status=OrderStatus.DELIVERED)

    assert [mail.subject for mail in mailoutbox] == [f"Your Revetir order {order.number} is on its way"]
    assert "Tracking number: JD014600003GB" in mailoutbox[0].body
    assert "JD014600003GB" in mailoutbox[0].alternatives[0][0]


def test_cancelling_mails_the_shopper(mailoutbox):
    user = make_user()
    order = order_for(user, (make_product().variants.get(), 1))
    mailoutbox.clear()

    order_cancel_by_customer(order=order, user=user)

    assert [mail.subject for mail in mailoutbox] == [f"Your Revetir order {order.number} is cancelled"]
    assert "is cancelled. Nothing is due" in mailoutbox[0].body
    assert Order.objects.get(pk=order.pk).cancelled_email_sent_at is not None


def test_every_order_email_renders_without_template_syntax(mailoutbox):
    user = make_user()
    order = order_for(user, (make_product().variants.get(), 1))
    order = order_change_status(order=order, new_status=OrderStatus.PROCESSING)
    order = order_change_status(order=order, new_status=OrderStatus.SHIPPED, tracking_number="T-1")
    second = order_for(user, (make_product().variants.get(), 1))
    order_cancel_by_customer(order=second, user=user)

    assert len(mailoutbox) == 4  # two confirmations, shipped, cancelled
    for mail in mailoutbox:
        html, _mimetype = mail.alternatives[0]
        assert template_syntax_leaks(mail.body) == [], mail.subject
        assert template_syntax_leaks(html) == [], mail.subject


def test_shipping_and_cancelling_still_happen_when_the_mail_server_is_down(settings, caplog):
    settings.EMAIL_BACKEND = "tests.shop.test_order_emails.BrokenEmailBackend"
    user = make_user()
    variant = make_product(stock={"M": 4}).variants.get()
    shipped = order_change_status(order=order_for(user, (variant, 1)), new_status=OrderStatus.PROCESSING)
    shipped = order_change_status(order=shipped, new_status=OrderStatus.SHIPPED, tracking_number="T-9")
    cancelled = order_cancel_by_customer(order=order_for(user, (variant, 1)), user=user)

    assert (shipped.status, shipped.tracking_number, shipped.shipped_email_sent_at) == (
        OrderStatus.SHIPPED,
        "T-9",
        None,
    )
    assert (cancelled.status, cancelled.cancelled_email_sent_at) == (OrderStatus.CANCELLED, None)
    assert stock_of(variant) == 3  # the cancelled unit went back
    assert f"order_shipped for order {shipped.number}" in caplog.text
    assert f"order_cancelled for order {cancelled.number}" in caplog.text


def test_the_checkout_page_mails_links_to_the_address_the_shopper_used(mailoutbox, client, settings):
    settings.ALLOWED_HOSTS = ["shop.example", "testserver"]
    settings.SHOP_SITE_URL = "http://127.0.0.1:8000"
    user = make_user()
    fill_cart(user, (make_product().variants.get(), 1))
    client.force_login(user)
    session = client.session
    session["shop_checkout_address"] = ADDRESS
    session.save()

    client.post("/checkout/place/", {"payment_method": "pay_on_delivery"}, HTTP_HOST="shop.example:8765")

    order = Order.objects.get(user=user)
    assert f"http://shop.example:8765/orders/{order.number}/" in mailoutbox[0].body
    assert "127.0.0.1:8000" not in mailoutbox[0].body


def test_cancelling_from_the_order_page_mails_links_to_the_address_the_shopper_used(mailoutbox, client, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    user = make_user()
    order = order_for(user, (make_product().variants.get(), 1))
    mailoutbox.clear()
    client.force_login(user)

    client.post(f"/orders/{order.number}/cancel/", HTTP_HOST="127.0.0.1:8765")

    assert f"http://127.0.0.1:8765/orders/{order.number}/" in mailoutbox[0].body


def test_a_mail_without_a_request_links_to_the_configured_site_url(mailoutbox, settings):
    settings.SHOP_SITE_URL = "https://shop.example/"
    user = make_user()
    order = order_for(user, (make_product().variants.get(), 1))

    assert f"https://shop.example/orders/{order.number}/" in mailoutbox[-1].body


def test_make_run_serves_and_links_to_the_same_address():
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    run_recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert 'REVETIR_SITE_URL="$${REVETIR_SITE_URL:-http://$(HOST):$(PORT)}"' in run_recipe
    assert "-b $(HOST) -p $(PORT)" in run_recipe
