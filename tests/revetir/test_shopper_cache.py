"""A signed-in shopper's cart badge and saved photos are kept between pages (revetir.shopper_cache),
yet every change to them shows on the very next page, and no shopper ever sees another's."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from revetir.shopper_cache import forget_shopper_values, shopper_value
from revetir.testing.factories import make_product, make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from shop import services as shop_services
from shop.models import CartLine, Variant
from tests.shop.helpers_cart_orders import ADDRESS, fill_cart
from tryon import services as tryon_services

pytestmark = pytest.mark.django_db


def badge(client) -> int:
    """The cart badge in the header of the catalogue page (0 when there is none)."""
    found = re.search(
        r'<span class="badge" aria-label="(\d+) items">', client.get(reverse("shop:product_list")).content.decode()
    )
    return int(found.group(1)) if found else 0


def saved_photo_count(client, product) -> int:
    return len(re.findall(r'name="photo_id" value="[^"]+"', client.get(product.get_absolute_url()).content.decode()))


@pytest.fixture
def shopper(client):
    user = make_user()
    client.force_login(user)
    return user


def test_the_badge_and_photos_are_read_once_then_kept(client, shopper, django_assert_max_num_queries):
    product = make_tryon_product(name="Kept Tee")
    fill_cart(shopper, (product.variants.get(size="M"), 2))
    tryon_services.save_person_photo(user=shopper, upload=astronaut_upload())
    client.get(product.get_absolute_url())

    with django_assert_max_num_queries(1):  # the user (the session, badge and photos are kept)
        page = client.get(product.get_absolute_url()).content.decode()

    assert '<span class="badge" aria-label="2 items">2</span>' in page
    assert "Photo 1 · " in page


def test_every_cart_change_shows_on_the_next_page(client, shopper):
    product = make_product(stock={"S": 5, "M": 5})
    small, medium = product.variants.get(size="S"), product.variants.get(size="M")
    assert badge(client) == 0

    client.post(reverse("shop:cart_add"), {"variant": small.pk, "quantity": 2})
    assert badge(client) == 2
    client.post(reverse("shop:cart_add"), {"variant": small.pk, "quantity": 1})  # the same line grows
    assert badge(client) == 3
    client.post(reverse("shop:cart_add"), {"variant": medium.pk, "quantity": 1})
    assert badge(client) == 4

    line = CartLine.objects.get(variant=small)
    shop_services.cart_line_set_quantity(line=line, quantity=1)  # a conditional UPDATE, no signal
    assert badge(client) == 2
    shop_services.cart_line_remove(line=line)
    assert badge(client) == 1

    Variant.objects.get(pk=medium.pk).delete()  # staff delete a size: its lines go by cascade
    assert badge(client) == 0


def test_an_order_empties_the_badge(client, shopper):
    product = make_product(stock={"M": 5})
    cart = fill_cart(shopper, (product.variants.get(size="M"), 2))
    assert badge(client) == 2

    shop_services.place_order(user=shopper, cart=cart, address=ADDRESS, payment_method="pay_on_delivery")

    assert badge(client) == 0


def test_the_visitors_cart_merged_at_login_shows_at_once(client):
    product = make_product(stock={"M": 5})
    user = make_user(password="a-long-password-1")
    client.force_login(user)
    assert badge(client) == 0  # kept as 0 for this user
    client.logout()
    client.post(reverse("shop:cart_add"), {"variant": product.variants.get(size="M").pk, "quantity": 3})

    client.post(reverse("accounts:login"), {"username": user.email, "password": "a-long-password-1"})

    assert badge(client) == 3


def test_a_saved_or_deleted_photo_shows_on_the_next_page(client, shopper):
    product = make_tryon_product(name="Photo Tee")
    assert saved_photo_count(client, product) == 0

    photo = tryon_services.save_person_photo(user=shopper, upload=astronaut_upload())
    assert saved_photo_count(client, product) == 1

    tryon_services.delete_person_photo(photo=photo)
    assert saved_photo_count(client, product) == 0


def test_one_shoppers_kept_badge_and_photos_never_reach_another(client, shopper):
    product = make_tryon_product(name="Own Tee")
    fill_cart(shopper, (product.variants.get(size="M"), 2))
    tryon_services.save_person_photo(user=shopper, upload=astronaut_upload())
    assert badge(client) == 2 and saved_photo_count(client, product) == 1

    client.force_login(make_user())

    assert badge(client) == 0 and saved_photo_count(client, product) == 0


def test_a_new_account_never_finds_values_kept_under_its_id():
    """SQLite gives a new row the largest id again when the row that had it was deleted."""
    user = make_user()
    shopper_value(user_id=user.pk + 1, name="cart_item_count", compute=lambda: 7)

    newcomer = make_user()

    assert newcomer.pk == user.pk + 1
    assert shopper_value(user_id=newcomer.pk, name="cart_item_count", compute=lambda: 0) == 0


def test_a_write_while_a_value_is_read_is_never_kept_over():
    """A page reads the database, a write lands and forgets, then the page stores what it read: it is
    stored under the version the write replaced, so the next page reads again."""

    def read_then_write_lands() -> int:
        forget_shopper_values(42)
        return 1  # what the page read before the write

    assert shopper_value(user_id=42, name="cart_item_count", compute=read_then_write_lands) == 1
    assert shopper_value(user_id=42, name="cart_item_count", compute=lambda: 2) == 2


def test_no_cache_time_reads_every_time(settings):
    settings.SHOPPER_CACHE_SECONDS = 0
    assert shopper_value(user_id=43, name="cart_item_count", compute=lambda: 1) == 1
    assert shopper_value(user_id=43, name="cart_item_count", compute=lambda: 2) == 2
