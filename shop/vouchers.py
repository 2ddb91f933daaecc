"""The one place where a voucher's uses change.

A use is taken in two single-row steps, each decided by the database without a transaction
(MongoDB has none): first the total, by a conditional update `uses < usage_limit` checked by its
row count; then the shopper's own limit, by inserting a `VoucherUse` into a numbered slot whose
(voucher, user, slot) is unique. When the second step fails the first is undone (compensation).

Decision: a use is given back when the order it was taken for is not written (a later checkout step
failed) and when the order is cancelled, so a cancelled order never costs the shopper their code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from shop.models import Order, Voucher, VoucherUse


class VoucherError(ValidationError):
    """The voucher cannot be used for this order. `code` says why: unknown, expired, not_yet_valid,
    minimum_not_met, used_up or already_used."""


@dataclass(frozen=True)
class VoucherClaim:
    """A use taken for one checkout: hand it to `voucher_attach` or `voucher_release`."""

    voucher: Voucher
    use: VoucherUse


def normalise_code(code: str) -> str:
    return (code or "").strip().upper()


def voucher_check(*, code: str, user, subtotal: Decimal, now: datetime | None = None) -> Voucher:
    """The active voucher with this code if `user` may use it on goods worth `subtotal` now.

    Raises `VoucherError` with a message the shopper can act on. Reading only: the limits are
    enforced again, race-free, by `voucher_claim`.
    """
    code = normalise_code(code)
    now = now or timezone.now()
    voucher = Voucher.objects.filter(code=code, active=True).first() if code else None
    if voucher is None:
        raise VoucherError(f"There is no voucher {code!r}. Check the spelling.", code="unknown")
    if voucher.valid_from and now < voucher.valid_from:
        raise VoucherError(
            f"Voucher {code} is valid from {timezone.localtime(voucher.valid_from):%d %b %Y, %H:%M}.",
            code="not_yet_valid",
        )
    if voucher.valid_until and now >= voucher.valid_until:
        raise VoucherError(
            f"Voucher {code} expired on {timezone.localtime(voucher.valid_until):%d %b %Y, %H:%M}.", code="expired"
        )
    if subtotal < voucher.minimum_subtotal:
        raise VoucherError(
            f"Voucher {code} needs an order of at least {voucher.minimum_subtotal} {settings.SHOP_CURRENCY} "
            f"(your items come to {subtotal} {settings.SHOP_CURRENCY}).",
            code="minimum_not_met",
        )
    if voucher.usage_limit is not None and voucher.uses >= voucher.usage_limit:
        raise VoucherError(f"Voucher {code} has been used up.", code="used_up")
    if VoucherUse.objects.filter(voucher=voucher, user=user).count() >= voucher.per_customer_limit:
        raise VoucherError(_already_used_message(voucher), code="already_used")
    return voucher


def _already_used_message(voucher: Voucher) -> str:
    times = "once" if voucher.per_customer_limit == 1 else f"{voucher.per_customer_limit} times"
    return f"You have already used voucher {voucher.code} (it can be used {times} per shopper)."


def _take_total_use(voucher: Voucher) -> bool:
    rows = Voucher.objects.filter(pk=voucher.pk)
    if voucher.usage_limit is not None:
        rows = rows.filter(uses__lt=voucher.usage_limit)
    return rows.update(uses=F("uses") + 1) == 1


def _give_back_total_use(voucher_id) -> None:
    Voucher.objects.filter(pk=voucher_id, uses__gt=0).update(uses=F("uses") - 1)


def voucher_claim(*, voucher: Voucher, user) -> VoucherClaim:
    """Take one use of `voucher` for `user`, or raise `VoucherError` (used_up / already_used)
    having taken nothing."""
    if not _take_total_use(voucher):
        raise VoucherError(f"Voucher {voucher.code} has been used up.", code="used_up")
    try:
        for slot in range(1, voucher.per_customer_limit + 1):
            try:
                with transaction.atomic():
                    use = VoucherUse.objects.create(voucher=voucher, user=user, slot=slot)
            except IntegrityError:
                continue
            return VoucherClaim(voucher=voucher, use=use)
    except BaseException:
        _give_back_total_use(voucher.pk)
        raise
    _give_back_total_use(voucher.pk)
    raise VoucherError(_already_used_message(voucher), code="already_used")


def voucher_attach(*, claim: VoucherClaim, order: Order) -> None:
    """Record which order holds the use, so cancelling that order can give it back."""
    VoucherUse.objects.filter(pk=claim.use.pk).update(order=order)


def voucher_release(*, claim: VoucherClaim) -> None:
    """Give back a use taken for a checkout that did not produce an order."""
    deleted, _per_model = VoucherUse.objects.filter(pk=claim.use.pk).delete()
    if deleted:
        _give_back_total_use(claim.voucher.pk)


def voucher_release_for_order(*, order: Order) -> int:
    """Give back the uses a cancelled order held (each once: the row is deleted first). Returns how many."""
    given_back = 0
    for use in VoucherUse.objects.filter(order=order):
        deleted, _per_model = VoucherUse.objects.filter(pk=use.pk).delete()
        if deleted:
            _give_back_total_use(use.voucher_id)
            given_back += 1
    return given_back
