"""Short-lived cache of what the catalogue shows every visitor alike: the product list's filters,
cards and pages, and the product page's product, gallery and other garments.

Rendering a listing page costs about thirty times a trivial view (six queries, a dozen cards, the
filter form's widgets), a product page about a hundred (ten queries, the gallery, the category's
other garments), while the same few pages are asked for again and again. A value is kept for
`SHOP_CATALOGUE_CACHE_SECONDS` (default 10) under a key made of the catalogue version and what
it depends on (the request's query string, the product), so what a shopper can see is at most
that old, and usually not even that:

- every model save or delete of a Category, Product, ProductImage, Variant or SizeChartRow
  replaces the catalogue version at once (signals connected in `ShopConfig.ready()`), and so do
  stock changes (`shop.stock`, whose conditional UPDATEs send no signal) and the admin's bulk
  activate/deactivate actions; staff edits and sales show immediately in this process, and in every
  process when the cache is shared (Redis);
- other writes that bypass model signals show when the value expires, and so may a change made
  while a page was being rendered (the render can store under the new version what it read just
  before). Stock is never decided from this cache: the cart and checkout reserve it against the
  database.

Only what is the same for every visitor is cached here: no user, cart, CSRF token, size advice,
saved photo or message ever goes into a cached value (the views render those per request).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save
from django.http import QueryDict

DEFAULT_CATALOGUE_CACHE_SECONDS = 10
VERSION_KEY = "shop:catalogue:version"
VERSION_TOKEN_BYTES = 8

T = TypeVar("T")

# A view that shows several cached parts puts the catalogue version it read once under this context
# name, so the template's fragments are those of the same catalogue state as the data it renders.
VERSION_CONTEXT_NAME = "catalogue_version"


def catalogue_cache_seconds() -> int:
    return int(getattr(settings, "SHOP_CATALOGUE_CACHE_SECONDS", DEFAULT_CATALOGUE_CACHE_SECONDS))


def catalogue_version() -> str:
    """The current catalogue version: a random token, replaced whenever the catalogue changes.

    Random rather than counted, so a version key that was evicted or lost with a restarted cache
    can never bring back fragments stored under an older version with the same number.
    """
    version = cache.get(VERSION_KEY)
    if version is None:
        version = secrets.token_hex(VERSION_TOKEN_BYTES)
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY, version)
    return version


def invalidate_catalogue(**_signal_arguments: Any) -> None:
    """Make every cached catalogue fragment stale (usable directly or as a signal receiver)."""
    cache.set(VERSION_KEY, secrets.token_hex(VERSION_TOKEN_BYTES), timeout=None)


def value_key(*, name: str, key: str, version: str | None = None) -> str:
    """Cache key of value `name` for `key` (what it depends on) at `version` (default: the current
    catalogue version). Short, as every cache call checks each character of its key."""
    digest = hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
    return f"cat:{name}:{version or catalogue_version()}:{digest}"


def cached_value(*, name: str, key: str, compute: Callable[[], T], version: str | None = None) -> T:
    """Value `name` for `key` from the cache, else `compute()`'s, stored for next time.

    The value must be the same for every visitor and picklable. None is never stored (a product
    that does not exist is looked up again). A cache time of 0 turns caching off. A page made of
    several values passes the `version` it read once, so they all come from one catalogue state.
    """
    seconds = catalogue_cache_seconds()
    if seconds <= 0:
        return compute()
    cache_key = value_key(name=name, key=key, version=version)
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        if value is not None:
            cache.set(cache_key, value, timeout=seconds)
    return value


def _canonical_query(query: QueryDict) -> str:
    """The GET parameters in one order, whatever order they came in."""
    return "&".join(f"{parameter}={value}" for parameter in sorted(query) for value in sorted(query.getlist(parameter)))


def cached_fragment(*, name: str, query: QueryDict, render: Callable[[], dict[str, str]]) -> dict[str, str]:
    """The fragment for these GET parameters from the cache, else `render()`'s, stored for next time.

    `render` returns a dict of strings (for instance a page title and body).
    """
    return cached_value(name=name, key=_canonical_query(query), compute=render)


def connect_invalidation() -> None:
    """Replace the catalogue version on every catalogue model write, and whenever a test changes
    settings (media URLs, currency and page size are part of a rendered fragment)."""
    from shop.models import Category, Product, ProductImage, SizeChartRow, Variant

    for model in (Category, Product, ProductImage, SizeChartRow, Variant):
        for signal in (post_save, post_delete):
            signal.connect(invalidate_catalogue, sender=model, dispatch_uid=f"shop.catalogue_cache.{model.__name__}")
    setting_changed.connect(invalidate_catalogue, dispatch_uid="shop.catalogue_cache.settings")
