"""Card payments against localstripe, a real Stripe-compatible server: placing a card order,
paying it (learnt by reading the intent back), a declined card, an expired hold, refunds on
cancellation, a refund Stripe refuses, and staff partial refunds in admin."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from revetir.testing.factories import DEFAULT_PASSWORD, make_product, make_staff, make_user
from shop.models import Order, OrderRefund, OrderStatus, Voucher
from shop.reports import sales_report
from tests.shop.helpers_cart_orders import ADDRESS, fill_cart, stock_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_test_mode")]


@pytest.fixture
def user():
    return make_user()


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def variant():
    return make_product(price="24.50", stock={"M": 3}).variants.get()


def _place_card_order(api, user, variant, quantity: int = 2, **extra) -> dict:
    fill_cart(user, (variant, quantity))
    response = api.post("/api/orders/", {**ADDRESS, "payment_method": "card", **extra}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def _pay(client, number: str, payment_method: str):
    """What the payment page does with a card from a Stripe.js without the Payment Element."""
    return client.post(
        f"/checkout/pay/{number}/confirm/", {"payment_method": payment_method}, content_type="application/json"
    )


def _logged_in(user):
    from django.test import Client

    client = Client()
    assert client.login(email=user.email, password=DEFAULT_PASSWORD)
    return client


def test_a_card_order_awaits_payment_holding_its_stock_for_its_total_in_minor_units(api, user, variant, localstripe):
    body = _place_card_order(api, user, variant)

    assert body["status"] == "awaiting_payment"
    assert body["payment_method"] == "card"
    order = Order.objects.get(number=body["number"])
    assert body["payment"]["client_secret"].startswith(order.payment_intent_id + "_secret_")
    assert body["payment"]["publishable_key"].startswith("pk_test_")
    assert stock_of(variant) == 1
    assert order.payment_expires_at > timezone.now()
    intent = localstripe.intent(order.payment_intent_id)
    assert (intent["amount"], intent["currency"]) == (4900, "eur")
    assert intent["metadata"] == {"order_number": order.number}
    assert mail.outbox == []  # confirmed once paid, not before


def test_paying_makes_the_order_paid_once_the_shop_reads_it_from_stripe(api, user, variant):
    number = _place_card_order(api, user, variant)["number"]

    paid = _pay(_logged_in(user), number, "pm_card_visa")
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded"

    body = api.get(f"/api/orders/{number}/").json()
    assert body["status"] == "paid"
    assert body["payment"] is None
    assert body["paid_at"]
    assert stock_of(variant) == 1
    assert [m.subject for m in mail.outbox] == [f"Your Revetir order {number}"]
    assert "Paid by card: 49.00 EUR" in mail.outbox[0].body


def test_the_return_page_reads_the_payment_from_stripe_and_shows_the_confirmation(api, user, variant):
    number = _place_card_order(api, user, variant)["number"]
    order = Order.objects.get(number=number)
    from shop import card_payments

    card_payments.confirm_intent(intent_id=order.payment_intent_id, payment_method="pm_card_visa")
    client = _logged_in(user)

    response = client.get(f"/checkout/pay/{number}/return/?payment_intent=pi_forged&redirect_status=succeeded")

    assert response.status_code == 302 and response["Location"] == f"/checkout/complete/{number}/"
    assert Order.objects.get(number=number).status == OrderStatus.PAID


def test_a_declined_card_cancels_the_order_and_gives_back_stock_and_voucher_once(api, user, variant, localstripe):
    voucher = Voucher.objects.create(code="TENOFF", kind="percentage", value=Decimal("10"))
    number = _place_card_order(api, user, variant, voucher_code="TENOFF")["number"]
    voucher.refresh_from_db()
    assert voucher.uses == 1
    client = _logged_in(user)

    declined = _pay(client, number, "pm_card_chargeCustomerFail")

    assert declined.status_code == 200 and declined.json()["status"] == "requires_payment_method"
    order = Order.objects.get(number=number)
    assert order.status == OrderStatus.CANCELLED
    assert "Your card was declined." in order.payment_problem
    assert stock_of(variant) == 3
    voucher.refresh_from_db()
    assert voucher.uses == 0
    assert localstripe.intent(order.payment_intent_id)["status"] == "canceled"
    # Coming back to the page changes nothing twice and says plainly what happened.
    page = client.get(f"/checkout/pay/{number}/return/", follow=True)
    assert "Your card was declined." in page.content.decode()
    assert stock_of(variant) == 3
    assert [m.subject for m in mail.outbox] == [f"Your Revetir order {number} is cancelled"]
    assert "Your card was declined." in mail.outbox[0].body


def test_an_expired_hold_is_swept_once_stock_back_and_intent_cancelled(api, user, variant, localstripe):
    number = _place_card_order(api, user, variant)["number"]
    Order.objects.filter(number=number).update(payment_expires_at=timezone.now() - timedelta(seconds=1))

    call_command("expire_unpaid_orders")
    call_command("expire_unpaid_orders")

    order = Order.objects.get(number=number)
    assert order.status == OrderStatus.CANCELLED
    assert "not completed within" in order.payment_problem
    assert stock_of(variant) == 3
    assert localstripe.intent(order.payment_intent_id)["status"] == "canceled"
    # A card that arrives after the hold is refused by Stripe: the intent can no longer be paid.
    assert _pay(_logged_in(user), number, "pm_card_visa").status_code == 400


def test_cancelling_a_paid_order_refunds_it_in_full_and_says_so(api, user, variant, localstripe):
    number = _place_card_order(api, user, variant)["number"]
    _pay(_logged_in(user), number, "pm_card_visa")
    mail.outbox.clear()

    response = api.post(f"/api/orders/{number}/cancel/")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["amount_refunded"] == "49.00"
    assert [(r["amount"], r["reason"]) for r in body["refunds"]] == [("49.00", "Order cancelled")]
    order = Order.objects.get(number=number)
    assert [r["amount"] for r in localstripe.refunds(order.payment_intent_id)] == [4900]
    assert stock_of(variant) == 3
    assert "We have refunded 49.00 EUR to your card" in mail.outbox[0].body
    page = _logged_in(user).get(f"/orders/{number}/").content.decode()
    assert "49.00 EUR</strong> refunded to your card (Order cancelled)" in page


def test_a_refund_stripe_refuses_leaves_the_order_as_it_was_and_says_why(api, user, variant, localstripe):
    number = _place_card_order(api, user, variant)["number"]
    _pay(_logged_in(user), number, "pm_card_visa")
    localstripe.forget_everything()  # Stripe no longer knows the payment: it refuses the refund

    response = api.post(f"/api/orders/{number}/cancel/")

    assert response.status_code == 400
    assert "was not cancelled: Stripe did not refund 49.00 EUR" in response.json()["message"]
    order = Order.objects.get(number=number)
    assert (order.status, order.amount_refunded, order.stock_released) == (OrderStatus.PAID, Decimal("0.00"), False)
    assert stock_of(variant) == 1
    assert not OrderRefund.objects.exists()


def test_staff_refund_part_of_an_order_with_a_reason_and_the_shopper_is_told(api, user, variant, localstripe):
    number = _place_card_order(api, user, variant)["number"]
    _pay(_logged_in(user), number, "pm_card_visa")
    order = Order.objects.get(number=number)
    staff = make_staff()
    admin = _logged_in(staff)
    mail.outbox.clear()

    done = admin.post(f"/admin/shop/order/{order.pk}/refund/", {"amount": "10.00", "reason": "Loose button"})
    too_much = admin.post(f"/admin/shop/order/{order.pk}/refund/", {"amount": "40.00", "reason": "Again"}, follow=True)

    assert done.status_code == 302
    change_page = admin.get(f"/admin/shop/order/{order.pk}/change/").content.decode()
    assert "Card payment (Stripe)" in change_page and "Loose button" in change_page
    assert "Refund part of this order…</a> (39.00 EUR left)" in change_page
    assert "Only 39.00 EUR of order" in too_much.content.decode()
    order.refresh_from_db()
    assert (order.status, order.amount_refunded) == (OrderStatus.PAID, Decimal("10.00"))
    refund = OrderRefund.objects.get(order=order)
    assert (refund.amount, refund.reason, refund.created_by) == (Decimal("10.00"), "Loose button", staff)
    assert [r["amount"] for r in localstripe.refunds(order.payment_intent_id)] == [1000]
    assert [m.subject for m in mail.outbox] == [f"A refund on your Revetir order {number}"]
    assert "We have refunded 10.00 EUR of your order" in mail.outbox[0].body
    assert "Loose button" in _logged_in(user).get(f"/orders/{number}/").content.decode()
    assert api.get(f"/api/orders/{number}/").json()["refunds"][0]["reason"] == "Loose button"
    # The staff report counts what was kept: the total less the refund, and no unpaid card order.
    _place_card_order(api, user, variant, quantity=1)
    assert sales_report().total_revenue == Decimal("39.00")


def test_on_delivery_is_still_taken_by_its_short_name(api, user, variant):
    fill_cart(user, (variant, 1))

    response = api.post("/api/orders/", {**ADDRESS, "payment_method": "on_delivery"}, format="json")

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["payment_method"]) == ("placed", "pay_on_delivery")
    assert response.json()["payment"] is None


def test_deleting_the_account_refunds_a_paid_card_order_and_cancels_an_unpaid_one(api, user, variant, localstripe):
    from accounts.services import delete_account

    paid_number = _place_card_order(api, user, variant, quantity=1)["number"]
    _pay(_logged_in(user), paid_number, "pm_card_visa")
    unpaid_number = _place_card_order(api, user, variant, quantity=1)["number"]

    delete_account(user=user)

    paid, unpaid = Order.objects.get(number=paid_number), Order.objects.get(number=unpaid_number)
    assert (paid.status, paid.amount_refunded) == (OrderStatus.CANCELLED, Decimal("24.50"))
    assert [r["amount"] for r in localstripe.refunds(paid.payment_intent_id)] == [2450]
    assert unpaid.status == OrderStatus.CANCELLED
    assert localstripe.intent(unpaid.payment_intent_id)["status"] == "canceled"
    assert stock_of(variant) == 3


def test_a_card_asking_for_3d_secure_is_paid_once_the_shopper_authenticates(api, user, variant, localstripe):
    body = _place_card_order(api, user, variant)
    number, client_secret = body["number"], body["payment"]["client_secret"]
    order = Order.objects.get(number=number)
    client = _logged_in(user)

    asked = _pay(client, number, localstripe.card("4000002500003155"))

    assert asked.json()["status"] == "requires_action"
    assert api.get(f"/api/orders/{number}/").json()["status"] == "awaiting_payment"
    localstripe.authenticate(order.payment_intent_id, client_secret=client_secret, success=True)
    assert client.get(f"/checkout/pay/{number}/return/")["Location"] == f"/checkout/complete/{number}/"
    assert Order.objects.get(number=number).status == OrderStatus.PAID


def test_a_failed_3d_secure_leaves_nothing_charged_and_the_order_cancelled(api, user, variant, localstripe):
    body = _place_card_order(api, user, variant)
    number, client_secret = body["number"], body["payment"]["client_secret"]
    order = Order.objects.get(number=number)
    client = _logged_in(user)
    _pay(client, number, localstripe.card("4000002500003155"))

    localstripe.authenticate(order.payment_intent_id, client_secret=client_secret, success=False)
    page = client.get(f"/checkout/pay/{number}/return/", follow=True).content.decode()

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert "Your card was not charged: The provided PaymentMethod has failed authentication." in page
    assert stock_of(variant) == 3


def test_staff_cannot_mark_an_order_paid_only_stripe_can(api, user, variant):
    from shop.services import InvalidOrderTransition, order_change_status

    order = Order.objects.get(number=_place_card_order(api, user, variant)["number"])

    with pytest.raises(InvalidOrderTransition, match="awaiting payment and cannot become paid"):
        order_change_status(order=order, new_status=OrderStatus.PAID)
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT


def test_when_stripe_cannot_be_reached_the_card_order_is_not_placed_and_nothing_stays_reserved(
    api, user, variant, settings
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    voucher = Voucher.objects.create(code="TENOFF", kind="percentage", value=Decimal("10"))
    fill_cart(user, (variant, 2))

    response = api.post("/api/orders/", {**ADDRESS, "payment_method": "card", "voucher_code": "TENOFF"}, format="json")

    assert response.status_code == 400
    assert "Card payment could not be started" in response.json()["message"]
    assert not Order.objects.exists()
    assert stock_of(variant) == 3
    voucher.refresh_from_db()
    assert voucher.uses == 0
    assert api.get("/api/cart/").json()["item_count"] == 2


def test_a_payment_that_arrives_as_the_order_is_cancelled_is_refunded_in_full_once(api, user, variant, localstripe):
    from shop.services.webhooks import stripe_event_handle

    number = _place_card_order(api, user, variant)["number"]
    order = Order.objects.get(number=number)
    # The shopper's bank confirms at Stripe while the shop has not heard of it yet ...
    assert localstripe.pay_directly(order.payment_intent_id, payment_method="pm_card_visa").status_code == 200

    # ... and the shopper cancels: the intent can no longer be cancelled, so the money goes back.
    response = api.post(f"/api/orders/{number}/cancel/")

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["amount_refunded"]) == ("cancelled", "49.00")
    assert response.json()["refunds"][0]["reason"] == "Payment arrived after the order was cancelled"
    assert [r["amount"] for r in localstripe.refunds(order.payment_intent_id)] == [4900]
    assert stock_of(variant) == 3
    # Stripe's webhook for that payment arrives afterwards and changes nothing.
    event = localstripe.event_for_intent(event_type="payment_intent.succeeded", intent_id=order.payment_intent_id)
    assert stripe_event_handle(event).outcome == "no change: already refunded"
    assert len(localstripe.refunds(order.payment_intent_id)) == 1
