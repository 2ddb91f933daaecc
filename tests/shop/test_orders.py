import pytest
from django.urls import reverse

from revetir.testing.factories import DEFAULT_PASSWORD, make_product, make_user
from shop.models import Order, OrderStatus
from shop.services import InvalidOrderTransition, order_change_status
from tests.shop.helpers_cart_orders import order_for, stock_of

pytestmark = pytest.mark.django_db


def _placed_order(quantity: int = 2, stock: int = 5):
    user = make_user()
    variant = make_product(stock={"M": stock}).variants.get()
    return user, variant, order_for(user, (variant, quantity))


def test_order_moves_along_the_allowed_statuses():
    _user, _variant, order = _placed_order()

    for status in (OrderStatus.PROCESSING, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        order = order_change_status(order=order, new_status=status, tracking_number="TRACK-1")
        assert Order.objects.get(pk=order.pk).status == status


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], OrderStatus.SHIPPED),
        ([], OrderStatus.DELIVERED),
        ([OrderStatus.PROCESSING, OrderStatus.SHIPPED], OrderStatus.CANCELLED),
        ([OrderStatus.PROCESSING, OrderStatus.SHIPPED, OrderStatus.DELIVERED], OrderStatus.PLACED),
        ([OrderStatus.CANCELLED], OrderStatus.PROCESSING),
    ],
)
def test_invalid_transitions_are_refused_and_leave_the_order_unchanged(path, refused):
    _user, _variant, order = _placed_order()
    for status in path:
        order = order_change_status(order=order, new_status=status, tracking_number="TRACK-1")

    with pytest.raises(InvalidOrderTransition):
        order_change_status(order=order, new_status=refused, tracking_number="TRACK-1")

    assert Order.objects.get(pk=order.pk).status == (path[-1] if path else OrderStatus.PLACED)


def test_unknown_status_is_refused():
    _user, _variant, order = _placed_order()

    with pytest.raises(InvalidOrderTransition, match="not an order status"):
        order_change_status(order=order, new_status="lost")


def test_cancelling_returns_stock_exactly_once_even_when_cancelled_twice():
    _user, variant, order = _placed_order(quantity=2, stock=5)
    stale_copy = Order.objects.get(pk=order.pk)
    assert stock_of(variant) == 3

    order_change_status(order=order, new_status=OrderStatus.CANCELLED)
    with pytest.raises(InvalidOrderTransition):
        order_change_status(order=order, new_status=OrderStatus.CANCELLED)
    with pytest.raises(InvalidOrderTransition, match="changed meanwhile"):
        order_change_status(order=stale_copy, new_status=OrderStatus.CANCELLED)

    assert stock_of(variant) == 5
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.stock_released is True


def test_cancelling_a_processing_order_returns_its_stock():
    _user, variant, order = _placed_order(quantity=1, stock=1)
    order = order_change_status(order=order, new_status=OrderStatus.PROCESSING)

    order_change_status(order=order, new_status=OrderStatus.CANCELLED)

    assert stock_of(variant) == 1


def _login(client, user):
    assert client.login(email=user.email, password=DEFAULT_PASSWORD)


def test_order_history_lists_only_my_orders_newest_first(client):
    me, variant, first = _placed_order()
    second = order_for(me, (variant, 1))
    _someone_else, _v, theirs = _placed_order()
    _login(client, me)

    response = client.get(reverse("shop:order_list"))

    assert response.status_code == 200
    assert [order.number for order in response.context["orders"]] == [second.number, first.number]
    assert theirs.number not in response.content.decode()


def test_order_pages_require_login(client):
    _user, _variant, order = _placed_order()

    for url in (reverse("shop:order_list"), order.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


def test_someone_elses_order_is_not_found(client):
    _owner, variant, order = _placed_order()
    intruder = make_user()
    _login(client, intruder)

    assert client.get(order.get_absolute_url()).status_code == 404
    assert client.post(reverse("shop:order_cancel", args=[order.number])).status_code == 404
    assert client.get(reverse("shop:checkout_complete", args=[order.number])).status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED
    assert stock_of(variant) == 3


def test_order_detail_shows_the_snapshot_lines(client):
    user, variant, order = _placed_order()
    product = variant.product
    product.name = "Renamed later"
    product.save()
    _login(client, user)

    response = client.get(order.get_absolute_url())

    assert response.status_code == 200
    line = order.lines.get()
    assert line.product_name != "Renamed later"
    assert line.product_name in response.content.decode()
    assert line.sku in response.content.decode()


def test_shopper_can_cancel_own_placed_order_and_gets_the_stock_back(client):
    user, variant, order = _placed_order(quantity=2, stock=5)
    _login(client, user)

    response = client.post(reverse("shop:order_cancel", args=[order.number]), follow=True)

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert stock_of(variant) == 5
    assert "is cancelled" in response.content.decode()


def test_shopper_cannot_cancel_an_order_that_is_already_processing(client):
    user, variant, order = _placed_order(quantity=2, stock=5)
    order_change_status(order=order, new_status=OrderStatus.PROCESSING)
    _login(client, user)

    response = client.post(reverse("shop:order_cancel", args=[order.number]), follow=True)

    order.refresh_from_db()
    assert order.status == OrderStatus.PROCESSING
    assert stock_of(variant) == 3
    assert "can no longer be cancelled online" in response.content.decode()


def test_order_list_query_count_does_not_grow_with_orders(client, django_assert_max_num_queries):
    user, variant, _order = _placed_order(quantity=1, stock=50)
    _login(client, user)
    client.get(reverse("shop:order_list"))  # warm the session
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("shop:order_list"))
    baseline = len(few)  # read now: later requests reset Django's query log
    for _ in range(6):
        order_for(user, (variant, 1), (make_product().variants.get(), 1))
    client.get(reverse("shop:order_list"))  # the orders emptied the cart: its badge is counted again once

    with django_assert_max_num_queries(baseline):
        response = client.get(reverse("shop:order_list"))

    assert len(response.context["orders"]) == 7
