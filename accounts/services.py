"""Writes for accounts: sign-up, profile edits, API tokens and account deletion.

Deletion is the one place that removes a shopper's personal data. Other apps that keep personal
data (try-on photos and results) connect a receiver to `account_deleting`; see `delete_account`.
"""

from __future__ import annotations

from collections.abc import Mapping

import django.dispatch
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import ADDRESS_FIELDS, Address, BodyProfile, FitPreference, User
from shop.models import Cart, Order, OrderStatus
from shop.selectors import orders_in_transit, orders_still_open
from shop.services import InvalidOrderTransition, order_change_status

# Sent with `user=` before anything is removed. A receiver deletes the data its app keeps for that
# user (rows and stored files). Receivers run synchronously; an exception stops the deletion before
# the account row is removed, so the shopper can try again and no data is left orphaned.
account_deleting = django.dispatch.Signal()

# What an anonymised order shows in place of the deleted shopper's details.
DELETED_ACCOUNT_NAME = "Deleted account"
DELETED_ACCOUNT_TEXT = "deleted"


class AccountDeletionRefused(ValidationError):
    """The account cannot be deleted yet (an order is on its way); nothing was changed."""


def normalise_email(email: str) -> str:
    """E-mail addresses are stored lower-cased so log-in and uniqueness ignore case."""
    return get_user_model().objects.normalize_email(email.strip()).lower()


def user_signup(*, email: str, full_name: str, password: str) -> User:
    """Create a shopper account (no staff rights). The password must already be validated."""
    email = normalise_email(email)
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": "An account with this e-mail address already exists."})
    return User.objects.create_user(email=email, password=password, full_name=full_name.strip())


def user_update_profile(*, user: User, email: str, full_name: str) -> User:
    """Change the name and e-mail address a shopper signs in and is contacted with."""
    email = normalise_email(email)
    if User.objects.filter(email=email).exclude(pk=user.pk).exists():
        raise ValidationError({"email": "Another account already uses this e-mail address."})
    user.email = email
    user.full_name = full_name.strip()
    user.save(update_fields=["email", "full_name"])
    return user


def body_profile_save(
    *,
    user: User,
    height_cm: int,
    weight_kg: int,
    fit_preference: str = FitPreference.REGULAR,
    chest_cm: int | None = None,
    waist_cm: int | None = None,
    hips_cm: int | None = None,
) -> BodyProfile:
    """Store the shopper's size-finder profile (created on first save, replaced afterwards).

    Values are checked against the model's bounds first, so an out-of-range height is refused with
    a message naming it and nothing is written. One row per user (unique): an update of the user's
    row, or the insert of a first one; two first saves racing meet the unique key and the loser
    updates the winner's row, so no transaction is needed (MongoDB).
    """
    values = {
        "height_cm": height_cm,
        "weight_kg": weight_kg,
        "fit_preference": fit_preference,
        "chest_cm": chest_cm,
        "waist_cm": waist_cm,
        "hips_cm": hips_cm,
    }
    BodyProfile(user=user, **values).full_clean(exclude=["user"])
    if BodyProfile.objects.filter(user=user).update(**values, updated_at=timezone.now()) == 0:
        try:
            with transaction.atomic():
                return BodyProfile.objects.create(user=user, **values)
        except IntegrityError:
            BodyProfile.objects.filter(user=user).update(**values, updated_at=timezone.now())
    return BodyProfile.objects.get(user=user)


def auth_token_issue(*, user: User) -> Token:
    """The user's API token, created on first request; the same token until it is revoked."""
    token, _created = Token.objects.get_or_create(user=user)
    return token


def auth_token_revoke(*, user: User) -> bool:
    """Delete the user's API token. Returns whether there was one."""
    deleted, _per_model = Token.objects.filter(user=user).delete()
    return deleted > 0


def anonymise_orders(*, user: User) -> int:
    """Strip personal details from the user's orders, keeping lines, totals and status for accounting.

    The country stays (tax reporting needs it); everything that identifies or locates the person goes.
    """
    return Order.objects.filter(user=user).update(
        user=None,
        email="",
        full_name=DELETED_ACCOUNT_NAME,
        address_line1=DELETED_ACCOUNT_TEXT,
        address_line2="",
        city=DELETED_ACCOUNT_TEXT,
        postal_code="",
        phone="",
    )


