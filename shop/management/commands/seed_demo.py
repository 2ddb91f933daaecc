"""`python manage.py seed_demo`: fill an empty shop with demo products and accounts; safe to repeat."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from shop.demo import DEMO_VOUCHER_CODE, SHOPPER_PASSWORD_ENV, STAFF_PASSWORD_ENV, seed_demo


class Command(BaseCommand):
    help = (
        "Create the demo catalogue (24 tops with generated pictures), a demo shopper and a staff account. "
        "Running it again creates nothing new and prints the same logins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000/",
            help="Where the shop is served, for the closing message (default: %(default)s).",
        )

    def handle(self, *args, base_url: str, **options) -> None:
        report = seed_demo()
        if report.created_anything:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created {report.categories_created} categories, {report.products_created} products, "
                    f"{report.variants_created} sizes, {report.images_created} product pictures, "
                    f"{report.size_chart_rows_created} size chart rows, {report.shipping_methods_created} delivery "
                    f"methods, {report.vouchers_created} voucher and {report.users_created} accounts."
                )
            )
        else:
            self.stdout.write("The demo data is already in place; nothing was changed.")
        self.stdout.write(f"\nOpen the shop at {base_url}")
        self.stdout.write(f"Demo voucher: {DEMO_VOUCHER_CODE} (10% off, once per shopper)")
        self.stdout.write("Demo logins:")
        for login in report.logins:
            role = "staff (admin at /admin/)" if login.is_staff else "shopper"
            self.stdout.write(f"  {role:<25} {login.email}  password: {login.password}")
        if report.credentials_file is not None:
            self.stdout.write(
                f"Generated passwords are kept in {report.credentials_file} (set {SHOPPER_PASSWORD_ENV} / "
                f"{STAFF_PASSWORD_ENV} to choose your own)."
            )
