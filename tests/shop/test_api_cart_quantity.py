"""The cart API's quantity rules: 0 removes a line, and the per-line limit is said in words."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from revetir.testing.factories import make_product, make_user
from shop.models import CartLine
from tests.shop.helpers_cart_orders import fill_cart

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return make_user()


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_patching_a_line_to_zero_removes_it(api, user):
    variant = make_product(stock={"M": 5}).variants.get()
    line = CartLine.objects.create(cart=fill_cart(user), variant=variant, quantity=2)

    response = api.patch(f"/api/cart/items/{line.pk}/", {"quantity": 0}, format="json")

    assert response.status_code == 200
    assert response.json()["lines"] == []
    assert response.json()["notices"] == [f"Removed from your cart: {variant.product.name} (size M)."]
    assert not CartLine.objects.filter(pk=line.pk).exists()


@pytest.mark.parametrize(
    ("quantity", "error"),
    [(11, "At most 10 of one size per order."), (-1, "Choose 0 to remove this item, or a quantity of at least 1.")],
)
def test_patching_outside_zero_to_the_limit_is_a_json_error_that_keeps_the_line(api, user, settings, quantity, error):
    settings.SHOP_MAX_LINE_QUANTITY = 10
    variant = make_product(stock={"M": 50}).variants.get()
    line = CartLine.objects.create(cart=fill_cart(user), variant=variant, quantity=2)

    response = api.patch(f"/api/cart/items/{line.pk}/", {"quantity": quantity}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["quantity"] == [error]
    assert CartLine.objects.get(pk=line.pk).quantity == 2


def test_adding_more_than_the_line_limit_says_the_limit(api, settings):
    settings.SHOP_MAX_LINE_QUANTITY = 10
    variant = make_product(stock={"M": 50}).variants.get()

    response = api.post("/api/cart/items/", {"variant": variant.pk, "quantity": 11}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["quantity"] == ["At most 10 of one size per order."]
