import pytest
from django.urls import reverse

from revetir.testing.factories import DEFAULT_PASSWORD, make_product, make_user
from shop.models import Cart, CartLine, Variant
from shop.services import SESSION_CART_ID_KEY, cart_get_or_create_for_user

pytestmark = pytest.mark.django_db


def _variant(stock: int = 5, *, size: str = "M", price: str = "25.00", **extra):
    return make_product(stock={size: stock}, price=price, **extra).variants.get()


def _add(client, variant, quantity=1, **extra):
    return client.post(reverse("shop:cart_add"), {"variant": variant.pk, "quantity": quantity, **extra}, follow=True)


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _login(client, user):
    assert client.login(email=user.email, password=DEFAULT_PASSWORD)


def test_anonymous_visitor_can_add_to_a_session_cart(client):
    variant = _variant(stock=5, price="30.00")

    response = _add(client, variant, 2)

    assert response.status_code == 200
    cart = Cart.objects.get(session_key=client.session.session_key)
    assert cart.user is None
    assert cart.lines.get().quantity == 2
    assert response.context["summary"].subtotal == 60
    assert any("Added to your cart" in text for text in _messages(response))


def test_adding_the_same_size_again_adds_up_quantities(client):
    variant = _variant(stock=5)

    _add(client, variant, 1)
    _add(client, variant, 2)

    assert CartLine.objects.get(variant=variant).quantity == 3


def test_adding_more_than_in_stock_is_capped_with_a_message(client):
    variant = _variant(stock=3)

    response = _add(client, variant, 2)
    response = _add(client, variant, 2)

    assert CartLine.objects.get(variant=variant).quantity == 3
    assert any("Only 3" in text for text in _messages(response))


def test_adding_a_sold_out_size_is_refused(client):
    variant = _variant(stock=0)

    response = _add(client, variant, 1)

    assert not CartLine.objects.exists()
    assert any("out of stock" in text for text in _messages(response))


def test_adding_an_inactive_product_or_unknown_variant_is_refused(client):
    hidden = _variant(is_active=False)

    first = _add(client, hidden, 1)
    second = client.post(reverse("shop:cart_add"), {"variant": 999_999, "quantity": 1}, follow=True)

    assert not CartLine.objects.exists()
    for response in (first, second):
        assert any("not available" in text for text in _messages(response))


@pytest.mark.parametrize("quantity", [0, -1, 11, "lots"])
def test_adding_a_quantity_outside_the_limits_is_refused(client, settings, quantity):
    settings.SHOP_MAX_LINE_QUANTITY = 10
    variant = _variant(stock=50)

    response = _add(client, variant, quantity)

    assert not CartLine.objects.exists()
    assert response.context["messages"]


def test_add_errors_go_back_to_the_product_page(client):
    variant = _variant(stock=0)
    product_url = variant.product.get_absolute_url()

    response = client.post(
        reverse("shop:cart_add"), {"variant": variant.pk, "quantity": 1}, HTTP_REFERER=f"http://testserver{product_url}"
    )

    assert response.status_code == 302
    assert response.url.endswith(product_url)


def test_add_never_redirects_to_another_site(client):
    variant = _variant()

    response = client.post(
        reverse("shop:cart_add"), {"variant": variant.pk, "quantity": 1, "next": "https://evil.example/"}
    )

    assert response.url == reverse("shop:cart")


def test_cart_add_requires_post(client):
    assert client.get(reverse("shop:cart_add")).status_code == 405


def test_changing_quantity_is_capped_by_stock(client):
    variant = _variant(stock=4)
    _add(client, variant, 1)
    line = CartLine.objects.get()

    response = client.post(
        reverse("shop:cart_line_update", args=[line.pk]), {f"line-{line.pk}-quantity": 9}, follow=True
    )

    line.refresh_from_db()
    assert line.quantity == 4
    assert any("Only 4" in text for text in _messages(response))


def test_changing_quantity_to_zero_removes_the_line(client):
    variant = _variant(stock=4)
    _add(client, variant, 2)
    line = CartLine.objects.get()

    response = client.post(
        reverse("shop:cart_line_update", args=[line.pk]), {f"line-{line.pk}-quantity": 0}, follow=True
    )

    assert not CartLine.objects.exists()
    assert _messages(response) == [f"Removed from your cart: {variant.product.name} (size M)."]


@pytest.mark.parametrize("quantity", [-1, 11])
def test_changing_quantity_outside_zero_to_the_limit_keeps_the_line_and_explains_the_limit(client, settings, quantity):
    settings.SHOP_MAX_LINE_QUANTITY = 10
    variant = _variant(stock=40)
    _add(client, variant, 2)
    line = CartLine.objects.get()

    response = client.post(
        reverse("shop:cart_line_update", args=[line.pk]), {f"line-{line.pk}-quantity": quantity}, follow=True
    )

    line.refresh_from_db()
    assert line.quantity == 2
    expected = "At most 10 of one size per order." if quantity > 0 else "Choose 0 to remove this item"
    assert any(text.startswith(expected) for text in _messages(response)), _messages(response)


