"""Run the project on django-mongodb-backend without a MongoDB server and report what it found, as JSON.

Started by tests/revetir/test_mongodb.py in a subprocess with REVETIR_MONGODB_URI set, because the
backend's app configs and ObjectId keys are fixed once Django starts. No server is contacted:
the database and every collection the backend asks for are recorders that keep the MQL and index
specifications the backend built and answer "no documents". `migrate` runs first, so every
migration's operations are translated too. What the backend cannot translate fails while it builds that MQL, so
running the real selectors and the stock and job state changes here proves they compile.
It also tries ObjectIds where requests bring ids (URLs, forms, API, websocket, session) and lists
the places that still assume integers.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace

import django

django.setup()

from bson import ObjectId  # noqa: E402
from django.apps import apps  # noqa: E402
from django.contrib.admin import site as admin_site  # noqa: E402
from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.contrib.sessions.backends.base import SessionBase  # noqa: E402
from django.core import checks  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.db.models import AutoField, prefetch_related_objects  # noqa: E402
from django.http import Http404  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django_mongodb_backend.base import DatabaseWrapper  # noqa: E402
from django_mongodb_backend.fields import ObjectIdAutoField  # noqa: E402

from accounts import selectors as account_selectors  # noqa: E402
from accounts import services as account_services  # noqa: E402
from accounts.models import Address, User  # noqa: E402
from shop import reports as shop_reports  # noqa: E402
from shop import selectors as shop_selectors  # noqa: E402
from shop import services as shop_services  # noqa: E402
from shop import stock, vouchers  # noqa: E402
from shop.admin.catalogue import ProductAdmin  # noqa: E402
from shop.models import Cart, CartLine, Category, Order, OrderStatus, Product, Variant, Voucher  # noqa: E402
from shop.services import cart as shop_cart  # noqa: E402
from tryon import selectors as tryon_selectors  # noqa: E402
from tryon.jobs import dispatch  # noqa: E402
from tryon.jobs import state as tryon_state  # noqa: E402

RECORDED: list[tuple[str, str, object]] = []


class EmptyCursor:
    """An aggregate() cursor with no documents."""

    def __iter__(self):
        return iter(())

    def next(self):
        raise StopIteration


class RecordingCollection:
    """Stands in for a pymongo collection: keeps each command's MQL, finds and changes nothing."""

    def __init__(self, name: str) -> None:
        self.name = name

    def aggregate(self, pipeline, session=None):
        RECORDED.append((self.name, "aggregate", pipeline))
        return EmptyCursor()

    def update_many(self, criteria, pipeline, session=None):
        RECORDED.append((self.name, "update_many", [criteria, pipeline]))
        return SimpleNamespace(matched_count=0)

    def delete_many(self, criteria, session=None):
        RECORDED.append((self.name, "delete_many", criteria))
        return SimpleNamespace(deleted_count=0)

    def insert_many(self, documents, session=None):
        RECORDED.append((self.name, "insert_many", documents))
        return SimpleNamespace(inserted_ids=[ObjectId() for _ in documents])

    def create_indexes(self, index_models, session=None):
        RECORDED.append((self.name, "create_indexes", [index.document for index in index_models]))


class RecordingDatabase:
    """Stands in for the pymongo database that migrations create collections in."""

    def __init__(self) -> None:
        self.collection_names: list[str] = []

    def list_collections(self) -> list[dict]:
        return [{"name": name} for name in self.collection_names]

    def create_collection(self, name: str, **options) -> None:
        RECORDED.append((name, "create_collection", options))
        self.collection_names.append(name)

    def __getitem__(self, name: str) -> RecordingCollection:
        return RecordingCollection(name)


OFFLINE_DATABASE = RecordingDatabase()


class OfflineClient:
    """Stands in for the MongoClient. Django opens a client for `atomic()` (a no-op on this backend)
    but the probe's collections never use it; any other use is recorded as server contact."""

    contacted: list[str] = []

    def __getitem__(self, database_name: str) -> RecordingDatabase:
        return OFFLINE_DATABASE

    def __getattr__(self, attribute: str):
        OfflineClient.contacted.append(attribute)
        raise AssertionError(f"the offline probe must never contact MongoDB (client.{attribute})")


