"""Shared fixtures. The try-on reference data is read from ../shared/reference (CI has the same layout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from revetir.testing.shared_folders import PROJECT_ROOT, REFERENCE_DIR
from tests.localstripe_server import NOWHERE, PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET, LocalStripe

__all__ = ["PROJECT_ROOT", "REFERENCE_DIR"]


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not (REFERENCE_DIR / "README.md").is_file():
        pytest.skip(f"try-on reference data not found at {REFERENCE_DIR} (expected ../shared/reference)")
    return REFERENCE_DIR


@pytest.fixture(autouse=True)
def _no_background_preparation(settings):
    """Saved photos and product images are not prepared by a background worker in tests, and no
    connection starts the worker: a test that needs a prepared side calls `tryon.preparations`
    itself, so nothing runs behind its back."""
    settings.TRYON_PREPARE_IN_BACKGROUND = False
    settings.TRYON_WARM_UP = False


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Every test writes media into its own temporary folders, never into data/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    storages = dict(settings.STORAGES)
    storages["private"] = {**storages["private"], "OPTIONS": {"location": tmp_path / "private", "base_url": None}}
    settings.STORAGES = storages


@pytest.fixture(autouse=True)
def _static_files_without_manifest(settings):
    """Pages link the plain static names, as `revetir.static_files` itself does (with one logged error
    per file) when the manifest is missing: tests run with DEBUG off but without `collectstatic`, so
    otherwise every run logs "linked unhashed" for each file a page links. The manifest storage is
    tested where it is collected, in tests/revetir/test_static_deploy.py."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    """localstripe on a free port for the whole test session, stopped at its end."""
    server = LocalStripe(tmp_path_factory.mktemp("localstripe"))
    server.start()
    server.send_webhooks_to(NOWHERE)
    yield server
    server.stop()


@pytest.fixture
def stripe_test_mode(settings, localstripe):
    """The shop takes cards, through localstripe, with test keys and a webhook secret."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe.url
    settings.STRIPE_JS_URL = f"{localstripe.url}/js.stripe.com/v3/"
    settings.SHOP_PAYMENT_PROVIDERS = ["shop.payments.PayOnDelivery", "shop.payments.StripeCard"]
    yield localstripe
    localstripe.send_webhooks_to(NOWHERE)
