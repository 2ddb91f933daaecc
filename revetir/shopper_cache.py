"""What a signed-in shopper's every page reads about them (the cart badge, the saved photos), kept in
the cache per user so that a page does not read it from the database again.

Those reads were most of what a signed-in product page costs over an anonymous one (#22, three
queries' worth of ORM work and, under Daphne, of waiting for the GIL after each query). A value is
stored under the user's current version token, a random string kept at its own key, and every
write of something a value is made from replaces the token (`forget_shopper_values`):

- the writers call it after their write (and it acts again when their transaction commits), so a
  page that read the old rows stores them under the old token, which no page reads again;
- model signals call it for every save and delete (`shop.apps`, `tryon.apps`), which covers the
  admin and cascades; the cart's conditional UPDATEs, which send no signal, call it in
  `shop.services.cart`;
- a new user replaces the token too, so an id that a deleted user had (SQLite reuses the largest
  id) never finds that user's values.

A value lives `SHOPPER_CACHE_SECONDS` (default 300; 0 turns the cache off), a bound on anything
missed. Values are only ever read back for the user whose id is in the key: nothing here is shared
between shoppers. With several processes the cache must be shared (Redis, as settings arrange when
REVETIR_REDIS_URL is set), as it must for the cached sessions.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

DEFAULT_SHOPPER_CACHE_SECONDS = 300
VERSION_TOKEN_BYTES = 8

T = TypeVar("T")


def shopper_cache_seconds() -> int:
    return int(getattr(settings, "SHOPPER_CACHE_SECONDS", DEFAULT_SHOPPER_CACHE_SECONDS))


def _version_key(user_id: object) -> str:
    return f"shopper:{user_id}:version"


def shopper_value(*, user_id: object, name: str, compute: Callable[[], T]) -> T:
    """Value `name` of the user from the cache, else `compute()`'s, stored for the next page.

    The version is read before `compute()` reads the database, so a write that lands in between
    replaces the version this value is stored under."""
    seconds = shopper_cache_seconds()
    if seconds <= 0 or user_id is None:
        return compute()
    version = cache.get(_version_key(user_id))
    if version is None:
        version = secrets.token_hex(VERSION_TOKEN_BYTES)
        if not cache.add(_version_key(user_id), version, timeout=None):
            version = cache.get(_version_key(user_id), version)
    value_key = f"shopper:{user_id}:{name}:{version}"
    found = cache.get(value_key)
    if found is not None:
        return found[0]
    value = compute()
    cache.set(value_key, (value,), timeout=seconds)
    return value


def forget_shopper_values(user_id: object) -> None:
    """Make every value kept for the user stale: now, and again once the current transaction (if
    any) commits, since a page may store what it read before the commit under the new token."""
    if user_id is None:
        return

    def replace_version() -> None:
        cache.set(_version_key(user_id), secrets.token_hex(VERSION_TOKEN_BYTES), timeout=None)

    replace_version()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(replace_version)
