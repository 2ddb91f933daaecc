"""Reads for accounts."""

from __future__ import annotations

from accounts.models import BodyProfile, User


def body_profile_for(*, user: User) -> BodyProfile | None:
    """The shopper's size-finder profile, or None for a visitor or a shopper who has not entered one."""
    if user is None or not user.is_authenticated:
        return None
    return BodyProfile.objects.filter(user=user).first()
