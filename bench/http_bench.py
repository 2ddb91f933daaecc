"""Storefront throughput on one Daphne process: product list, product page and a trivial view.

    .venv/bin/python bench/http_bench.py [--products 1000] [--seconds 5] [--rounds 3] [--connections 16]

Builds a temporary site (fresh SQLite database, demo catalogue scaled up to --products products,
DEBUG off, static files collected for whitenoise), starts one Daphne process on a free port of
127.0.0.1 and loads it with an asyncio HTTP/1.1 keep-alive client in this process (no extra
tools to install). A second Daphne process serves the same trivial view through bare Django (no
apps, no middleware, no database: `bench.bare_settings`). The list page (anonymous, and signed in
with a cart), the product page (anonymous, and signed in with a body profile and a cart), the
trivial view and the bare trivial view take turns for --rounds rounds of --seconds each, so a
neighbour's load on a shared machine hits all of them alike; the figure for each page is its
median over the rounds. Prints JSON with requests/s per page, each page's ratio to the trivial
view (a plain "ok" through the project's middleware) and what the middleware costs against bare
Django, all measured in the same run. Goals: list/trivial >= 0.5, product/trivial >= 0.4 (issue
#22), bare/trivial <= 1.3. Every response must be a 200 with a body, or the run fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import TRIVIAL_PATH, BenchSite, create_signed_in_users, seed_catalogue

WARM_UP_REQUESTS = 50
LIST_RATIO_GOAL = 0.5
PRODUCT_RATIO_GOAL = 0.4
# The middleware stack may cost at most this much more than bare Django (trivial view, requests/s).
MIDDLEWARE_COST_GOAL = 1.3


class BadResponse(RuntimeError):
    pass


async def read_response(reader: asyncio.StreamReader) -> tuple[int, int]:
    """(status, body length) of one HTTP/1.1 response; the body is read and dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if b":" in line:
            name, value = line.split(b":", 1)
            headers[name.strip().lower()] = value.strip()
    if b"content-length" in headers:
        length = int(headers[b"content-length"])
        await reader.readexactly(length)
        return status, length
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        total = 0
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            await reader.readexactly(size + 2)
            total += size
            if size == 0:
                return status, total
    raise BadResponse(f"response without Content-Length or chunked body: {head[:200]!r}")


@dataclass(frozen=True)
class Target:
    path: str
    session_key: str = ""  # sent as the session cookie (a signed-in shopper) when set
    bare: bool = False  # served by the bare Django process rather than the site
    # The CSRF cookie a browser holds after its first page of the shop and sends with every request.
    # Without one each page that carries a form mints a new secret (os.urandom) and sets the cookie
    # again, which no browser makes the site do twice.
    csrf_cookie: str = ""

    def request(self, port: int) -> bytes:
        cookies = [f"sessionid={self.session_key}"] * bool(self.session_key)
        cookies += [f"csrftoken={self.csrf_cookie}"] * bool(self.csrf_cookie)
        cookie = f"Cookie: {'; '.join(cookies)}\r\n" if cookies else ""
        return f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/html\r\n{cookie}\r\n".encode()


def browser_csrf_cookie() -> str:
    """A CSRF cookie value of the form the site sets (32 letters and digits)."""
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.utils.crypto import get_random_string

    return get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS)


async def hammer(port: int, target: Target, *, connections: int, seconds: float) -> dict:
    """Requests/s for `target` over `connections` keep-alive connections during `seconds`."""
    request = target.request(port)
    completed = 0
    body_bytes = 0
    deadline = 0.0

    async def one_connection() -> None:
        nonlocal completed, body_bytes
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**22)
        try:
            while time.perf_counter() < deadline:
                writer.write(request)
                status, length = await read_response(reader)
                if status != 200 or length == 0:
                    raise BadResponse(f"GET {target.path} answered {status} with {length} bytes")
                completed += 1
                body_bytes += length
        finally:
            writer.close()

    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return {"requests": completed, "seconds": elapsed, "mean_body_bytes": body_bytes // max(completed, 1)}


async def warm_up(ports: dict[bool, int], targets: dict[str, Target]) -> None:
    for target in targets.values():
        port = ports[target.bare]
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**22)
        try:
            for _ in range(WARM_UP_REQUESTS):
                writer.write(target.request(port))
                status, _length = await read_response(reader)
                if status != 200:
                    raise BadResponse(f"GET {target.path} answered {status} during warm-up")
        finally:
            writer.close()


