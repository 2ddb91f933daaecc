"""Stripe's webhook against localstripe, which delivers its events signed with the endpoint's
secret to the shop running in a live server: an order is paid by the webhook alone; replayed,
reordered, unsigned and unknown events; and two webhooks racing the return page pay once."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from django.core import mail
from django.test import Client

from revetir.testing.factories import DEFAULT_PASSWORD, make_product, make_user
from shop import card_payments
from shop.models import Order, OrderStatus, StripeEvent
from shop.services import place_order
from tests.localstripe_server import signed_webhook
from tests.shop.helpers_cart_orders import ADDRESS, fill_cart, stock_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("stripe_test_mode")]

WEBHOOK_PATH = "/payments/stripe/webhook/"
DELIVERY_WAIT_SECONDS = 15
HTTP_TIMEOUT_SECONDS = 30


@pytest.fixture
def webhook_url(live_server, localstripe) -> str:
    url = f"{live_server.url}{WEBHOOK_PATH}"
    localstripe.send_webhooks_to(url)
    return url


@pytest.fixture
def card_order():
    user = make_user()
    variant = make_product(price="30.00", stock={"M": 4}).variants.get()
    order = place_order(user=user, cart=fill_cart(user, (variant, 1)), address=ADDRESS, payment_method="card")
    assert order.status == OrderStatus.AWAITING_PAYMENT
    return order, variant, user


def _wait_for(condition, what: str):
    deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"waited {DELIVERY_WAIT_SECONDS} s for {what}")


def _post(url: str, event: dict, **signing) -> requests.Response:
    body, signature = signed_webhook(event, **signing)
    headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
    return requests.post(url, data=body, headers=headers, timeout=HTTP_TIMEOUT_SECONDS)


def _confirmation_mails(order: Order) -> list:
    return [m for m in mail.outbox if m.subject == f"Your Revetir order {order.number}"]


def test_a_webhook_from_stripe_alone_makes_the_order_paid(webhook_url, card_order):
    order, variant, _user = card_order

    card_payments.confirm_intent(intent_id=order.payment_intent_id, payment_method="pm_card_visa")

    _wait_for(lambda: StripeEvent.objects.filter(payment_intent_id=order.payment_intent_id).exists(), "the webhook")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    event = StripeEvent.objects.get(payment_intent_id=order.payment_intent_id)
    assert (event.event_type, event.outcome) == ("payment_intent.succeeded", "order paid")
    assert len(_confirmation_mails(order)) == 1
    assert stock_of(variant) == 3


def test_a_failed_payment_webhook_cancels_the_order_and_gives_the_stock_back(webhook_url, card_order):
    order, variant, _user = card_order

    # Confirm at Stripe directly (not through the shop), so only the webhook tells the shop.
    from shop.card_payments import _client

    _client().v1.payment_intents.update(
        order.payment_intent_id, params={"payment_method": "pm_card_chargeCustomerFail"}
    )
    with pytest.raises(Exception, match="declined"):
        _client().v1.payment_intents.confirm(order.payment_intent_id)

    _wait_for(lambda: StripeEvent.objects.filter(payment_intent_id=order.payment_intent_id).exists(), "the webhook")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert "Your card was declined." in order.payment_problem
    assert stock_of(variant) == 4


def test_a_replayed_event_changes_nothing_twice(webhook_url, card_order, localstripe):
    order, variant, _user = card_order
    card_payments.confirm_intent(intent_id=order.payment_intent_id, payment_method="pm_card_visa")
    _wait_for(lambda: StripeEvent.objects.exists(), "the webhook")
    event = localstripe.event_for_intent(event_type="payment_intent.succeeded", intent_id=order.payment_intent_id)

    replay = _post(webhook_url, event)

    assert replay.status_code == 200
    assert replay.json() == {"received": event["id"], "outcome": "order paid", "replayed": True}
    assert StripeEvent.objects.count() == 1
    assert len(_confirmation_mails(order)) == 1
    assert stock_of(variant) == 3


def test_a_failure_arriving_after_the_success_changes_nothing(webhook_url, card_order, localstripe):
    order, variant, _user = card_order
    card_payments.confirm_intent(intent_id=order.payment_intent_id, payment_method="pm_card_visa")
    _wait_for(lambda: StripeEvent.objects.exists(), "the webhook")
    succeeded = localstripe.event_for_intent(event_type="payment_intent.succeeded", intent_id=order.payment_intent_id)
    late_failure = {
        **succeeded,
        "id": "evt_late_failure",
        "type": "payment_intent.payment_failed",
        "data": {
            "object": {**succeeded["data"]["object"], "last_payment_error": {"message": "Your card was declined."}}
        },
    }

    response = _post(webhook_url, late_failure)

    assert response.status_code == 200
    assert response.json()["outcome"] == "no change: order already paid"
    order.refresh_from_db()
    assert (order.status, order.payment_problem) == (OrderStatus.PAID, "")
    assert stock_of(variant) == 3


def test_an_unsigned_or_wrongly_signed_event_is_refused_and_changes_nothing(live_server, card_order):
    order, _variant, _user = card_order
    event = {
        "id": "evt_forged",
        "type": "payment_intent.succeeded",
        "data": {"object": {"object": "payment_intent", "id": order.payment_intent_id, "status": "succeeded",
                            "amount": 3000, "currency": "eur"}},
    }  # fmt: skip
    url = f"{live_server.url}{WEBHOOK_PATH}"

    wrong_secret = _post(url, event, secret="whsec_not_the_shops")
    unsigned = requests.post(url, json=event, timeout=HTTP_TIMEOUT_SECONDS)
    too_old = _post(url, event, timestamp=int(time.time()) - 3600)

    assert [r.status_code for r in (wrong_secret, unsigned, too_old)] == [400, 400, 400]
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert not StripeEvent.objects.exists()


def test_an_unknown_event_type_is_acknowledged_and_ignored(live_server):
    url = f"{live_server.url}{WEBHOOK_PATH}"

    response = _post(url, {"id": "evt_other", "type": "customer.created", "data": {"object": {"object": "customer"}}})

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored: event type not used by the shop"
    assert StripeEvent.objects.get(event_id="evt_other").event_type == "customer.created"


def test_two_webhooks_racing_the_return_page_make_the_order_paid_exactly_once(webhook_url, card_order, localstripe):
    order, variant, user = card_order
    card_payments.confirm_intent(intent_id=order.payment_intent_id, payment_method="pm_card_visa")
    # Take Stripe's own event and deliver it twice, at the same moment as the shopper's return page
    # (localstripe delivers it a third time about a second later).
    event = localstripe.event_for_intent(event_type="payment_intent.succeeded", intent_id=order.payment_intent_id)
    shopper = requests.Session()
    login = Client()
    assert login.login(email=user.email, password=DEFAULT_PASSWORD)
    shopper.cookies.set("sessionid", login.cookies["sessionid"].value)
    start = threading.Barrier(3)
    answers: dict[str, int] = {}

    def deliver(name: str) -> None:
        start.wait()
        answers[name] = _post(webhook_url, event).status_code

    def come_back() -> None:
        start.wait()
        return_page = f"{webhook_url.removesuffix(WEBHOOK_PATH)}/checkout/pay/{order.number}/return/"
        page = shopper.get(return_page, timeout=HTTP_TIMEOUT_SECONDS)
        answers["return page"] = page.status_code if page.url.endswith(f"/checkout/complete/{order.number}/") else 0

    threads = [threading.Thread(target=deliver, args=(n,)) for n in ("first", "second")]
    threads.append(threading.Thread(target=come_back))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert answers == {"first": 200, "second": 200, "return page": 200}
    time.sleep(2)  # localstripe's own delivery of the same event
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert StripeEvent.objects.filter(event_id=event["id"]).count() == 1
    assert len(_confirmation_mails(order)) == 1
    assert stock_of(variant) == 3