DatabaseWrapper.get_collection = lambda self, name, **kwargs: RecordingCollection(name)
DatabaseWrapper.get_database = lambda self: OFFLINE_DATABASE
DatabaseWrapper.get_new_connection = lambda self, conn_params: OfflineClient()
# Asked once per process when a client opens; a server would answer with its version.
DatabaseWrapper.get_database_version = lambda self: DatabaseWrapper.features_class.minimum_database_version


def migrate() -> dict:
    """`manage.py migrate` on an empty database: every migration's operations must translate to
    collections and indexes. Returns the indexes created, by collection."""
    before = len(RECORDED)
    call_command("migrate", verbosity=0, interactive=False)
    indexes: dict[str, list[dict]] = {}
    for collection, command, documents in RECORDED[before:]:
        if command == "create_indexes":
            indexes.setdefault(collection, []).extend(
                {"name": index["name"], "keys": list(index["key"]), "unique": index.get("unique", False)}
                for index in documents
            )
    return {"collections": sorted(OFFLINE_DATABASE.collection_names), "indexes": indexes}


def system_checks() -> dict:
    """`manage.py check --database default`: Django's and the backend's model checks for MongoDB."""
    messages = checks.run_checks(databases=["default"])
    return {
        "errors": [f"{message.id}: {message.obj}: {message.msg}" for message in messages if message.is_serious()],
        "warnings": sorted({message.id for message in messages if not message.is_serious()}),
        "opened_a_client": connections["default"].connection is not None,
    }


def non_objectid_keys() -> list[str]:
    """Models whose automatic primary key is not an ObjectId (the backend refuses those)."""
    return [
        model._meta.label
        for model in apps.get_models(include_auto_created=True)
        if isinstance(model._meta.pk, AutoField) and not isinstance(model._meta.pk, ObjectIdAutoField)
    ]


class OfflineSession(SessionBase):
    """A visitor's session that starts empty and is never stored (the session store is not under test)."""

    def load(self) -> dict:
        return {}


def anonymous_session() -> SessionBase:
    session = OfflineSession()
    session._session_key = "a" * 32
    return session


