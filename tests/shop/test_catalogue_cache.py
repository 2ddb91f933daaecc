"""The product list's catalogue part is cached, stays correct, and never carries one visitor's page to another."""

from __future__ import annotations

import pytest
from django.urls import reverse

from revetir.testing.factories import make_category, make_product, make_user
from shop.stock import reserve_stock
from tests.shop.helpers_cart_orders import fill_cart

pytestmark = pytest.mark.django_db

LIST_URL = reverse("shop:product_list")


def test_a_repeated_listing_is_served_from_the_cache_without_queries(client, django_assert_num_queries):
    make_product("Navy Tee", price="19.50", stock={"M": 2}, with_image=True)
    first = client.get(LIST_URL).content.decode()

    with django_assert_num_queries(0):
        second = client.get(LIST_URL).content.decode()

    assert second == first
    assert '<ul class="grid product-grid">' in second  # cached HTML is not escaped a second time
    assert "Navy Tee" in second
    assert "19.50 EUR" in second


def test_the_same_filters_in_another_order_share_a_cache_entry_and_other_filters_do_not(
    client, django_assert_num_queries
):
    make_product("Red Tee")
    make_product("Blue Tee")
    client.get(LIST_URL, {"q": "red", "sort": "name"})

    with django_assert_num_queries(0):
        same = client.get(f"{LIST_URL}?sort=name&q=red").content.decode()
    other = client.get(LIST_URL, {"q": "blue", "sort": "name"}).content.decode()

    assert "Red Tee" in same and "Blue Tee" not in same
    assert "Blue Tee" in other and "Red Tee" not in other


def test_a_saved_product_change_shows_on_the_next_listing(client):
    product = make_product("Plain Tee", price="20.00")
    client.get(LIST_URL)

    product.price = "15.00"
    product.save()

    assert "15.00 EUR" in client.get(LIST_URL).content.decode()


def test_a_product_made_inactive_or_a_deleted_size_leaves_the_listing_at_once(client):
    leaving = make_product("Leaving Tee")
    staying = make_product("Staying Tee", stock={"S": 1, "XL": 2})
    assert "S · XL" in client.get(LIST_URL).content.decode()

    leaving.is_active = False
    leaving.save()
    staying.variants.get(size="XL").delete()

    html = client.get(LIST_URL).content.decode()
    assert "Leaving Tee" not in html
    assert "Staying Tee" in html
    assert "S · XL" not in html


def test_a_renamed_category_shows_in_the_navigation_at_once(client):
    category = make_category("Knitwear")
    client.get(LIST_URL)

    category.name = "Jumpers"
    category.save()

    html = client.get(LIST_URL).content.decode()
    assert "Jumpers" in html
    assert "Knitwear" not in html


def test_with_the_cache_time_at_zero_a_stock_update_shows_immediately(client, settings):
    settings.SHOP_CATALOGUE_CACHE_SECONDS = 0
    product = make_product("Last One Tee", stock={"M": 1})
    assert "Out of stock" not in client.get(LIST_URL).content.decode()

    assert reserve_stock(variant_id=product.variants.get().pk, quantity=1)

    assert "Out of stock" in client.get(LIST_URL).content.decode()


def test_a_cached_listing_shows_each_visitor_their_own_header_and_cart_badge(client):
    variant = make_product("Shared Tee", stock={"M": 5}).variants.get()
    shopper = make_user("ada@example.com")
    fill_cart(shopper, (variant, 3))
    client.force_login(shopper)
    signed_in = client.get(LIST_URL).content.decode()
    client.logout()

    anonymous = client.get(LIST_URL).content.decode()

    assert 'aria-label="3 items"' in signed_in
    assert "Log out" in signed_in
    assert "Shared Tee" in anonymous
    assert 'aria-label="3 items"' not in anonymous
    assert "Log out" not in anonymous
    assert "Log in" in anonymous
