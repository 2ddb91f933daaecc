"""Vouchers: discounts, every refusal a shopper can meet, the limits under races, and giving a use back."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from revetir.testing.factories import DEFAULT_PASSWORD, make_product, make_user
from shop.models import Order, OrderStatus, Voucher, VoucherKind, VoucherUse
from shop.services import order_cancel_by_customer, place_order
from shop.stock import OutOfStock
from shop.vouchers import VoucherError, voucher_check, voucher_claim
from tests.shop.helpers_cart_orders import ADDRESS, fill_cart, stock_of

pytestmark = pytest.mark.django_db


def make_voucher(code: str = "SPRING", **fields) -> Voucher:
    fields.setdefault("kind", VoucherKind.PERCENTAGE)
    fields.setdefault("value", Decimal("10"))
    return Voucher.objects.create(code=code, **fields)


def _order_with_voucher(user, code: str, *, price: str = "40.00", quantity: int = 1, stock: int = 5) -> Order:
    variant = make_product(price=price, stock={"M": stock}).variants.get()
    cart = fill_cart(user, (variant, quantity))
    return place_order(user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery", voucher_code=code)


def test_percentage_voucher_takes_its_share_of_the_items_and_is_stored_on_the_order():
    make_voucher("SPRING", value=Decimal("15"))
    user = make_user()

    order = _order_with_voucher(user, " spring ", price="33.33", quantity=2)

    assert order.voucher_code == "SPRING"
    assert order.subtotal == Decimal("66.66")
    assert order.discount == Decimal("10.00")  # 15 % of 66.66 = 9.999, rounded to the cent
    assert order.total == Decimal("56.66")
    assert Voucher.objects.get(code="SPRING").uses == 1
    assert VoucherUse.objects.get().order == order


def test_fixed_voucher_never_takes_more_than_the_items_cost():
    make_voucher("TENOFF", kind=VoucherKind.FIXED, value=Decimal("10.00"))
    user = make_user()

    order = _order_with_voucher(user, "TENOFF", price="6.50")

    assert (order.discount, order.total) == (Decimal("6.50"), Decimal("0.00"))


@pytest.mark.parametrize(
    ("fields", "subtotal", "code", "message"),
    [
        ({}, "40.00", "unknown", "There is no voucher 'NOPE'"),
        ({"valid_until": timezone.now() - timedelta(days=1)}, "40.00", "expired", "expired on"),
        ({"valid_from": timezone.now() + timedelta(days=1)}, "40.00", "not_yet_valid", "is valid from"),
        ({"minimum_subtotal": Decimal("50.00")}, "40.00", "minimum_not_met", "at least 50.00 EUR"),
        ({"usage_limit": 3, "uses": 3}, "40.00", "used_up", "used up"),
        ({"active": False}, "40.00", "unknown", "There is no voucher"),
    ],
)
def test_voucher_check_says_why_a_voucher_cannot_be_used(fields, subtotal, code, message):
    make_voucher("SPRING", **fields)
    typed = "NOPE" if code == "unknown" and not fields else "SPRING"

    with pytest.raises(VoucherError, match=message) as refusal:
        voucher_check(code=typed, user=make_user(), subtotal=Decimal(subtotal))

    assert refusal.value.code == code


def test_a_shopper_cannot_use_a_once_per_shopper_voucher_twice_but_another_shopper_can():
    make_voucher("ONCE", per_customer_limit=1)
    first, second = make_user(), make_user()
    _order_with_voucher(first, "ONCE")

    with pytest.raises(VoucherError, match="already used voucher ONCE") as refusal:
        _order_with_voucher(first, "ONCE")
    assert refusal.value.code == "already_used"
    assert _order_with_voucher(second, "ONCE").voucher_code == "ONCE"
    assert Voucher.objects.get(code="ONCE").uses == 2


def test_a_refused_voucher_places_no_order_and_takes_no_stock():
    make_voucher("BIG", minimum_subtotal=Decimal("100.00"))
    user = make_user()
    variant = make_product(price="20.00", stock={"M": 3}).variants.get()
    cart = fill_cart(user, (variant, 1))

    with pytest.raises(VoucherError):
        place_order(user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery", voucher_code="BIG")

    assert Order.objects.count() == 0
    assert stock_of(variant) == 3
    assert cart.lines.count() == 1


def test_the_use_is_given_back_when_a_later_step_of_the_checkout_fails(settings):
    settings.SHOP_PAYMENT_PROVIDERS = ["tests.shop.test_checkout.RefusingPaymentProvider"]
    make_voucher("LAST", usage_limit=1)
    user = make_user()

    with pytest.raises(RuntimeError, match="payment gateway unavailable"):
        _order_with_voucher(user, "LAST")

    voucher = Voucher.objects.get(code="LAST")
    assert voucher.uses == 0
    assert not VoucherUse.objects.exists()
    assert Order.objects.count() == 0


def test_the_use_is_given_back_when_the_stock_runs_out():
    make_voucher("LAST", usage_limit=1)
    user = make_user()

    with pytest.raises(OutOfStock):
        _order_with_voucher(user, "LAST", quantity=2, stock=1)

    assert Voucher.objects.get(code="LAST").uses == 0


def test_cancelling_an_order_gives_its_voucher_use_back_once():
    make_voucher("ONCE", usage_limit=1, per_customer_limit=1)
    user = make_user()
    order = _order_with_voucher(user, "ONCE")
    assert Voucher.objects.get(code="ONCE").uses == 1

    order_cancel_by_customer(order=order, user=user)

    assert Voucher.objects.get(code="ONCE").uses == 0
    assert not VoucherUse.objects.exists()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    # The shopper may use it again on a new order.
    assert _order_with_voucher(user, "ONCE").voucher_code == "ONCE"


def test_review_page_applies_a_voucher_and_shows_the_discount_in_the_totals(client):
    make_voucher("SPRING", value=Decimal("10"))
    user = make_user()
    fill_cart(user, (make_product(price="50.00").variants.get(), 1))
    client.login(username=user.email, password=DEFAULT_PASSWORD)
    session = client.session
    session["shop_checkout_address"] = ADDRESS
    session.save()

    response = client.post(reverse("shop:checkout_voucher"), {"code": "spring"}, follow=True)

    page = response.content.decode()
    assert "Voucher SPRING applied: 10% off." in page
    assert "−5.00 EUR" in page
    assert "Place order (45.00 EUR)" in page


def test_review_page_explains_an_expired_voucher(client):
    make_voucher("OLD", valid_until=timezone.now() - timedelta(hours=1))
    user = make_user()
    fill_cart(user, (make_product(price="50.00").variants.get(), 1))
    client.login(username=user.email, password=DEFAULT_PASSWORD)
    session = client.session
    session["shop_checkout_address"] = ADDRESS
    session.save()

    response = client.post(reverse("shop:checkout_voucher"), {"code": "OLD"}, follow=True)

    assert "Voucher OLD expired on" in response.content.decode()
    assert "shop_checkout_voucher" not in client.session


def test_placing_the_order_from_the_pages_keeps_the_voucher_on_the_order(client):
    make_voucher("SPRING", value=Decimal("20"))
    user = make_user()
    fill_cart(user, (make_product(price="50.00").variants.get(), 1))
    client.login(username=user.email, password=DEFAULT_PASSWORD)
    session = client.session
    session["shop_checkout_address"] = ADDRESS
    session.save()
    client.post(reverse("shop:checkout_voucher"), {"code": "SPRING"})

    response = client.post(reverse("shop:checkout_place"), {"payment_method": "pay_on_delivery"})

    order = Order.objects.get()
    assert response.url == reverse("shop:checkout_complete", kwargs={"number": order.number})
    assert (order.voucher_code, order.discount, order.total) == ("SPRING", Decimal("10.00"), Decimal("40.00"))
    detail = client.get(order.get_absolute_url()).content.decode()
    assert "Voucher SPRING" in detail and "40.00 EUR" in detail


@pytest.mark.django_db(transaction=True)
def test_two_shoppers_racing_for_the_last_use_one_wins(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    make_voucher("LAST", usage_limit=1)
    variant = make_product(price="40.00", stock={"M": 10}).variants.get()
    shoppers = []
    for _ in range(8):
        user = make_user()
        shoppers.append((user, fill_cart(user, (variant, 1))))
    start = threading.Barrier(len(shoppers))
    outcomes: list[str] = []
    unexpected: list[BaseException] = []
    lock = threading.Lock()

    def shop(user, cart) -> None:
        try:
            start.wait()
            try:
                place_order(
                    user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery", voucher_code="LAST"
                )
                outcome = "ordered"
            except VoucherError as error:
                outcome = error.code
            with lock:
                outcomes.append(outcome)
        except BaseException as error:
            with lock:
                unexpected.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=shop, args=shopper) for shopper in shoppers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert unexpected == []
    assert outcomes.count("ordered") == 1
    assert outcomes.count("used_up") == len(shoppers) - 1
    assert Voucher.objects.get(code="LAST").uses == 1
    assert VoucherUse.objects.count() == 1
    assert stock_of(variant) == 9  # the losers' stock was given back


@pytest.mark.django_db(transaction=True)
def test_one_shopper_in_two_tabs_cannot_use_a_once_per_shopper_voucher_twice(settings):
    make_voucher("ONCE", per_customer_limit=1)
    user = make_user()
    voucher = Voucher.objects.get(code="ONCE")
    start = threading.Barrier(4)
    outcomes: list[str] = []
    lock = threading.Lock()

    def claim() -> None:
        try:
            start.wait()
            try:
                voucher_claim(voucher=voucher, user=user)
                outcome = "claimed"
            except VoucherError as error:
                outcome = error.code
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["already_used", "already_used", "already_used", "claimed"]
    assert Voucher.objects.get(code="ONCE").uses == 1
    assert VoucherUse.objects.filter(user=user).count() == 1


def test_deleting_the_account_cancels_its_open_order_and_gives_the_voucher_use_back(mailoutbox):
    make_voucher("LAST", usage_limit=1)
    user = make_user()
    order = _order_with_voucher(user, "LAST")
    mailoutbox.clear()

    account_services.delete_account(user=user)

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert Voucher.objects.get(code="LAST").uses == 0
    assert [mail.subject for mail in mailoutbox] == [f"Your Revetir order {order.number} is cancelled"]
