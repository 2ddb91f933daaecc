"""A throwaway Revetir site for the HTTP and websocket benchmarks.

`BenchSite` makes a temporary folder holding a fresh SQLite database, media, private media and
collected static files; it configures Django in the calling process against them (so the bench can
seed and create users with the ORM), and `serve()` starts one Daphne process on a free loopback
port with DEBUG off, exactly as a production process would run apart from plain HTTP.

The Daphne process uses `bench.site_settings`: the project settings unchanged except for a URLconf
that adds one trivial view (`/bench/trivial/`) in front of the site's routes, the baseline the
page figures are compared against. `serve(bare=True)` starts another Daphne serving that view
through bare Django (`bench.bare_settings`), the baseline the middleware is compared against.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DAPHNE = Path(sys.executable).parent / "daphne"
SETTINGS_MODULE = "bench.site_settings"
SITE_APPLICATION = "revetir.asgi:application"
# Bare Django (no apps, no middleware, no database) serving only the trivial view.
BARE_SETTINGS_MODULE = "bench.bare_settings"
BARE_APPLICATION = "bench.bare_asgi:application"
TRIVIAL_PATH = "/bench/trivial/"
SERVER_START_TIMEOUT_S = 60
SERVER_STOP_TIMEOUT_S = 10
BULK_BATCH = 500


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RunningServer:
    port: int
    process: subprocess.Popen

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class BenchSite:
    """Temporary site: `with BenchSite(...) as site:` sets up Django here; `site.serve()` runs Daphne."""

    def __init__(self, *, redis_url: str = "", keep: bool = False, background_tryon_work: bool = True) -> None:
        self.redis_url = redis_url
        self.keep = keep
        self.background_tryon_work = background_tryon_work
        self.root = Path(tempfile.mkdtemp(prefix="revetir-bench-"))
        self.env = self._environment()

    def _environment(self) -> dict[str, str]:
        env = {
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "PYTHONPATH": str(PROJECT_ROOT),
            "REVETIR_DEBUG": "0",
            "REVETIR_SECRET_KEY": secrets.token_urlsafe(50),
            "REVETIR_ALLOWED_HOSTS": "127.0.0.1",
            # Plain HTTP on loopback: no HTTPS redirect, no secure-only cookies, no HSTS.
            "REVETIR_SECURE_SSL_REDIRECT": "0",
            "REVETIR_SESSION_COOKIE_SECURE": "0",
            "REVETIR_CSRF_COOKIE_SECURE": "0",
            "REVETIR_HSTS_SECONDS": "0",
            "REVETIR_SQLITE_PATH": str(self.root / "db.sqlite3"),
            "REVETIR_MEDIA_ROOT": str(self.root / "media"),
            "REVETIR_PRIVATE_MEDIA_ROOT": str(self.root / "private"),
            "REVETIR_STATIC_ROOT": str(self.root / "static"),
            "REVETIR_LOG_LEVEL": "WARNING",
            "REVETIR_DEMO_SHOPPER_PASSWORD": secrets.token_urlsafe(12),
            "REVETIR_DEMO_STAFF_PASSWORD": secrets.token_urlsafe(12),
            "REVETIR_REDIS_URL": self.redis_url,
            # Off for page benchmarks: the in-process try-on worker would otherwise load the engine
            # during the first rounds and then spend the whole run preparing the garment side of
            # every copied product (up to 500 queued at start, a third of a core; bench/README.md).
            "REVETIR_TRYON_WARM_UP": "1" if self.background_tryon_work else "0",
            "REVETIR_TRYON_PREPARE_IN_BACKGROUND": "1" if self.background_tryon_work else "0",
        }
        if "REVETIR_MONGODB_URI" in os.environ:
            raise SystemExit("Unset REVETIR_MONGODB_URI: the benchmarks run on their own temporary SQLite database.")
        return env

    def __enter__(self) -> BenchSite:
        os.environ.update(self.env)
        sys.path.insert(0, str(PROJECT_ROOT))
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.keep:
            print(f"kept the bench site in {self.root}", file=sys.stderr)
            return
        shutil.rmtree(self.root, ignore_errors=True)

    @contextlib.contextmanager
    def serve(self, *, bare: bool = False) -> Iterator[RunningServer]:
        """One Daphne process on a free port of 127.0.0.1, stopped (and waited for) on exit: the
        site, or with `bare` Django with nothing of the project but the trivial view."""
        port = free_loopback_port()
        log_path = self.root / ("daphne-bare.log" if bare else "daphne.log")
        env = {**os.environ, **self.env}
        if bare:
            env["DJANGO_SETTINGS_MODULE"] = BARE_SETTINGS_MODULE
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), BARE_APPLICATION if bare else SITE_APPLICATION],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = RunningServer(port=port, process=process)
        try:
            _wait_until_answering(server, log_path)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=SERVER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_answering(server: RunningServer, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"Daphne exited with {server.process.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(server.base_url + TRIVIAL_PATH, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"Daphne did not answer within {SERVER_START_TIMEOUT_S} s:\n{log_path.read_text()[-4000:]}")


def seed_catalogue(*, product_count: int) -> int:
    """The demo shop, scaled up to `product_count` active products; returns how many there are.

    The extra products copy the demo garments in turn (category, price, description, stock pattern)
    and point at the demo garments' generated pictures instead of drawing new ones.
    """
    from shop.demo import DEMO_GARMENTS, STOCK_PATTERNS, seed_demo
    from shop.models import Product, ProductImage, Size, Variant

    seed_demo(credentials_path=Path(os.environ["REVETIR_MEDIA_ROOT"]).parent / "demo_credentials.json")
    originals = {product.slug: product for product in Product.objects.all()}
    primary_images = {image.product_id: image for image in ProductImage.objects.filter(is_primary=True)}
    missing = product_count - len(originals)
    copies: list[Product] = []
    for number in range(missing):
        garment = DEMO_GARMENTS[number % len(DEMO_GARMENTS)]
        original = originals[garment.slug]
        copies.append(
            Product(
                category_id=original.category_id,
                name=f"{garment.name} No. {number + 2}",
                slug=f"{garment.slug}-no-{number + 2}",
                description=garment.description,
                price=Decimal(garment.price) + Decimal(number % 7),
                garment_type=original.garment_type,
            )
        )
    Product.objects.bulk_create(copies, batch_size=BULK_BATCH)
    copies = list(Product.objects.filter(slug__in=[copy.slug for copy in copies]).order_by("id"))
    variants: list[Variant] = []
    images: list[ProductImage] = []
    for number, copy in enumerate(copies):
        garment = DEMO_GARMENTS[number % len(DEMO_GARMENTS)]
        original_image = primary_images[originals[garment.slug].pk]
        pattern = STOCK_PATTERNS[number % len(STOCK_PATTERNS)]
        for size, stock in zip(Size.values, pattern, strict=True):
            variants.append(Variant(product=copy, size=size, sku=f"RV-BENCH-{copy.pk}-{size}", stock=stock))
        images.append(
            ProductImage(
                product=copy, image=original_image.image.name, alt_text=original_image.alt_text, is_primary=True
            )
        )
    Variant.objects.bulk_create(variants, batch_size=BULK_BATCH)
    ProductImage.objects.bulk_create(images, batch_size=BULK_BATCH)
    return Product.objects.filter(is_active=True).count()


def create_signed_in_users(count: int) -> list[tuple[int, str]]:
    """`count` users, each with a stored session that signs them in: [(user id, session key)]."""
    from datetime import timedelta

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from accounts.models import User

    password = make_password(get_random_string(20))  # hashed once: the bench never logs in by password
    User.objects.bulk_create(
        [User(email=f"shopper{number}@bench.example", password=password) for number in range(count)]
    )
    users = list(User.objects.filter(email__endswith="@bench.example").order_by("pk"))
    store = SessionStore()
    expiry = timezone.now() + timedelta(days=1)
    sessions = []
    for user in users:
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        sessions.append(Session(session_key=key, session_data=store.encode(data), expire_date=expiry))
    Session.objects.bulk_create(sessions, batch_size=500)
    return [(user.pk, session.session_key) for user, session in zip(users, sessions, strict=True)]
