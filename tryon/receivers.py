"""Reactions to other apps' events; each hands straight to a service."""

from __future__ import annotations

from accounts.models import User
from tryon.services import delete_user_tryon_data


def delete_tryon_data_of_deleted_account(sender: type, *, user: User, **kwargs: object) -> None:
    """Account deletion removes every photo, try-on and stored picture of the shopper."""
    delete_user_tryon_data(user=user)
