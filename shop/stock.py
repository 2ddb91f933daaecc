"""The one place where `Variant.stock` changes.

Every change is a single conditional UPDATE, so two shoppers can never buy the same last unit, on
SQLite and on MongoDB alike (MongoDB has no transactions, so nothing here relies on them). A
multi-line reservation that fails part-way gives back what it already took (compensation) before
it reports which item ran out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F

from shop.models import Variant

logger = logging.getLogger(__name__)


class OutOfStock(Exception):
    """Raised when a line cannot be reserved; nothing stays reserved when it is raised."""

    def __init__(self, *, variant_id: int, description: str, requested: int) -> None:
        self.variant_id = variant_id
        self.description = description
        self.requested = requested
        super().__init__(f"Sorry, {description} is out of stock (or fewer than {requested} are left).")


@dataclass(frozen=True)
class StockLine:
    """One quantity of one variant to reserve; `description` names it for the shopper."""

    variant_id: int
    quantity: int
    description: str


def reserve_stock(*, variant_id: int, quantity: int) -> bool:
    """Take `quantity` units if at least that many are left. True iff they were taken."""
    if quantity < 1:
        raise ValueError(f"quantity must be at least 1, got {quantity}")
    changed = Variant.objects.filter(pk=variant_id, stock__gte=quantity).update(stock=F("stock") - quantity)
    return changed == 1


def release_stock(*, variant_id: int, quantity: int) -> None:
    """Give back `quantity` units (a cancelled order, or compensation for a failed one)."""
    if quantity < 1:
        raise ValueError(f"quantity must be at least 1, got {quantity}")
    changed = Variant.objects.filter(pk=variant_id).update(stock=F("stock") + quantity)
    if changed != 1:
        # The variant was deleted meanwhile: there is no stock row left to give the units back to.
        logger.warning("Could not return %s unit(s) to variant %s: it no longer exists", quantity, variant_id)


def reserve_lines(lines: Iterable[StockLine]) -> None:
    """Reserve every line or none of them.

    Lines are reserved one by one; if one cannot be, every line already reserved is released and
    `OutOfStock` names the line that ran out. If anything else goes wrong (a database error), the
    reserved lines are released too and the error propagates.
    """
    reserved: list[StockLine] = []
    try:
        for line in lines:
            if not reserve_stock(variant_id=line.variant_id, quantity=line.quantity):
                raise OutOfStock(variant_id=line.variant_id, description=line.description, requested=line.quantity)
            reserved.append(line)
    except BaseException:
        release_lines(reserved)
        raise


def release_lines(lines: Iterable[StockLine]) -> None:
    """Give back every line (the reverse of `reserve_lines`)."""
    for line in lines:
        release_stock(variant_id=line.variant_id, quantity=line.quantity)
