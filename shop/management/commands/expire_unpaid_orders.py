"""Settle card orders whose payment hold has run out (run it every few minutes from cron or a
scheduler): each is marked paid if Stripe has the money after all, or else cancelled, which puts
its stock and voucher use back and cancels its PaymentIntent."""

from django.core.management.base import BaseCommand

from shop.services.payments import payments_expire_overdue


class Command(BaseCommand):
    help = "Settle card orders whose payment hold (REVETIR_PAYMENT_HOLD_MINUTES) has run out."

    def handle(self, *args, **options) -> None:
        count = payments_expire_overdue()
        self.stdout.write(f"{count} overdue card order(s) settled.")
