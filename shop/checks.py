"""System checks for card payments: `manage.py check` says when they are off, and
`check --deploy` refuses Stripe test keys on a production site (DEBUG off) unless
REVETIR_STRIPE_ALLOW_TEST_KEYS says it is a staging site."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

TEST_KEY_PREFIXES = ("sk_test_", "pk_test_", "rk_test_")


@checks.register("shop")
def card_payment_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    secret, publishable = settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY
    if not secret and not publishable:
        return [
            checks.Info(
                "Card payments are off: the shop takes pay on delivery only.",
                hint="Set STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET to take cards.",
                id="shop.I001",
            )
        ]
    problems: list[checks.CheckMessage] = []
    if not (secret and publishable):
        missing = "STRIPE_PUBLISHABLE_KEY" if secret else "STRIPE_SECRET_KEY"
        problems.append(
            checks.Warning(f"Card payments are off: {missing} is not set.", hint="Set both keys.", id="shop.W001")
        )
    elif not settings.STRIPE_WEBHOOK_SECRET:
        problems.append(
            checks.Warning(
                "STRIPE_WEBHOOK_SECRET is not set: Stripe's webhook is refused, so payments are learnt only "
                "when shoppers come back from paying or open their orders.",
                hint="Add the endpoint /payments/stripe/webhook/ in Stripe's dashboard and set its signing secret.",
                id="shop.W002",
            )
        )
    return problems


@checks.register("shop", deploy=True)
def card_payment_keys_are_live(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if settings.DEBUG or settings.STRIPE_ALLOW_TEST_KEYS:
        return []
    keys = {"STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY, "STRIPE_PUBLISHABLE_KEY": settings.STRIPE_PUBLISHABLE_KEY}
    test_keys = [name for name, value in keys.items() if value.startswith(TEST_KEY_PREFIXES)]
    if not test_keys:
        return []
    return [
        checks.Error(
            f"{', '.join(test_keys)} is a Stripe test key on a site with DEBUG off: no real card would be charged.",
            hint="Use the live keys, or set REVETIR_STRIPE_ALLOW_TEST_KEYS=1 for a staging site.",
            id="shop.E001",
        )
    ]
