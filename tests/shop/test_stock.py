import pytest

from revetir.testing.factories import make_product
from shop.models import Variant
from shop.stock import OutOfStock, StockLine, release_stock, reserve_lines, reserve_stock

pytestmark = pytest.mark.django_db


def _variant(stock: int, size: str = "M") -> Variant:
    return make_product(stock={size: stock}).variants.get()


def test_reserve_stock_takes_units_only_when_enough_are_left():
    variant = _variant(3)

    assert reserve_stock(variant_id=variant.pk, quantity=2) is True
    assert reserve_stock(variant_id=variant.pk, quantity=2) is False

    variant.refresh_from_db()
    assert variant.stock == 1


def test_reserve_stock_can_take_the_last_unit_but_never_goes_below_zero():
    variant = _variant(1)

    assert reserve_stock(variant_id=variant.pk, quantity=1) is True
    assert reserve_stock(variant_id=variant.pk, quantity=1) is False

    variant.refresh_from_db()
    assert variant.stock == 0


def test_reserve_stock_refuses_non_positive_quantities():
    variant = _variant(3)

    with pytest.raises(ValueError, match="at least 1"):
        reserve_stock(variant_id=variant.pk, quantity=0)


def test_release_stock_gives_units_back():
    variant = _variant(0)

    release_stock(variant_id=variant.pk, quantity=4)

    variant.refresh_from_db()
    assert variant.stock == 4


def test_reserve_lines_gives_back_earlier_lines_and_names_the_line_that_ran_out():
    first = _variant(5, "S")
    second = _variant(1, "L")
    lines = [
        StockLine(variant_id=first.pk, quantity=2, description="Linen shirt (size S)"),
        StockLine(variant_id=second.pk, quantity=2, description="Wool skirt (size L)"),
    ]

    with pytest.raises(OutOfStock, match=r"Wool skirt \(size L\)") as raised:
        reserve_lines(lines)

    assert raised.value.variant_id == second.pk
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.stock, second.stock) == (5, 1)


def test_reserve_lines_takes_every_line_when_all_are_in_stock():
    first = _variant(5, "S")
    second = _variant(2, "L")

    reserve_lines(
        [
            StockLine(variant_id=first.pk, quantity=2, description="a"),
            StockLine(variant_id=second.pk, quantity=2, description="b"),
        ]
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.stock, second.stock) == (3, 0)