def _refuse_while_in_transit(user: User) -> None:
    in_transit = [order.number for order in orders_in_transit(user=user)]
    if in_transit:
        raise AccountDeletionRefused(
            f"Order {', '.join(in_transit)} is on its way to you, and the courier needs your address to deliver it "
            "and collect payment. You can delete your account once it has been delivered.",
            code="order_in_transit",
        )


def cancel_open_orders(*, user: User) -> list[Order]:
    """Cancel the user's orders that have not shipped (their stock goes back once, through the
    guarded `order_change_status`). Raises AccountDeletionRefused if one ships meanwhile."""
    cancelled = []
    for order in orders_still_open(user=user):
        try:
            cancelled.append(order_change_status(order=order, new_status=OrderStatus.CANCELLED))
        except InvalidOrderTransition as error:
            order.refresh_from_db()
            if order.status == OrderStatus.CANCELLED:
                continue  # cancelled meanwhile (by staff, or a parallel deletion): its stock is back
            _refuse_while_in_transit(user)
            raise AccountDeletionRefused(" ".join(error.messages), code="order_changed") from error
    return cancelled


def delete_account(*, user: User) -> None:
    """Remove the user and their personal data; orders survive anonymised.

    Refused (AccountDeletionRefused, nothing changed) while an order is shipped but not delivered:
    the courier needs the address. Orders that have not shipped (awaiting payment, paid, placed,
    processing) are cancelled first, a card payment refunded in full, their stock returned, so no
    order is left half alive with its address wiped.

    Order of steps: open orders cancelled, other apps' data (via `account_deleting`), then orders,
    cart, API token and finally the user row. There are no transactions on MongoDB, so each step
    is safe to repeat: if a step fails, calling `delete_account` again finishes the job.
    """
    _refuse_while_in_transit(user)
    cancel_open_orders(user=user)
    account_deleting.send(sender=User, user=user)
    anonymise_orders(user=user)
    Address.objects.filter(user=user).delete()
    Cart.objects.filter(user=user).delete()
    Token.objects.filter(user=user).delete()
    user.delete()


# --- Address book ---------------------------------------------------------------------------------


def _address_values(data: Mapping[str, str]) -> dict[str, str]:
    values = {field: str(data.get(field) or "").strip() for field in ADDRESS_FIELDS}
    values["country"] = values["country"].upper()
    return values


def address_create(*, user: User, data: Mapping[str, str], make_default: bool = False) -> Address:
    """Save an address (already validated by `AddressForm` or the API) to the user's book.

    The first address becomes the default.
    """
    address = Address.objects.create(user=user, **_address_values(data))
    if make_default or not Address.objects.filter(user=user, is_default=True).exists():
        address_set_default(user=user, address=address)
    return address


def address_update(*, address: Address, data: Mapping[str, str]) -> Address:
    """Change an address in place; orders already placed to it keep their own copy."""
    values = _address_values(data)
    Address.objects.filter(pk=address.pk, user_id=address.user_id).update(**values)
    address.refresh_from_db()
    return address


def address_set_default(*, user: User, address: Address) -> Address:
    """Make `address` the user's only default: first the new one is marked, then every other is
    cleared, so there is a default at every moment, even if the second step fails."""
    Address.objects.filter(pk=address.pk, user=user).update(is_default=True)
    Address.objects.filter(user=user, is_default=True).exclude(pk=address.pk).update(is_default=False)
    address.refresh_from_db()
    return address


def address_delete(*, address: Address) -> None:
    """Remove an address; if it was the default, the most recently used remaining one takes over."""
    user_id, was_default = address.user_id, address.is_default
    Address.objects.filter(pk=address.pk, user_id=user_id).delete()
    if not was_default:
        return
    successor = Address.objects.filter(user_id=user_id).order_by("-last_used_at", "-created_at", "-id").first()
    if successor is not None:
        Address.objects.filter(pk=successor.pk).update(is_default=True)