def test_adding_past_the_line_limit_says_the_limit(client, settings):
    settings.SHOP_MAX_LINE_QUANTITY = 10
    variant = _variant(stock=40)
    _add(client, variant, 8)

    response = _add(client, variant, 5)

    assert CartLine.objects.get().quantity == 10
    assert _messages(response) == [
        f"At most 10 of one size per order. 10 of {variant.product.name} (size M) are in your cart (you asked for 13)."
    ]


def test_cart_and_product_pages_explain_the_line_limit_next_to_the_quantity(client, settings):
    settings.SHOP_MAX_LINE_QUANTITY = 10
    variant = _variant(stock=40)
    _add(client, variant, 1)

    cart_html = client.get(reverse("shop:cart")).content.decode()
    product_html = client.get(variant.product.get_absolute_url()).content.decode()

    assert "0 removes it. At most 10 of one size per order." in cart_html
    assert 'min="0"' in cart_html
    assert "At most 10 of one size per order." in product_html


def test_removing_a_line(client):
    variant = _variant()
    _add(client, variant, 2)
    line = CartLine.objects.get()

    response = client.post(reverse("shop:cart_line_remove", args=[line.pk]), follow=True)

    assert not CartLine.objects.exists()
    assert any("Removed" in text for text in _messages(response))


def test_someone_elses_cart_line_cannot_be_changed_or_removed(client):
    owner = make_user()
    cart = cart_get_or_create_for_user(user=owner)
    line = CartLine.objects.create(cart=cart, variant=_variant(), quantity=2)
    _login(client, make_user())

    update = client.post(reverse("shop:cart_line_update", args=[line.pk]), {f"line-{line.pk}-quantity": 1})
    remove = client.post(reverse("shop:cart_line_remove", args=[line.pk]))

    assert (update.status_code, remove.status_code) == (404, 404)
    line.refresh_from_db()
    assert line.quantity == 2


def test_signed_in_cart_belongs_to_the_user(client):
    user = make_user()
    _login(client, user)

    _add(client, _variant(), 1)

    assert Cart.objects.get().user == user


def test_cart_page_shows_lines_and_subtotal(client):
    _add(client, _variant(price="19.50"), 2)
    _add(client, _variant(price="5.00"), 1)

    response = client.get(reverse("shop:cart"))

    assert response.status_code == 200
    assert "44.00" in response.content.decode()


def test_cart_page_query_count_does_not_grow_with_lines(client, django_assert_max_num_queries):
    _add(client, _variant(), 1)
    client.get(reverse("shop:cart"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("shop:cart"))
    baseline = len(few)  # read now: later requests reset Django's query log
    for _ in range(6):
        _add(client, make_product(with_image=True).variants.get(), 1)
    with django_assert_max_num_queries(baseline):
        response = client.get(reverse("shop:cart"))

    assert len(response.context["summary"].lines) == 7


def test_anonymous_cart_merges_into_the_users_cart_at_login(client):
    user = make_user()
    shared = _variant(stock=4)
    only_anonymous = _variant(stock=5)
    user_cart = cart_get_or_create_for_user(user=user)
    CartLine.objects.create(cart=user_cart, variant=shared, quantity=3)
    _add(client, shared, 2)
    _add(client, only_anonymous, 1)
    anonymous_cart_id = client.session[SESSION_CART_ID_KEY]

    response = client.post(
        reverse("accounts:login"),
        {"username": user.email, "password": DEFAULT_PASSWORD, "next": reverse("shop:cart")},
        follow=True,
    )

    assert response.status_code == 200
    assert response.context["user"] == user
    quantities = {line.variant_id: line.quantity for line in CartLine.objects.filter(cart__user=user)}
    assert quantities == {shared.pk: 4, only_anonymous.pk: 1}
    assert not Cart.objects.filter(pk=anonymous_cart_id).exists()
    assert any("Only 4" in text for text in _messages(response))
    assert response.context["summary"].item_count == 5


def test_login_without_an_anonymous_cart_keeps_the_users_cart(client):
    user = make_user()
    cart = cart_get_or_create_for_user(user=user)
    CartLine.objects.create(cart=cart, variant=_variant(), quantity=2)

    client.post(reverse("accounts:login"), {"username": user.email, "password": DEFAULT_PASSWORD})

    assert CartLine.objects.get(cart__user=user).quantity == 2


def test_adding_when_stock_fell_below_the_cart_quantity_brings_the_line_down_to_what_is_left(client):
    variant = _variant(stock=5)
    _add(client, variant, 4)
    Variant.objects.filter(pk=variant.pk).update(stock=2)

    response = _add(client, variant, 1)

    assert CartLine.objects.get(variant=variant).quantity == 2
    assert any("Only 2" in text for text in _messages(response))