def hot_paths() -> dict[str, Callable[[], object]]:
    """The reads and writes a shopper or a worker triggers on every page or job, via the real code."""
    user = User(pk=ObjectId(), email="shopper@example.com")
    product = Product(pk=ObjectId(), slug="linen-shirt", price=Decimal("30.00"))
    variant = Variant(pk=ObjectId(), product=product, size="M", sku="LS-M", stock=3)
    cart = Cart(pk=ObjectId(), user=user)
    line = CartLine(pk=ObjectId(), cart=cart, variant=variant, quantity=1)
    department = Category(pk=ObjectId(), slug="women")
    signed_in = RequestFactory().get("/")
    signed_in.user = user
    anonymous = RequestFactory().get("/")
    anonymous.user = AnonymousUser()
    anonymous.session = anonymous_session()
    staff_request = RequestFactory().get("/admin/shop/product/")
    staff_request.user = User(pk=ObjectId(), email="staff@example.com", is_staff=True, is_superuser=True)

    def catalogue_list(filters: dict) -> Callable[[], None]:
        def run() -> None:
            products = shop_selectors.product_list(filters=filters)
            list(products)
            # Prefetches only run for products found; run them for one as the page would.
            prefetch_related_objects([Product(pk=ObjectId())], *products._prefetch_related_lookups)

        return run

    def expect(
        exception: type[BaseException] | tuple[type[BaseException], ...], call: Callable[[], object]
    ) -> Callable[[], None]:
        def run() -> None:
            try:
                call()
            except exception:
                return

        return run

    def orders_list() -> None:
        orders = shop_selectors.orders_for_user(user=user)
        list(orders)
        prefetch_related_objects([Order(pk=ObjectId())], *orders._prefetch_related_lookups)

    def cart_page() -> None:
        lines = shop_selectors.cart_lines(cart=cart)
        list(lines)
        prefetch_related_objects([line], *lines._prefetch_related_lookups)

    def category_menu() -> None:
        shop_selectors.category_tree()
        prefetch_related_objects([Category(pk=ObjectId())], "children")

    paths: dict[str, Callable[[], object]] = {
        f"catalogue sorted by {sort}": catalogue_list({"sort": sort}) for sort in shop_selectors.PRODUCT_ORDERINGS
    }
    paths |= {
        "catalogue search": catalogue_list({"q": "linen"}),
        "catalogue category": catalogue_list({"category": department}),
        "catalogue size in stock": catalogue_list({"size": "M"}),
        "catalogue price range": catalogue_list({"min_price": Decimal("10"), "max_price": Decimal("50")}),
        "catalogue all filters": catalogue_list(
            {"q": "linen", "category": department, "size": "M", "min_price": Decimal("10"), "sort": "price_desc"}
        ),
        "catalogue page (count and slice)": lambda: shop_selectors.product_page(
            filters={"size": "M", "q": "shirt"}, page_number=2, page_size=12
        ),
        "catalogue second page (slice)": lambda: list(shop_selectors.product_list(filters={"size": "M"})[12:24]),
        "product page": lambda: shop_selectors.product_detail(slug="linen-shirt"),
        "category menu": category_menu,
        "cart of a user": lambda: shop_selectors.cart_for_request(request=signed_in),
        "cart of a session": lambda: shop_selectors.cart_for_request(request=anonymous),
        "cart badge of a user": lambda: shop_selectors.cart_item_count(request=signed_in),
        "cart badge of a session": lambda: shop_selectors.cart_item_count(request=anonymous),
        "cart page": cart_page,
        "cart line lookup": lambda: shop_selectors.cart_line_for_cart(cart=cart, line_id=ObjectId()),
        "cart add (variant lookup)": expect(
            shop_services.CartError,
            lambda: shop_services.cart_add_item(cart=cart, variant_id=ObjectId(), quantity=1),
        ),
        "checkout reads the cart": expect(
            shop_services.CheckoutError,
            lambda: shop_services.place_order(
                user=user,
                cart=cart,
                address={"full_name": "A", "address_line1": "B", "city": "C", "postal_code": "D", "country": "fr"},
                payment_method="pay_on_delivery",
            ),
        ),
        "stock reserve (conditional update)": lambda: stock.reserve_stock(variant_id=ObjectId(), quantity=2),
        "stock release": lambda: stock.release_stock(variant_id=ObjectId(), quantity=2),
        "stock compare-and-set (staff edit)": expect(
            stock.StockChangedMeanwhile,
            lambda: stock.set_stock_if_unchanged(variant_id=ObjectId(), expected=3, new=5),
        ),
        "stock change by units (staff edit)": expect(
            stock.StockWouldGoNegative, lambda: stock.adjust_stock(variant_id=ObjectId(), delta=-2)
        ),
        "checkout repeat by idempotency key": lambda: shop_services.order_for_idempotency_key(user=user, key="k"),
        "account deletion: orders in transit": lambda: list(shop_selectors.orders_in_transit(user=user)),
        "account deletion: open orders": lambda: list(shop_selectors.orders_still_open(user=user)),
        "orders list": orders_list,
        "order page": lambda: shop_selectors.order_for_user(user=user, number="RV-ABC"),
        "order status change": expect(
            (shop_services.InvalidOrderTransition, Order.DoesNotExist),
            lambda: shop_services.order_change_status(
                order=Order(pk=ObjectId(), number="RV-ABC", status=OrderStatus.PLACED),
                new_status=OrderStatus.CANCELLED,
            ),
        ),
        "try-on photos": lambda: list(tryon_selectors.photos_for_user(user=user)),
        "try-on jobs list": lambda: list(tryon_selectors.jobs_for_user(user=user)),
        "try-on job page": expect(Http404, lambda: tryon_selectors.job_for_user(user=user, job_id=ObjectId())),
        "try-on live state": lambda: tryon_selectors.jobs_for_state(user=user),
        "try-on live-job check": lambda: tryon_selectors.has_live_jobs(user=user),
        "try-on garment image": lambda: tryon_selectors.garment_image_for(product=product),
        "try-on product": lambda: tryon_selectors.tryon_product(product_id=ObjectId()),
        "try-on sizes": lambda: tryon_selectors.sizes_for_product(product=product),
        "job claim (conditional update)": lambda: tryon_state.claim_next_job(worker="probe"),
        "job stage": lambda: tryon_state.record_stage(job_id=ObjectId(), stage="warp", progress=0.5, worker="probe"),
        "job heartbeat": lambda: tryon_state.beat(job_id=ObjectId(), worker="probe"),
        "job failure": lambda: tryon_state.fail_job(job_id=ObjectId(), message="probe"),
        "stale job sweep (retry or fail)": lambda: tryon_state.sweep_stale_jobs(owner_id=user.pk),
        "queued jobs sent again": lambda: dispatch.redispatch_queued_jobs(),
        "checkout delivery methods": lambda: list(shop_selectors.shipping_methods_active()),
        "checkout delivery method lookup": lambda: shop_selectors.shipping_method_active(method_id=ObjectId()),
        "checkout voucher check": expect(
            vouchers.VoucherError, lambda: vouchers.voucher_check(code="SPRING", user=user, subtotal=Decimal("30"))
        ),
        "checkout voucher claim (conditional update)": expect(
            vouchers.VoucherError,
            lambda: vouchers.voucher_claim(
                voucher=Voucher(pk=ObjectId(), code="SPRING", value=Decimal("10"), usage_limit=1), user=user
            ),
        ),
        "checkout voucher given back by a cancelled order": lambda: vouchers.voucher_release_for_order(
            order=Order(pk=ObjectId(), number="RV-ABC")
        ),
        "checkout address book": lambda: list(account_selectors.addresses_for_user(user=user)),
        "checkout address preselect": lambda: account_selectors.address_to_preselect(user=user),
        "checkout saved address lookup": lambda: account_selectors.address_for_user(user=user, address_id=ObjectId()),
        "address book make default (two conditional updates)": expect(
            Address.DoesNotExist,
            lambda: account_services.address_set_default(user=user, address=Address(pk=ObjectId(), user=user)),
        ),
        "address book delete (the default passes on)": lambda: account_services.address_delete(
            address=Address(pk=ObjectId(), user=user, is_default=True)
        ),
        "size finder on the product page": lambda: shop_selectors.size_advice_for(user=user, product=product),
        "size finder profile save": lambda: account_services.body_profile_save(user=user, height_cm=178, weight_kg=74),
        "cart add from a try-on (job check)": lambda: shop_cart._verified_tryon_job_id(
            cart=cart, variant=variant, tryon_job_id=ObjectId()
        ),
        "staff report (orders per day, best sellers, try-on funnel)": lambda: shop_reports.sales_report(),
        "staff product list (stock and thumbnail annotations)": lambda: list(
            ProductAdmin(Product, admin_site).get_queryset(staff_request)
        ),
    }
    return paths


