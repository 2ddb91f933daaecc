"""Many shoppers racing for the last units, against the file-backed SQLite test database."""

import threading

import pytest
from django.db import connection

from revetir.testing.factories import make_product, make_user
from shop.models import CartLine, Order, OrderLine
from shop.services import place_order
from shop.stock import OutOfStock
from tests.shop.helpers_cart_orders import ADDRESS, fill_cart, stock_of

SHOPPERS = 24
STOCK = 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_never_oversell_the_last_units(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # 24 users, quickly
    variant = make_product(stock={"M": STOCK}).variants.get()
    shoppers = []
    for _ in range(SHOPPERS):
        user = make_user()
        shoppers.append((user, fill_cart(user, (variant, 1))))
    start = threading.Barrier(SHOPPERS)
    outcomes: list[str] = []
    unexpected: list[BaseException] = []
    lock = threading.Lock()

    def shop(user, cart) -> None:
        try:
            start.wait()
            try:
                place_order(user=user, cart=cart, address=ADDRESS, payment_method="pay_on_delivery")
                outcome = "ordered"
            except OutOfStock:
                outcome = "out of stock"
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
    assert outcomes.count("ordered") == STOCK
    assert outcomes.count("out of stock") == SHOPPERS - STOCK
    assert Order.objects.count() == STOCK
    assert OrderLine.objects.count() == STOCK
    assert stock_of(variant) == 0
    # The shoppers who missed out still have their cart line; the winners' carts are empty.
    assert CartLine.objects.count() == SHOPPERS - STOCK
