"""The one place where `Variant.stock` changes.

Every change is a single conditional UPDATE, so two shoppers can never buy the same last unit, on
SQLite and on MongoDB alike (MongoDB has no transactions, so nothing here relies on them). A
multi-line reservation that fails part-way gives back what it already took (compensation) before
it reports which item ran out.

Staff edits never overwrite a sale: a count typed by staff is a compare-and-set against the count
they saw (`set_stock_if_unchanged`), and a change by a number of units (`adjust_stock`) is applied
to whatever the count is now. A new variant's first count is set when it is created.

A conditional UPDATE sends no model signal, so every change made here replaces the catalogue cache's
version itself: the product page and the list show the new stock on their next render.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F

from shop.catalogue_cache import invalidate_catalogue
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


class StockChangedMeanwhile(Exception):
    """A staff edit was refused because the stock moved (a sale, a cancellation) since it was read."""

    def __init__(self, *, variant_id: int, current: int | None) -> None:
        self.variant_id = variant_id
        self.current = current
        now = "the size no longer exists" if current is None else f"now {current}"
        super().__init__(f"stock changed since you opened this page: {now}")


class StockWouldGoNegative(Exception):
    """A change by a number of units would take the stock below zero; nothing was changed."""

    def __init__(self, *, variant_id: int, current: int | None, delta: int) -> None:
        self.variant_id = variant_id
        self.current = current
        self.delta = delta
        super().__init__(f"taking {-delta} would leave less than 0 (stock is now {current})")


def _current_stock(variant_id: int) -> int | None:
    return Variant.objects.filter(pk=variant_id).values_list("stock", flat=True).first()


def set_stock_if_unchanged(*, variant_id: int, expected: int, new: int) -> None:
    """Set the count to `new` only if it is still `expected` (what the staff member saw).

    Raises `StockChangedMeanwhile` with the current count otherwise, and changes nothing.
    """
    if new < 0:
        raise ValueError(f"stock cannot be negative, got {new}")
    if expected == new:
        return
    if Variant.objects.filter(pk=variant_id, stock=expected).update(stock=new) != 1:
        raise StockChangedMeanwhile(variant_id=variant_id, current=_current_stock(variant_id))
    invalidate_catalogue()


def adjust_stock(*, variant_id: int, delta: int) -> None:
    """Add (`delta` > 0) or take away units from whatever the count is now, never below zero.

    Raises `StockWouldGoNegative` (nothing changed) when fewer than `-delta` units are left.
    """
    if delta > 0:
        if Variant.objects.filter(pk=variant_id).update(stock=F("stock") + delta) != 1:
            raise StockChangedMeanwhile(variant_id=variant_id, current=None)
        invalidate_catalogue()
    elif delta < 0 and not reserve_stock(variant_id=variant_id, quantity=-delta):
        raise StockWouldGoNegative(variant_id=variant_id, current=_current_stock(variant_id), delta=delta)


def reserve_stock(*, variant_id: int, quantity: int) -> bool:
    """Take `quantity` units if at least that many are left. True iff they were taken."""
    if quantity < 1:
        raise ValueError(f"quantity must be at least 1, got {quantity}")
    changed = Variant.objects.filter(pk=variant_id, stock__gte=quantity).update(stock=F("stock") - quantity)
    if changed == 1:
        invalidate_catalogue()
    return changed == 1


def release_stock(*, variant_id: int, quantity: int) -> None:
    """Give back `quantity` units (a cancelled order, or compensation for a failed one)."""
    if quantity < 1:
        raise ValueError(f"quantity must be at least 1, got {quantity}")
    changed = Variant.objects.filter(pk=variant_id).update(stock=F("stock") + quantity)
    if changed == 1:
        invalidate_catalogue()
    else:
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
