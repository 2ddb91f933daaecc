"""`manage.py check` says when card payments are off; `check --deploy` refuses Stripe test keys on
a site with DEBUG off unless told it is a staging site."""

from __future__ import annotations

from django.core import checks

from shop.checks import card_payment_keys_are_live, card_payment_settings


def _ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_without_keys_check_says_card_payments_are_off(settings):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_PUBLISHABLE_KEY = ""

    messages = card_payment_settings()

    assert _ids(messages) == ["shop.I001"]
    assert messages[0].level == checks.INFO
    assert "pay on delivery only" in messages[0].msg


def test_one_key_alone_or_no_webhook_secret_is_warned_about(settings):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY = "sk_live_x", ""
    assert _ids(card_payment_settings()) == ["shop.W001"]

    settings.STRIPE_PUBLISHABLE_KEY, settings.STRIPE_WEBHOOK_SECRET = "pk_live_x", ""
    assert _ids(card_payment_settings()) == ["shop.W002"]

    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    assert card_payment_settings() == []


def test_deploy_check_refuses_test_keys_with_debug_off_unless_allowed(settings):
    settings.DEBUG = False
    settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY = "sk_test_x", "pk_test_x"
    settings.STRIPE_ALLOW_TEST_KEYS = False

    refused = card_payment_keys_are_live()

    assert _ids(refused) == ["shop.E001"]
    assert "STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY is a Stripe test key" in refused[0].msg
    settings.STRIPE_ALLOW_TEST_KEYS = True
    assert card_payment_keys_are_live() == []
    settings.STRIPE_ALLOW_TEST_KEYS = False
    settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY = "sk_live_x", "pk_live_x"
    assert card_payment_keys_are_live() == []


def test_deploy_check_is_registered_as_a_deploy_check():
    assert card_payment_keys_are_live in checks.registry.registry.get_checks(include_deployment_checks=True)
    assert card_payment_keys_are_live not in checks.registry.registry.get_checks(include_deployment_checks=False)
