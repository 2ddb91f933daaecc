"""Writes for accounts: sign-up, profile edits, API tokens and account deletion.

Deletion is the one place that removes a shopper's personal data. Other apps that keep personal
data (try-on photos and results) connect a receiver to `account_deleting`; see `delete_account`.
"""

from __future__ import annotations

import django.dispatch
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import BodyProfile, FitPreference, User
from shop.models import Cart, Order

# Sent with `user=` before anything is removed. A receiver deletes the data its app keeps for that
# user (rows and stored files). Receivers run synchronously; an exception stops the deletion before
# the account row is removed, so the shopper can try again and no data is left orphaned.
account_deleting = django.dispatch.Signal()

# What an anonymised order shows in place of the deleted shopper's details.
DELETED_ACCOUNT_NAME = "Deleted account"
DELETED_ACCOUNT_TEXT = "deleted"


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


def delete_account(*, user: User) -> None:
    """Remove the user and their personal data; orders survive anonymised.

    Order of steps: other apps' data first (via `account_deleting`), then orders, cart, API token and
    finally the user row. There are no transactions on MongoDB, so each step is safe to repeat: if a
    step fails, calling `delete_account` again finishes the job.
    """
    account_deleting.send(sender=User, user=user)
    anonymise_orders(user=user)
    Cart.objects.filter(user=user).delete()
    Token.objects.filter(user=user).delete()
    user.delete()
