"""Reads for accounts: the shopper's address book and size-finder profile (owner-only by construction)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Address, BodyProfile, User
from revetir.object_keys import primary_key_or_none


def body_profile_for(*, user: User) -> BodyProfile | None:
    """The shopper's size-finder profile, or None for a visitor or a shopper who has not entered one."""
    if user is None or not user.is_authenticated:
        return None
    return BodyProfile.objects.filter(user=user).first()


def addresses_for_user(*, user: User) -> QuerySet[Address]:
    """The user's saved addresses: default first, then most recently used."""
    return Address.objects.filter(user=user).order_by("-is_default", "-last_used_at", "-created_at", "-id")


def address_for_user(*, user: User, address_id: object) -> Address | None:
    """One of the user's addresses by an id from a URL or form; another user's id finds nothing."""
    key = primary_key_or_none(Address, address_id)
    if key is None:
        return None
    return Address.objects.filter(user=user, pk=key).first()


def address_to_preselect(*, user: User) -> Address | None:
    """What checkout offers first: the address used last, else the default, else the newest."""
    addresses = list(addresses_for_user(user=user))
    used = [address for address in addresses if address.last_used_at is not None]
    if used:
        return max(used, key=lambda address: address.last_used_at)
    return addresses[0] if addresses else None
