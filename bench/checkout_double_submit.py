"""A double-submitted checkout against a real Daphne (issue #12, failure 1): how many orders do
10 parallel submits of one cart make?

    .venv/bin/python bench/checkout_double_submit.py [--rounds 3] [--parallel 10]

Starts the throwaway bench site (`bench/_server.py`, DEBUG off, SQLite), signs one shopper in
(session and API token) and, per round, fills their cart with one line of quantity 2 of a fresh
size with 20 in stock, then sends the submits at once: `POST /api/orders/` (token, no
Idempotency-Key header: a client retrying blindly), and `POST /checkout/place/` (session, the
review page's form as the browser holds it). Prints JSON: per round and route, the orders made,
the stock left and the status codes. Counts, not timings: the goal is one order per round.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench._server import BenchSite, create_signed_in_users  # noqa: E402

STOCK = 20
QUANTITY = 2
HTTP_TIMEOUT_S = 60
ADDRESS = {
    "full_name": "Bench Shopper",
    "address_line1": "1 Bench Road",
    "city": "Lyon",
    "postal_code": "69001",
    "country": "FR",
}
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HIDDEN_FIELDS = re.compile(r'name="(csrfmiddlewaretoken|idempotency_key)" value="([^"]+)"')


def fresh_cart(user_id: int, round_number: int) -> int:
    """The shopper's cart holding one line (quantity 2) of a new size with STOCK units; its id."""
    from shop.models import Cart, CartLine, Category, Product, Variant

    category, _created = Category.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    product = Product.objects.create(
        category=category, name=f"Bench shirt {round_number}", slug=f"bench-shirt-{round_number}", price="20.00"
    )
    variant = Variant.objects.create(product=product, size="M", sku=f"RV-DOUBLE-{product.pk}", stock=STOCK)
    cart, _created = Cart.objects.get_or_create(user_id=user_id)
    CartLine.objects.create(cart=cart, variant=variant, quantity=QUANTITY)
    return variant.pk


def outcome(user_id: int, variant_id: int, statuses: list[int]) -> dict:
    from shop.models import OrderLine, Variant

    return {
        "orders": OrderLine.objects.filter(order__user_id=user_id, variant_id=variant_id).count(),
        "stock_left": Variant.objects.get(pk=variant_id).stock,
        "statuses": dict(sorted(Counter(statuses).items())),
    }


def in_parallel(count: int, submit) -> list[int]:
    start = threading.Barrier(count)

    def one(_index: int) -> int:
        start.wait()
        return submit().status_code

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def page_form(base_url: str, cookies: dict[str, str]) -> dict[str, str]:
    """Fill in the address step and return the review page's form fields, as a browser would."""
    browser = requests.Session()
    browser.cookies.update(cookies)
    address_page = browser.get(f"{base_url}/checkout/", timeout=HTTP_TIMEOUT_S)
    token = CSRF_FIELD.search(address_page.text).group(1)
    browser.post(
        f"{base_url}/checkout/",
        data={"csrfmiddlewaretoken": token, **ADDRESS},
        headers={"Referer": f"{base_url}/checkout/"},
        timeout=HTTP_TIMEOUT_S,
    )
    review = browser.get(f"{base_url}/checkout/review/", timeout=HTTP_TIMEOUT_S)
    cookies.update(browser.cookies.get_dict())
    return {**dict(HIDDEN_FIELDS.findall(review.text)), "payment_method": "pay_on_delivery"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=10)
    args = parser.parse_args()
    results = []
    with BenchSite() as site:
        from rest_framework.authtoken.models import Token

        [(user_id, session_key)] = create_signed_in_users(1)
        token = Token.objects.create(user_id=user_id).key
        with site.serve() as server:
            base_url = server.base_url
            for round_number in range(1, args.rounds + 1):
                variant_id = fresh_cart(user_id, round_number)
                statuses = in_parallel(
                    args.parallel,
                    lambda: requests.post(
                        f"{base_url}/api/orders/",
                        json=ADDRESS,
                        headers={"Authorization": f"Token {token}"},
                        timeout=HTTP_TIMEOUT_S,
                    ),
                )
                results.append(
                    {"round": round_number, "route": "POST /api/orders/", **outcome(user_id, variant_id, statuses)}
                )

                variant_id = fresh_cart(user_id, args.rounds + round_number)
                cookies = {"sessionid": session_key}
                form = page_form(base_url, cookies)
                statuses = in_parallel(
                    args.parallel,
                    lambda form=form, cookies=cookies: requests.post(
                        f"{base_url}/checkout/place/",
                        data=form,
                        cookies=cookies,
                        headers={"Referer": f"{base_url}/checkout/review/"},
                        allow_redirects=False,
                        timeout=HTTP_TIMEOUT_S,
                    ),
                )
                results.append(
                    {
                        "round": round_number,
                        "route": "POST /checkout/place/",
                        "form_has_idempotency_key": "idempotency_key" in form,
                        **outcome(user_id, variant_id, statuses),
                    }
                )
    print(json.dumps({"parallel": args.parallel, "stock": STOCK, "quantity": QUANTITY, "results": results}, indent=2))


if __name__ == "__main__":
    main()
