"""Delivery methods: priced per cart, free over a threshold, chosen at checkout and kept on the order."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from revetir.testing.factories import DEFAULT_PASSWORD, make_product, make_user
from shop.models import Order, OrderStatus, ShippingMethod, Voucher, VoucherKind
from shop.services import CheckoutError, order_change_status, place_order
from tests.shop.helpers_cart_orders import ADDRESS, fill_cart

pytestmark = pytest.mark.django_db


@pytest.fixture
def methods():
    standard = ShippingMethod.objects.create(
        name="Standard delivery",
        price=Decimal("4.90"),
        free_over=Decimal("60.00"),
        delivery_days_min=2,
        delivery_days_max=4,
        position=0,
    )
    express = ShippingMethod.objects.create(
        name="Express delivery", price=Decimal("9.90"), delivery_days_min=1, delivery_days_max=1, position=1
    )
    return standard, express


def _cart_worth(user, price: str):
    return fill_cart(user, (make_product(price=price).variants.get(), 1))


def test_the_chosen_method_is_charged_and_kept_on_the_order(methods):
    _standard, express = methods
    user = make_user()

    order = place_order(
        user=user,
        cart=_cart_worth(user, "25.00"),
        address=ADDRESS,
        payment_method="pay_on_delivery",
        shipping_method_id=express.pk,
    )

    assert (order.shipping_method, order.shipping_method_name) == (express, "Express delivery")
    assert (order.subtotal, order.shipping_price, order.total) == (Decimal("25.00"), Decimal("9.90"), Decimal("34.90"))


def test_standard_delivery_is_free_from_its_threshold_and_the_snapshot_survives_a_price_change(methods):
    standard, _express = methods
    user = make_user()

    order = place_order(
        user=user,
        cart=_cart_worth(user, "60.00"),
        address=ADDRESS,
        payment_method="pay_on_delivery",
        shipping_method_id=str(standard.pk),
    )
    ShippingMethod.objects.filter(pk=standard.pk).update(price=Decimal("7.00"), free_over=None)

    stored = Order.objects.get(pk=order.pk)
    assert (stored.shipping_price, stored.total) == (Decimal("0.00"), Decimal("60.00"))


@pytest.mark.parametrize("chosen", [None, "inactive", "9999"])
def test_checkout_refuses_a_missing_inactive_or_unknown_method_once_methods_exist(methods, chosen):
    standard, _express = methods
    ShippingMethod.objects.filter(pk=standard.pk).update(active=False)
    user = make_user()
    cart = _cart_worth(user, "25.00")
    method_id = standard.pk if chosen == "inactive" else chosen

    with pytest.raises(CheckoutError) as refusal:
        place_order(
            user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery", shipping_method_id=method_id
        )

    assert refusal.value.code == "shipping_method"
    assert Order.objects.count() == 0
    assert cart.lines.count() == 1


def test_address_step_offers_active_methods_with_their_price_for_this_cart_and_remembers_the_choice(client, methods):
    _standard, express = methods
    ShippingMethod.objects.create(name="Retired courier", price=Decimal("1.00"), active=False)
    user = make_user()
    _cart_worth(user, "70.00")
    client.login(username=user.email, password=DEFAULT_PASSWORD)

    page = client.get(reverse("shop:checkout_address")).content.decode()

    assert "Standard delivery: free, 2–4 working days" in page
    assert "Express delivery: 9.90 EUR, 1 working day" in page
    assert "Retired courier" not in page

    response = client.post(reverse("shop:checkout_address"), {**ADDRESS, "shipping_method": express.pk})
    assert response.url == reverse("shop:checkout_review")
    review = client.get(reverse("shop:checkout_review")).content.decode()
    assert "Express delivery (1 working day): 9.90 EUR" in review
    assert "Place order (79.90 EUR)" in review


def test_address_step_says_a_delivery_method_must_be_chosen(client, methods):
    user = make_user()
    _cart_worth(user, "20.00")
    client.login(username=user.email, password=DEFAULT_PASSWORD)

    response = client.post(reverse("shop:checkout_address"), ADDRESS)

    assert response.status_code == 200
    assert response.context["form"].errors["shipping_method"] == ["Choose a delivery method."]


def test_free_delivery_is_judged_on_the_items_before_the_voucher(methods):
    standard, _express = methods
    Voucher.objects.create(code="TENOFF", kind=VoucherKind.FIXED, value=Decimal("10.00"))
    user = make_user()

    order = place_order(
        user=user,
        cart=_cart_worth(user, "60.00"),
        address=ADDRESS,
        payment_method="pay_on_delivery",
        shipping_method_id=standard.pk,
        voucher_code="TENOFF",
    )

    assert (order.discount, order.shipping_price, order.total) == (Decimal("10.00"), Decimal("0.00"), Decimal("50.00"))


def test_the_shopper_sees_the_delivery_method_and_tracking_number_on_their_order(client, methods):
    _standard, express = methods
    user = make_user()
    order = place_order(
        user=user,
        cart=_cart_worth(user, "25.00"),
        address=ADDRESS,
        payment_method="pay_on_delivery",
        shipping_method_id=express.pk,
    )
    order = order_change_status(order=order, new_status=OrderStatus.PROCESSING)
    order_change_status(order=order, new_status=OrderStatus.SHIPPED, tracking_number="JD014600003GB")
    client.force_login(user)

    page = client.get(order.get_absolute_url()).content.decode()

    assert "Express delivery · Tracking number <strong>JD014600003GB</strong>" in page
    assert "Shipping (Express delivery)" in page and "34.90 EUR" in page


def _checkout_step_queries(client, methods, lines: int) -> dict[str, int]:
    standard, _express = methods
    Voucher.objects.get_or_create(code="SPRING", defaults={"value": Decimal("10"), "per_customer_limit": 5})
    user = make_user()
    fill_cart(user, *[(make_product().variants.get(), 1) for _ in range(lines)])
    client.force_login(user)
    client.post(reverse("shop:checkout_address"), {**ADDRESS, "shipping_method": standard.pk})
    client.post(reverse("shop:checkout_voucher"), {"code": "SPRING"})
    counts = {}
    for step in ("shop:checkout_address", "shop:checkout_review"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(step)).status_code == 200
        counts[step] = len(queries.captured_queries)
    return counts


def test_the_address_and_review_steps_cost_the_same_queries_for_one_line_or_ten(client, methods):
    assert _checkout_step_queries(client, methods, 1) == _checkout_step_queries(client, methods, 10)
