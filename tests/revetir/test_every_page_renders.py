"""Every page a visitor, a signed-in shopper and staff can reach renders without template syntax
leaking into it (a multi-line `{# #}`, an unclosed tag, a stray `{{`), and with the status it should.

To cover a new page, add a `Page` to the table of its audience (VISITOR_PAGES, SHOPPER_PAGES,
STAFF_PAGES); `Site` holds the objects pages need (a product, an order, a photo, a finished job…).
Admin pages are listed from the admin registry, so a newly registered model is covered by itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.authtoken.models import Token

from accounts import services as account_services
from accounts.models import Address, User
from accounts.services import body_profile_save
from revetir.testing.factories import make_category, make_staff, make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from shop.models import Category, Order, Product, ShippingMethod, SizeChartRow, StripeEvent, Voucher
from shop.services import place_order
from tests.shop.helpers_cart_orders import ADDRESS, fill_cart
from tryon import services as tryon_services
from tryon.jobs import dispatch
from tryon.jobs import submit as tryon_submit
from tryon.models import JobStatus, PersonPhoto, TryOnJob
from tryon.storage import save_private_file

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.revetir.error_urls")]

# Django template syntax that must never reach a browser. Script and style bodies and JSON in data
# attributes (the admin's inline formsets) are skipped: they may hold braces of their own.
TEMPLATE_SYNTAX = re.compile(r"\{#|#\}|\{%|%\}|\{\{|\}\}")
EMBEDDED_CODE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)
JSON_DATA_ATTRIBUTE = re.compile(r"""\sdata-[\w-]+=(["'])\s*[\[{].*?\1""", re.S)
CONTEXT_CHARS = 60


def template_syntax_leaks(html: str) -> list[str]:
    """Snippets of `html` around each piece of leaked template syntax (empty when the page is clean)."""
    text = JSON_DATA_ATTRIBUTE.sub("", EMBEDDED_CODE.sub("", html))
    leaks = [
        text[max(0, match.start() - CONTEXT_CHARS) : match.end() + CONTEXT_CHARS].strip()
        for match in TEMPLATE_SYNTAX.finditer(text)
    ]
    if "TemplateSyntaxError" in html:
        leaks.append("TemplateSyntaxError")
    return leaks


@dataclass
class Site:
    """What the pages show: one of each object, the shopper's own and nobody else's."""

    shopper: User
    staff: User
    department: Category
    category: Category
    product: Product
    order: Order
    photo: PersonPhoto
    done_job: TryOnJob
    failed_job: TryOnJob
    address: Address
    shipping_method: ShippingMethod


@dataclass(frozen=True)
class Page:
    """One page: how to find its URL in a `Site`, and what to do first (e.g. fill a checkout step)."""

    name: str
    url: Callable[[Site], str]
    status: int = 200
    method: str = "get"
    data: dict = field(default_factory=dict)
    prepare: Callable[[Client, Site], None] | None = None
    follow: bool = False


def _fill_address(client: Client, site: Site) -> None:
    client.post(reverse("shop:checkout_address"), {**ADDRESS, "shipping_method": site.shipping_method.pk})


def _fill_address_and_voucher(client: Client, site: Site) -> None:
    _fill_address(client, site)
    client.post(reverse("shop:checkout_voucher"), {"code": "SPRING"})


def _give_size_finder_data(client: Client, site: Site) -> None:
    """A size chart for the product and measurements for the shopper, so the size marker shows."""
    for size, chest in (("S", (86, 91)), ("M", (92, 99)), ("L", (100, 107))):
        SizeChartRow.objects.get_or_create(
            product=site.product, size=size, defaults={"chest_min_cm": chest[0], "chest_max_cm": chest[1]}
        )
    body_profile_save(user=site.shopper, height_cm=178, weight_kg=74, chest_cm=99)


def _password_reset_url(site: Site) -> str:
    uid = urlsafe_base64_encode(force_bytes(site.shopper.pk))
    token = default_token_generator.make_token(site.shopper)
    return reverse("accounts:password_reset_confirm", args=[uid, token])


ERROR_PAGES = [
    Page("404 page", lambda s: "/no-such-page/", status=404),
    Page("403 page", lambda s: "/test-errors/403/", status=403),
    Page("400 page", lambda s: "/test-errors/400/", status=400),
    Page("500 page", lambda s: "/test-errors/500/", status=500),
]

CATALOGUE_PAGES = [
    Page("catalogue", lambda s: reverse("shop:product_list")),
    Page("department", lambda s: s.department.get_absolute_url()),
    Page("category", lambda s: s.category.get_absolute_url()),
    Page("search", lambda s: reverse("shop:product_list") + "?q=shirt&sort=price"),
    Page("search without results", lambda s: reverse("shop:product_list") + "?q=nothing-like-this"),
    Page("filters with errors", lambda s: reverse("shop:product_list") + "?min_price=abc&size=XXXL"),
    Page("catalogue page 2", lambda s: reverse("shop:product_list") + "?page=2"),
    Page("product", lambda s: s.product.get_absolute_url()),
    Page("cart", lambda s: reverse("shop:cart")),
    Page("API docs", lambda s: reverse("api-docs")),
]

VISITOR_PAGES = [
    *CATALOGUE_PAGES,
    Page("log in", lambda s: reverse("accounts:login")),
    Page("log in with errors", lambda s: reverse("accounts:login"), method="post", data={"username": "x@y.z"}),
    Page("sign up", lambda s: reverse("accounts:signup")),
    Page("sign up with errors", lambda s: reverse("accounts:signup"), method="post", data={"email": "nope"}),
    Page("password reset", lambda s: reverse("accounts:password_reset")),
    Page("password reset sent", lambda s: reverse("accounts:password_reset_done")),
    Page("password reset link", _password_reset_url, follow=True),
    Page("password reset bad link", lambda s: reverse("accounts:password_reset_confirm", args=["MQ", "bad-token"])),
    Page("password reset complete", lambda s: reverse("accounts:password_reset_complete")),
    *ERROR_PAGES,
]

SHOPPER_PAGES = [
    *CATALOGUE_PAGES,
    Page("checkout address", lambda s: reverse("shop:checkout_address")),
    Page("checkout address with errors", lambda s: reverse("shop:checkout_address"), method="post", status=200),
    Page("checkout review", lambda s: reverse("shop:checkout_review"), prepare=_fill_address),
    Page(
        "checkout review with a voucher", lambda s: reverse("shop:checkout_review"), prepare=_fill_address_and_voucher
    ),
    Page(
        "checkout voucher refused",
        lambda s: reverse("shop:checkout_voucher"),
        method="post",
        data={"code": "NOPE"},
        prepare=_fill_address,
        follow=True,
    ),
    Page("checkout complete", lambda s: reverse("shop:checkout_complete", args=[s.order.number])),
    Page("order list", lambda s: reverse("shop:order_list")),
    Page("order", lambda s: s.order.get_absolute_url()),
    Page("order cancel confirmation", lambda s: reverse("shop:order_cancel", args=[s.order.number])),
    Page("account", lambda s: reverse("accounts:profile")),
    Page("address book", lambda s: reverse("accounts:address_list")),
    Page("add an address", lambda s: reverse("accounts:address_add")),
    Page("add an address with errors", lambda s: reverse("accounts:address_add"), method="post"),
    Page("edit an address", lambda s: reverse("accounts:address_edit", args=[s.address.pk])),
    Page("address delete confirmation", lambda s: reverse("accounts:address_delete", args=[s.address.pk])),
    Page("product with the size finder", lambda s: s.product.get_absolute_url(), prepare=_give_size_finder_data),
    Page(
        "measurements with errors",
        lambda s: reverse("accounts:body_profile"),
        method="post",
        data={"height_cm": "12"},
        status=400,
    ),
    Page("delete account", lambda s: reverse("accounts:delete")),
    Page("password change", lambda s: reverse("accounts:password_change")),
    Page("password change done", lambda s: reverse("accounts:password_change_done")),
    Page("my photos", lambda s: reverse("tryon:photo_list")),
    Page("photo delete confirmation", lambda s: reverse("tryon:photo_delete", args=[s.photo.pk])),
    Page("try-on result", lambda s: reverse("tryon:job_detail", args=[s.done_job.pk])),
    Page("try-on delete confirmation", lambda s: reverse("tryon:job_delete", args=[s.done_job.pk])),
    Page("failed try-on", lambda s: reverse("tryon:job_detail", args=[s.failed_job.pk])),
    Page("try-on form with errors", lambda s: reverse("tryon:job_create"), method="post", status=400),
    *ERROR_PAGES,
]

STAFF_PAGES = [
    Page("admin index", lambda s: reverse("admin:index")),
    Page("admin stock import", lambda s: reverse("admin:shop_variant_import")),
    Page("admin sales and try-on report", lambda s: reverse("admin:shop_order_report")),
    Page("admin password change", lambda s: reverse("admin:password_change")),
    *ERROR_PAGES,
]


def admin_pages() -> list[Page]:
    """Changelist, add (or its refusal) and change page of every model in the admin."""
    staff_request = RequestFactory().get("/admin/")
    staff_request.user = User(is_staff=True, is_superuser=True, is_active=True)
    pages = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        add_status = 200 if model_admin.has_add_permission(staff_request) else 403
        pages += [
            Page(f"admin {opts.model_name} list", lambda s, p=prefix: reverse(f"{p}_changelist")),
            Page(f"admin {opts.model_name} add", lambda s, p=prefix: reverse(f"{p}_add"), status=add_status),
            Page(
                f"admin {opts.model_name} change",
                lambda s, p=prefix, m=model: reverse(f"{p}_change", args=[m._default_manager.order_by("pk")[0].pk]),
            ),
        ]
    return pages


@pytest.fixture
def site(monkeypatch) -> Site:
    monkeypatch.setattr(dispatch, "dispatch_job", lambda job_id: None)  # jobs stay as the fixture sets them
    shopper, staff = make_user(full_name="Ada Lovelace"), make_staff()
    Group.objects.create(name="Customer service")
    Token.objects.create(user=shopper)
    department = make_category("Women")
    category = make_category("Shirts", parent=department)
    product = make_tryon_product(name="Linen shirt", category=category)
    shipping_method = ShippingMethod.objects.create(name="Standard delivery", price="4.90", free_over="60.00")
    Voucher.objects.create(code="SPRING", value="10", per_customer_limit=3)
    address = account_services.address_create(user=shopper, data=ADDRESS)
    order = place_order(
        user=shopper,
        cart=fill_cart(shopper, (product.variants.get(size="M"), 1)),
        address=address.as_shipping(),
        payment_method="pay_on_delivery",
        shipping_method_id=shipping_method.pk,
        voucher_code="SPRING",
        saved_address=address,
    )
    fill_cart(shopper, (product.variants.get(size="S"), 1))
    StripeEvent.objects.create(event_id="evt_seen", event_type="customer.created", outcome="ignored")
    photo = tryon_services.save_person_photo(user=shopper, upload=astronaut_upload())
    garment = product.images.get()
    done_job = tryon_submit.submit_job(user=shopper, photo=photo, product_image=garment)
    TryOnJob.objects.filter(pk=done_job.pk).update(
        status=JobStatus.DONE,
        engine="classic",
        progress=1.0,
        result_name=save_private_file(folder="results", extension="jpg", content=b"\xff\xd8result"),
    )
    failed_job = TryOnJob.objects.create(
        owner=shopper,
        photo=photo,
        product=product,
        product_image=garment,
        status=JobStatus.FAILED,
        error="The try-on worker stopped; please try again.",
    )
    return Site(
        shopper, staff, department, category, product, order, photo, done_job, failed_job, address, shipping_method
    )


def _problems(client: Client, site: Site, pages: list[Page]) -> list[str]:
    problems = []
    for page in pages:
        if page.prepare:
            page.prepare(client, site)
        url = page.url(site)
        response = getattr(client, page.method)(url, page.data, follow=page.follow)
        if response.status_code != page.status:
            problems.append(f"{page.name} ({url}): status {response.status_code}, expected {page.status}")
            continue
        if "text/html" not in response.get("Content-Type", ""):
            problems.append(f"{page.name} ({url}): {response.get('Content-Type')} instead of an HTML page")
            continue
        for leak in template_syntax_leaks(response.content.decode()):
            problems.append(f"{page.name} ({url}): template syntax in the page: {leak!r}")
    return problems


def test_every_page_a_visitor_reaches_renders_cleanly(site):
    client = Client(raise_request_exception=False)
    assert _problems(client, site, VISITOR_PAGES) == []


def test_every_page_a_signed_in_shopper_reaches_renders_cleanly(site):
    client = Client(raise_request_exception=False)
    client.force_login(site.shopper)
    assert _problems(client, site, SHOPPER_PAGES) == []


def test_every_page_staff_reach_renders_cleanly_including_each_admin_model(site):
    client = Client(raise_request_exception=False)
    client.force_login(site.staff)
    assert _problems(client, site, [*STAFF_PAGES, *admin_pages()]) == []


def test_the_scan_catches_comments_tags_and_variables_but_not_script_or_style():
    assert template_syntax_leaks("<p>{# a comment\n that ran over #}</p>")
    assert template_syntax_leaks("<p>{% if x %}</p>")
    assert template_syntax_leaks("<p>Hello {{ user }}</p>")
    assert template_syntax_leaks("<p>TemplateSyntaxError at /</p>")
    assert template_syntax_leaks("<script>var a = {b: {c: 1}};</script><style>a{}</style><p>ok</p>") == []
    assert template_syntax_leaks('<div data-inline-formset="{&quot;a&quot;: {&quot;b&quot;: 1}}">ok</div>') == []
