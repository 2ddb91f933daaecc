import re
from decimal import Decimal

import pytest
from django.urls import reverse

from revetir.testing.factories import DEFAULT_PASSWORD, make_product, make_user
from shop.models import CartLine, Order, OrderLine, OrderStatus, PaymentMethod
from shop.services import CheckoutError, place_order
from shop.stock import OutOfStock
from tests.shop.helpers_cart_orders import ADDRESS, fill_cart, stock_of

pytestmark = pytest.mark.django_db


class RefusingPaymentProvider:
    """A provider whose payment step fails after the order rows were written."""

    method = PaymentMethod.PAY_ON_DELIVERY.value
    label = "Refusing"
    customer_instructions = ""

    def begin_payment(self, *, order):
        raise RuntimeError("payment gateway unavailable")


def _variant(stock: int, *, price: str = "25.00", size: str = "M"):
    return make_product(stock={size: stock}, price=price).variants.get()


def _cart_quantities(cart) -> dict[int, int]:
    return dict(cart.lines.values_list("variant_id", "quantity"))


def test_place_order_reserves_stock_snapshots_lines_and_empties_the_cart():
    user = make_user()
    shirt = _variant(5, price="30.00")
    skirt = _variant(2, price="12.50", size="S")
    cart = fill_cart(user, (shirt, 2), (skirt, 1))

    order = place_order(user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery")

    assert re.fullmatch(r"RV-[A-Z2-7]{16}", order.number)
    assert order.status == OrderStatus.PLACED
    assert order.subtotal == Decimal("72.50")  # 2 × 30.00 + 12.50
    assert order.email == user.email
    assert (order.city, order.country) == ("Lyon", "FR")
    snapshot = list(order.lines.values_list("product_name", "sku", "size", "unit_price", "quantity"))
    assert snapshot == [
        (shirt.product.name, shirt.sku, "M", shirt.product.price, 2),
        (skirt.product.name, skirt.sku, "S", skirt.product.price, 1),
    ]
    assert (stock_of(shirt), stock_of(skirt)) == (3, 1)
    assert not cart.lines.exists()


def test_order_numbers_are_unique_and_unguessable():
    user = make_user()
    variant = _variant(10)
    numbers = set()
    for _ in range(3):
        cart = fill_cart(user, (variant, 1))
        numbers.add(place_order(user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery").number)

    assert len(numbers) == 3


def test_place_order_gives_back_reserved_lines_when_a_later_line_is_out_of_stock():
    user = make_user()
    first = _variant(5)
    second = _variant(1, size="L")
    cart = fill_cart(user, (first, 2), (second, 2))

    with pytest.raises(OutOfStock, match=rf"{second.product.name} \(size L\)"):
        place_order(user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery")

    assert (stock_of(first), stock_of(second)) == (5, 1)
    assert not Order.objects.exists()
    assert _cart_quantities(cart) == {first.pk: 2, second.pk: 2}


def test_place_order_releases_stock_and_deletes_the_order_when_a_later_step_fails(settings):
    settings.SHOP_PAYMENT_PROVIDERS = ["tests.shop.test_checkout.RefusingPaymentProvider"]
    user = make_user()
    variant = _variant(3)
    cart = fill_cart(user, (variant, 2))

    with pytest.raises(RuntimeError, match="payment gateway unavailable"):
        place_order(user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery")

    assert stock_of(variant) == 3
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()
    assert _cart_quantities(cart) == {variant.pk: 2}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"address": {**ADDRESS, "city": " "}}, "missing: city"),
        ({"payment_method": "card"}, "not available"),
    ],
)
def test_place_order_refuses_bad_input_without_touching_stock(change, message):
    user = make_user()
    variant = _variant(3)
    cart = fill_cart(user, (variant, 1))
    arguments = {"user": user, "cart": cart, "address": ADDRESS, "payment_method": "pay_on_delivery", **change}

    with pytest.raises(CheckoutError, match=message):
        place_order(**arguments)

    assert stock_of(variant) == 3
    assert not Order.objects.exists()


def test_place_order_refuses_an_empty_cart_and_products_no_longer_sold():
    user = make_user()
    variant = _variant(3)
    cart = fill_cart(user)
    with pytest.raises(CheckoutError, match="empty"):
        place_order(user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery")

    fill_cart(user, (variant, 1))
    variant.product.is_active = False
    variant.product.save()
    with pytest.raises(CheckoutError, match="No longer sold"):
        place_order(user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery")
    assert stock_of(variant) == 3


def test_checkout_end_to_end_from_anonymous_cart_through_login(client):
    user = make_user()
    variant = _variant(4, price="40.00")
    client.post(reverse("shop:cart_add"), {"variant": variant.pk, "quantity": 2})

    to_login = client.get(reverse("shop:checkout_address"))
    assert to_login.status_code == 302
    login_url = to_login.url
    assert login_url.startswith(reverse("accounts:login"))

    back = client.post(login_url, {"username": user.email, "password": DEFAULT_PASSWORD})
    assert back.status_code == 302
    assert back.url == reverse("shop:checkout_address")

    address_page = client.get(back.url)
    assert address_page.status_code == 200
    assert address_page.context["summary"].item_count == 2

    invalid = client.post(reverse("shop:checkout_address"), {**ADDRESS, "country": "XX", "postal_code": ""})
    assert invalid.status_code == 200
    assert set(invalid.context["form"].errors) == {"country", "postal_code"}

    to_review = client.post(reverse("shop:checkout_address"), {**ADDRESS, "phone": "+33 4 72 00 00 00"})
    assert to_review.url == reverse("shop:checkout_review")
    review = client.get(to_review.url)
    assert review.status_code == 200
    page = review.content.decode()
    assert "12 Rue des Lilas" in page
    assert "80.00" in page
    assert "Pay on delivery" in page

    placed = client.post(reverse("shop:checkout_place"), {"payment_method": "pay_on_delivery"}, follow=True)

    order = Order.objects.get(user=user)
    assert placed.redirect_chain[-1][0] == reverse("shop:checkout_complete", args=[order.number])
    assert order.number in placed.content.decode()
    assert order.phone == "+33 4 72 00 00 00"
    assert order.subtotal == 80
    assert stock_of(variant) == 2
    assert not CartLine.objects.filter(cart__user=user).exists()
    assert "shop_checkout_address" not in client.session


def test_checkout_tells_the_shopper_which_item_ran_out_and_keeps_the_cart(client):
    user = make_user()
    plenty = _variant(5)
    scarce = _variant(1, size="XL")
    cart = fill_cart(user, (plenty, 1), (scarce, 2))
    assert client.login(email=user.email, password=DEFAULT_PASSWORD)
    client.post(reverse("shop:checkout_address"), ADDRESS)

    response = client.post(reverse("shop:checkout_place"), {"payment_method": "pay_on_delivery"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("shop:cart")
    messages = [str(message) for message in response.context["messages"]]
    assert any(f"{scarce.product.name} (size XL)" in text and "not placed" in text for text in messages)
    assert not Order.objects.exists()
    assert (stock_of(plenty), stock_of(scarce)) == (5, 1)
    assert _cart_quantities(cart) == {plenty.pk: 1, scarce.pk: 2}


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(client):
    user = make_user()
    assert client.login(email=user.email, password=DEFAULT_PASSWORD)

    response = client.get(reverse("shop:checkout_address"))

    assert response.url == reverse("shop:cart")


def test_review_without_an_address_asks_for_one(client):
    user = make_user()
    fill_cart(user, (_variant(3), 1))
    assert client.login(email=user.email, password=DEFAULT_PASSWORD)

    assert client.get(reverse("shop:checkout_review")).url == reverse("shop:checkout_address")
    assert client.post(reverse("shop:checkout_place")).url == reverse("shop:checkout_address")
    assert not Order.objects.exists()


def test_placing_an_order_requires_post_and_login(client):
    assert client.post(reverse("shop:checkout_place")).url.startswith(reverse("accounts:login"))
    user = make_user()
    assert client.login(email=user.email, password=DEFAULT_PASSWORD)
    assert client.get(reverse("shop:checkout_place")).status_code == 405