def compile_hot_paths() -> dict[str, dict]:
    results = {}
    for name, run in hot_paths().items():
        before = len(RECORDED)
        try:
            run()
        except Exception as exc:
            results[name] = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc(limit=-4)}
            continue
        results[name] = {
            "commands": len(RECORDED) - before,
            "collections": sorted({c for c, _, _ in RECORDED[before:]}),
        }
    return results


def object_key_gaps() -> dict[str, str]:
    """Places that assume integer keys, each tried with an ObjectId the way a shopper's request
    would bring it; name -> what went wrong. Empty when every one takes ObjectIds."""
    from django.urls import URLPattern, URLResolver, get_resolver, reverse
    from django.urls.converters import IntConverter
    from rest_framework.renderers import JSONRenderer

    from shop.api.cart import CartItemAddSerializer, CartLineSerializer
    from shop.api.catalogue import VariantSerializer
    from shop.forms import CartAddForm
    from tryon.api import JobCreateSerializer, JobSerializer, _job_json
    from tryon.forms import TryOnForm
    from tryon.jobs.messages import job_payload
    from tryon.models import JobStatus, TryOnJob

    gaps: dict[str, str] = {}

    def attempt(name: str, call: Callable[[], object]) -> None:
        try:
            outcome = call()
        except Exception as exc:
            gaps[name] = f"{type(exc).__name__}: {exc}"
            return
        if outcome is not None and outcome is not True:
            gaps[name] = str(outcome)

    def url_patterns(patterns, namespace: str = ""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from url_patterns(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}{pattern.name}", getattr(pattern.pattern, "converters", {})

    for name, converters in url_patterns(get_resolver().url_patterns):
        integer_kwargs = [key for key, converter in converters.items() if isinstance(converter, IntConverter)]
        if integer_kwargs:
            kwargs = {key: ("x" if key not in integer_kwargs else ObjectId()) for key in converters}
            attempt(f"url {name}", lambda name=name, kwargs=kwargs: bool(reverse(name, kwargs=kwargs)))

    user = User(pk=ObjectId(), email="shopper@example.com")
    product = Product(pk=ObjectId(), slug="linen-shirt", name="Linen shirt", price=Decimal("30.00"))
    variant = Variant(pk=ObjectId(), product=product, size="M", sku="LS-M", stock=3)
    line = CartLine(pk=ObjectId(), cart=Cart(pk=ObjectId(), user=user), variant=variant, quantity=1)
    job = TryOnJob(pk=ObjectId(), owner=user, photo_id=ObjectId(), product=product, status=JobStatus.QUEUED)

    def anonymous_cart_session() -> bool:
        session = anonymous_session()
        shop_services.cart_get_or_create_for_session(session=session)
        return bool(session.encode(session._session))

    attempt(
        "form shop.forms.CartAddForm", lambda: CartAddForm(data={"variant": str(ObjectId())}).is_valid() or "rejected"
    )
    attempt(
        "form tryon.forms.TryOnForm",
        lambda: "product" not in TryOnForm(data={"product": str(ObjectId())}, user=user).errors or "rejected",
    )
    attempt("api shop CartLineSerializer", lambda: bool(JSONRenderer().render(CartLineSerializer(line).data)))
    attempt("api shop VariantSerializer", lambda: bool(JSONRenderer().render(VariantSerializer(variant).data)))
    attempt(
        "api shop CartItemAddSerializer",
        lambda: CartItemAddSerializer(data={"variant": str(ObjectId())}).is_valid() or "rejected",
    )
    attempt("api tryon JobSerializer", lambda: bool(JSONRenderer().render(JobSerializer(_job_json(job)).data)))
    attempt(
        "api tryon JobCreateSerializer",
        lambda: (
            JobCreateSerializer(data={"product": str(ObjectId()), "photo_id": str(ObjectId())}).is_valid() or "rejected"
        ),
    )
    attempt("websocket tryon.jobs.messages.job_payload", lambda: bool(json.dumps(job_payload(job))))
    attempt("session shop anonymous cart", anonymous_cart_session)
    return gaps


def main() -> None:
    report = {
        "engine": connections["default"].vendor,
        "database": connections["default"].settings_dict["NAME"],
        "non_objectid_keys": non_objectid_keys(),
        "checks": system_checks(),
        "migrate": migrate(),
        "hot_paths": compile_hot_paths(),
        "object_key_gaps": object_key_gaps(),
        "server_contacted": OfflineClient.contacted,
    }
    json.dump(report, sys.stdout, default=str)


if __name__ == "__main__":
    main()