def signed_in_shopper_with_a_cart() -> str:
    """Session key of a signed-in shopper with a body profile (the product page recommends a size)
    and two lines in the cart (the header shows a badge)."""
    from accounts.models import BodyProfile
    from shop.models import Cart, CartLine, Variant

    [(user_id, session_key)] = create_signed_in_users(1)
    BodyProfile.objects.create(user_id=user_id, height_cm=172, weight_kg=68)
    cart = Cart.objects.create(user_id=user_id)
    for variant in Variant.objects.filter(stock__gt=0).order_by("pk")[:2]:
        CartLine.objects.create(cart=cart, variant=variant, quantity=1)
    return session_key


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one measuring round per page")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--keep", action="store_true", help="keep the temporary site folder for inspection")
    args = parser.parse_args()

    with BenchSite(keep=args.keep, background_tryon_work=False) as site:
        product_count = seed_catalogue(product_count=args.products)
        from shop.models import Product

        product_slug = Product.objects.filter(is_active=True).order_by("-created_at", "-id").first().slug
        shopper_session = signed_in_shopper_with_a_cart()
        csrf = browser_csrf_cookie()
        targets = {
            "trivial": Target(TRIVIAL_PATH, csrf_cookie=csrf),
            "trivial_bare_django": Target(TRIVIAL_PATH, bare=True, csrf_cookie=csrf),
            "product_list": Target("/", csrf_cookie=csrf),
            "product_page": Target(f"/products/{product_slug}/", csrf_cookie=csrf),
            # Signed-in pages: session, user, cart badge (and on the product page the size finder,
            # saved photos and "See it on me") add queries.
            "product_list_signed_in": Target("/", session_key=shopper_session, csrf_cookie=csrf),
            "product_page_signed_in": Target(
                f"/products/{product_slug}/", session_key=shopper_session, csrf_cookie=csrf
            ),
        }
        rates: dict[str, list[float]] = {name: [] for name in targets}
        body_bytes: dict[str, int] = {}
        with site.serve() as server, site.serve(bare=True) as bare_server:
            ports = {False: server.port, True: bare_server.port}
            asyncio.run(warm_up(ports, targets))
            for _ in range(args.rounds):
                for name, target in targets.items():
                    result = asyncio.run(
                        hammer(ports[target.bare], target, connections=args.connections, seconds=args.seconds)
                    )
                    rates[name].append(result["requests"] / result["seconds"])
                    body_bytes[name] = result["mean_body_bytes"]

    median = {name: statistics.median(values) for name, values in rates.items()}
    list_ratio = median["product_list"] / median["trivial"]
    product_ratio = median["product_page"] / median["trivial"]
    middleware_cost = median["trivial_bare_django"] / median["trivial"]
    report = {
        "benchmark": "http",
        "server": "one Daphne process, DEBUG off, SQLite (and one serving bare Django)",
        "products": product_count,
        "connections": args.connections,
        "rounds": args.rounds,
        "seconds_per_round": args.seconds,
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "requests_per_second": {name: round(value, 1) for name, value in median.items()},
        "requests_per_second_each_round": {name: [round(v, 1) for v in values] for name, values in rates.items()},
        "body_bytes": body_bytes,
        "ratio_list_to_trivial": round(list_ratio, 3),
        "ratio_product_to_trivial": round(product_ratio, 3),
        "ratio_list_signed_in_to_trivial": round(median["product_list_signed_in"] / median["trivial"], 3),
        "ratio_product_signed_in_to_trivial": round(median["product_page_signed_in"] / median["trivial"], 3),
        "middleware_cost_bare_to_trivial": round(middleware_cost, 3),
        "goal_ratio_list_to_trivial": LIST_RATIO_GOAL,
        "goal_ratio_product_to_trivial": PRODUCT_RATIO_GOAL,
        "goal_middleware_cost": MIDDLEWARE_COST_GOAL,
        "goal_met": list_ratio >= LIST_RATIO_GOAL
        and product_ratio >= PRODUCT_RATIO_GOAL
        and middleware_cost <= MIDDLEWARE_COST_GOAL,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
