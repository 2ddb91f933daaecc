"""Delete shoppers' photos and try-on results older than the retention period."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tryon.services import purge_tryon_data


class Command(BaseCommand):
    help = "Delete try-on photos and results older than --older-than DAYS (default REVETIR_TRYON_RETENTION_DAYS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=settings.TRYON_RETENTION_DAYS,
            metavar="DAYS",
            help=f"Age in days (default {settings.TRYON_RETENTION_DAYS}).",
        )

    def handle(self, *args: object, older_than: int, **options: object) -> None:
        if older_than < 0:
            raise CommandError(f"--older-than must be 0 or more days, got {older_than}.")
        photos, jobs = purge_tryon_data(older_than_days=older_than)
        self.stdout.write(f"Deleted {photos} photos and {jobs} try-on jobs older than {older_than} days.")
