"""Short-lived cache of rendered catalogue fragments (the product list's filters, cards and pages).

Rendering a listing page costs about thirty times a trivial view (six queries, a dozen cards, the
filter form's widgets), while the same few pages are asked for again and again. A fragment is kept
for `SHOP_CATALOGUE_CACHE_SECONDS` (default 10) under a key made of the catalogue version and the
request's query string, so what a shopper can see is at most that old:

- every model save or delete of a Category, Product, ProductImage or Variant replaces the catalogue
  version at once (signals connected in `ShopConfig.ready()`), so staff edits show immediately in
  this process, and in every process when the cache is shared (Redis);
- writes that bypass model signals (stock changes by conditional UPDATE, CSV stock imports, bulk
  admin actions) show when the fragment expires. Stock is never decided from this cache: the
  product page, the cart and checkout read it from the database.

Only pages that are the same for every visitor are cached here: no user, cart, CSRF token or
message ever goes into a fragment.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save
from django.http import QueryDict

DEFAULT_CATALOGUE_CACHE_SECONDS = 10
VERSION_KEY = "shop:catalogue:version"
VERSION_TOKEN_BYTES = 8


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


def fragment_key(*, name: str, query: QueryDict) -> str:
    """Cache key of fragment `name` for these GET parameters, in any order, at the current version."""
    canonical = "&".join(
        f"{parameter}={value}" for parameter in sorted(query) for value in sorted(query.getlist(parameter))
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    return f"shop:catalogue:{name}:{catalogue_version()}:{digest}"


def cached_fragment(*, name: str, query: QueryDict, render: Callable[[], dict[str, str]]) -> dict[str, str]:
    """The fragment for these parameters from the cache, else `render()`'s, stored for next time.

    `render` returns a dict of strings (for instance a page title and body). A cache time of 0
    turns caching off.
    """
    seconds = catalogue_cache_seconds()
    if seconds <= 0:
        return render()
    key = fragment_key(name=name, query=query)
    fragment = cache.get(key)
    if fragment is None:
        fragment = render()
        cache.set(key, fragment, timeout=seconds)
    return fragment


def connect_invalidation() -> None:
    """Replace the catalogue version on every catalogue model write, and whenever a test changes
    settings (media URLs, currency and page size are part of a rendered fragment)."""
    from shop.models import Category, Product, ProductImage, Variant

    for model in (Category, Product, ProductImage, Variant):
        for signal in (post_save, post_delete):
            signal.connect(invalidate_catalogue, sender=model, dispatch_uid=f"shop.catalogue_cache.{model.__name__}")
    setting_changed.connect(invalidate_catalogue, dispatch_uid="shop.catalogue_cache.settings")
