"""A double-submitted checkout (double click, retry after a timeout, second tab) makes one order.

Real threads against the file-backed SQLite test database, and real parallel HTTP requests
against the threaded live server, as in issue #12 (one line of quantity 2, stock 20).
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from revetir.testing.factories import DEFAULT_PASSWORD, make_product, make_user
from shop.models import Cart, Order
from shop.services import CheckoutError, place_order
from tests.shop.helpers_cart_orders import ADDRESS, fill_cart, stock_of

PARALLEL_SUBMITS = 10
STOCK = 20
QUANTITY = 2
HTTP_TIMEOUT_SECONDS = 30


def _submit_in_parallel(submit, count: int = PARALLEL_SUBMITS) -> list:
    """Run `submit()` in `count` threads released together; returns results or raised errors."""
    start = threading.Barrier(count)

    def run():
        start.wait()
        try:
            return submit()
        except Exception as error:  # the test asserts on what each submit got
            return error
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: run(), range(count)))


def _variant_and_cart():
    user = make_user()
    variant = make_product(stock={"M": STOCK}).variants.get()
    return user, variant, fill_cart(user, (variant, QUANTITY))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("idempotency_key", [None, "review-page-key-1"])
def test_parallel_place_order_calls_on_one_cart_make_one_order(idempotency_key):
    user, variant, cart = _variant_and_cart()

    outcomes = _submit_in_parallel(
        lambda: place_order(
            user=user,
            cart=Cart.objects.get(pk=cart.pk),
            address=ADDRESS,
            payment_method="pay_on_delivery",
            idempotency_key=idempotency_key,
        )
    )

    assert [o for o in outcomes if not isinstance(o, Order)] == []
    assert {order.number for order in outcomes} == {Order.objects.get().number}
    assert [order.repeated_submit for order in outcomes].count(False) == 1
    assert stock_of(variant) == STOCK - QUANTITY
    cart.refresh_from_db()
    assert cart.checkout_started_at is None  # the claim is given back


@pytest.mark.django_db
def test_repeat_with_the_same_key_after_the_order_returns_it_even_with_a_new_cart():
    user, variant, cart = _variant_and_cart()
    first = place_order(user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery", idempotency_key="k1")
    fill_cart(user, (variant, 1))

    again = place_order(user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery", idempotency_key="k1")

    assert again.number == first.number and again.repeated_submit
    assert Order.objects.count() == 1
    assert stock_of(variant) == STOCK - QUANTITY
    assert cart.lines.count() == 1  # the new line waits for its own checkout


@pytest.mark.django_db
def test_a_new_key_places_a_new_order_from_a_refilled_cart():
    user, variant, cart = _variant_and_cart()
    place_order(user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery", idempotency_key="k1")
    fill_cart(user, (variant, 1))

    second = place_order(user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery", idempotency_key="k2")

    assert not second.repeated_submit
    assert Order.objects.count() == 2
    assert stock_of(variant) == STOCK - QUANTITY - 1


@pytest.mark.django_db
def test_an_unfinished_checkout_claim_makes_a_second_submit_wait_then_answers_in_progress(settings):
    settings.SHOP_CHECKOUT_WAIT_SECONDS = 0
    user, variant, cart = _variant_and_cart()
    Cart.objects.filter(pk=cart.pk).update(checkout_key="other-tab", checkout_started_at=timezone.now())

    with pytest.raises(CheckoutError) as raised:
        place_order(user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery")

    assert raised.value.code == "checkout_in_progress"
    assert Order.objects.count() == 0
    assert stock_of(variant) == STOCK


@pytest.mark.django_db
def test_a_stale_claim_left_by_a_dead_process_is_taken_over(settings):
    user, variant, cart = _variant_and_cart()
    died_at = timezone.now() - timedelta(seconds=settings.SHOP_CHECKOUT_CLAIM_SECONDS + 1)
    Cart.objects.filter(pk=cart.pk).update(checkout_key="dead-worker", checkout_started_at=died_at)

    order = place_order(user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery")

    assert not order.repeated_submit
    assert stock_of(variant) == STOCK - QUANTITY


@pytest.mark.django_db
def test_a_keyless_repeat_long_after_the_order_is_told_the_cart_is_empty(settings):
    user, _variant, cart = _variant_and_cart()
    order = place_order(user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery")
    Order.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - timedelta(seconds=settings.SHOP_CHECKOUT_REPEAT_SECONDS + 1)
    )

    with pytest.raises(CheckoutError) as raised:
        place_order(user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery")

    assert raised.value.code == "empty_cart"


# --- Over HTTP, against the threaded live server ------------------------------------------------


def _logged_in_session(live_server, user) -> requests.Session:
    browser = requests.Session()
    login_page = browser.get(f"{live_server.url}/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    done = browser.post(
        f"{live_server.url}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": user.email, "password": DEFAULT_PASSWORD},
        headers={"Referer": f"{live_server.url}/accounts/login/"},
    )
    assert done.ok and "sessionid" in browser.cookies
    return browser


@pytest.mark.django_db(transaction=True)
def test_ten_parallel_checkout_form_submits_from_one_session_make_one_order(live_server, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user, variant, _cart = _variant_and_cart()
    browser = _logged_in_session(live_server, user)
    address_page = browser.get(f"{live_server.url}/checkout/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', address_page.text).group(1)
    browser.post(
        f"{live_server.url}/checkout/",
        data={"csrfmiddlewaretoken": csrf, **ADDRESS},
        headers={"Referer": f"{live_server.url}/checkout/"},
    )
    review = browser.get(f"{live_server.url}/checkout/review/")
    form = dict(re.findall(r'name="(csrfmiddlewaretoken|idempotency_key)" value="([^"]+)"', review.text))
    assert set(form) == {"csrfmiddlewaretoken", "idempotency_key"}
    cookies = browser.cookies.get_dict()

    def submit():
        return requests.post(
            f"{live_server.url}/checkout/place/",
            data={**form, "payment_method": "pay_on_delivery"},
            cookies=cookies,
            headers={"Referer": f"{live_server.url}/checkout/review/"},
            allow_redirects=False,
            timeout=HTTP_TIMEOUT_SECONDS,
        )

    responses = _submit_in_parallel(submit)

    order = Order.objects.get()
    assert [response.status_code for response in responses] == [302] * PARALLEL_SUBMITS
    assert {response.headers["Location"] for response in responses} == {f"/checkout/complete/{order.number}/"}
    assert stock_of(variant) == STOCK - QUANTITY


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("send_key", [True, False])
def test_ten_parallel_api_order_posts_make_one_order_and_answer_it_to_every_repeat(live_server, send_key):
    user, variant, _cart = _variant_and_cart()
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    if send_key:
        headers["Idempotency-Key"] = "client-retry-key-7"

    responses = _submit_in_parallel(
        lambda: requests.post(
            f"{live_server.url}/api/orders/", json=ADDRESS, headers=headers, timeout=HTTP_TIMEOUT_SECONDS
        )
    )

    order = Order.objects.get()
    assert sorted(response.status_code for response in responses) == [200] * (PARALLEL_SUBMITS - 1) + [201]
    assert {response.json()["number"] for response in responses} == {order.number}
    assert stock_of(variant) == STOCK - QUANTITY
