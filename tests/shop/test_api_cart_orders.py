import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from revetir.testing.factories import make_product, make_user
from shop.models import CartLine, Order, OrderStatus
from tests.shop.helpers_cart_orders import ADDRESS, fill_cart, order_for, stock_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return make_user()


@pytest.fixture
def api(user) -> APIClient:
    """A client authenticated the way apps do it: with the user's token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def _variant(stock: int = 5, *, size: str = "M", price: str = "25.00"):
    return make_product(stock={size: stock}, price=price).variants.get()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/cart/"),
        ("post", "/api/cart/items/"),
        ("patch", "/api/cart/items/1/"),
        ("delete", "/api/cart/items/1/"),
        ("get", "/api/orders/"),
        ("post", "/api/orders/"),
        ("get", "/api/orders/RV-AAAA/"),
        ("post", "/api/orders/RV-AAAA/cancel/"),
    ],
)
def test_cart_and_order_routes_require_authentication(method, path):
    response = getattr(APIClient(), method)(path, {}, format="json")

    assert response.status_code in (401, 403)
    assert set(response.json()) >= {"status", "message"}


def test_add_read_change_and_remove_cart_items(api):
    variant = _variant(stock=3, price="20.00")

    added = api.post("/api/cart/items/", {"variant": variant.pk, "quantity": 2}, format="json")
    assert added.status_code == 201
    body = added.json()
    assert body["item_count"] == 2
    assert body["subtotal"] == "40.00"
    assert body["notices"] == []
    line_id = body["lines"][0]["id"]
    assert body["lines"][0]["sku"] == variant.sku

    capped = api.patch(f"/api/cart/items/{line_id}/", {"quantity": 9}, format="json")
    assert capped.status_code == 200
    assert capped.json()["lines"][0]["quantity"] == 3
    assert "Only 3" in capped.json()["notices"][0]

    assert api.get("/api/cart/").json()["subtotal"] == "60.00"

    removed = api.delete(f"/api/cart/items/{line_id}/")
    assert removed.status_code == 204
    assert api.get("/api/cart/").json()["lines"] == []


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"variant": 999_999, "quantity": 1}, "not available"),
        ({"quantity": 1}, "Invalid input."),
        ("sold_out", "out of stock"),
    ],
)
def test_adding_bad_cart_items_gets_a_json_error(api, payload, message):
    if payload == "sold_out":
        payload = {"variant": _variant(stock=0).pk, "quantity": 1}

    response = api.post("/api/cart/items/", payload, format="json")

    assert response.status_code == 400
    assert response.json()["status"] == 400
    assert message in response.json()["message"]
    assert not CartLine.objects.exists()


def test_adding_more_than_the_line_limit_is_refused(api, settings):
    settings.SHOP_MAX_LINE_QUANTITY = 4

    response = api.post("/api/cart/items/", {"variant": _variant(stock=50).pk, "quantity": 5}, format="json")

    assert response.status_code == 400
    assert "quantity" in response.json()["errors"]


def test_someone_elses_cart_line_is_not_found(api):
    line = CartLine.objects.create(cart=fill_cart(make_user()), variant=_variant(), quantity=1)

    assert api.patch(f"/api/cart/items/{line.pk}/", {"quantity": 2}, format="json").status_code == 404
    assert api.delete(f"/api/cart/items/{line.pk}/").status_code == 404
    assert CartLine.objects.get(pk=line.pk).quantity == 1


def test_placing_an_order_from_the_cart(api, user):
    variant = _variant(stock=4, price="15.00")
    fill_cart(user, (variant, 3))

    response = api.post("/api/orders/", ADDRESS, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == OrderStatus.PLACED
    assert body["subtotal"] == "45.00"
    assert body["payment_method"] == "pay_on_delivery"
    assert body["lines"][0]["sku"] == variant.sku
    assert Order.objects.get().number == body["number"]
    assert stock_of(variant) == 1
    assert api.get("/api/cart/").json()["lines"] == []


def test_placing_an_order_when_an_item_ran_out_is_a_conflict_naming_it(api, user):
    plenty = _variant(stock=5)
    scarce = _variant(stock=1, size="L")
    fill_cart(user, (plenty, 1), (scarce, 2))

    response = api.post("/api/orders/", ADDRESS, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["status"] == 409
    assert f"{scarce.product.name} (size L)" in body["message"]
    assert body["variant"] == scarce.pk
    assert not Order.objects.exists()
    assert (stock_of(plenty), stock_of(scarce)) == (5, 1)
    assert len(api.get("/api/cart/").json()["lines"]) == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [({**ADDRESS, "country": "XX"}, "country"), ({**ADDRESS, "full_name": ""}, "full_name")],
)
def test_placing_an_order_with_a_bad_address_names_the_field(api, user, payload, field):
    variant = _variant(stock=5)
    fill_cart(user, (variant, 1))

    response = api.post("/api/orders/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert stock_of(variant) == 5


def test_placing_an_order_with_an_empty_cart_is_refused(api):
    response = api.post("/api/orders/", ADDRESS, format="json")

    assert response.status_code == 400
    assert response.json()["message"] == "Your cart is empty."


def test_users_only_see_their_own_orders(api, user):
    variant = _variant(stock=10)
    mine = order_for(user, (variant, 1))
    theirs = order_for(make_user(), (variant, 1))

    listing = api.get("/api/orders/").json()
    assert [order["number"] for order in listing["results"]] == [mine.number]
    assert api.get(f"/api/orders/{mine.number}/").status_code == 200

    response = api.get(f"/api/orders/{theirs.number}/")
    assert response.status_code == 404
    assert response.json() == {"status": 404, "message": "Not found."}
    assert api.post(f"/api/orders/{theirs.number}/cancel/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.PLACED


def test_cancelling_through_the_api_returns_stock_once(api, user):
    variant = _variant(stock=3)
    order = order_for(user, (variant, 2))

    first = api.post(f"/api/orders/{order.number}/cancel/")
    second = api.post(f"/api/orders/{order.number}/cancel/")

    assert first.status_code == 200
    assert first.json()["status"] == OrderStatus.CANCELLED
    assert second.status_code == 400
    assert stock_of(variant) == 3


def test_schema_documents_the_cart_and_order_routes(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for path in (
        "/api/cart/",
        "/api/cart/items/",
        "/api/cart/items/{line_id}/",
        "/api/orders/",
        "/api/orders/{number}/",
    ):
        assert path in schema["paths"]
    assert "409" in schema["paths"]["/api/orders/"]["post"]["responses"]
