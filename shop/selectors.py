"""Reads for the shop: catalogue, cart and orders. Query counts are bounded per call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.http import HttpRequest

from accounts.selectors import body_profile_for
from revetir.object_keys import primary_key_or_none
from shop import size_advice
from shop.models import (
    SIZE_ORDER,
    Cart,
    CartLine,
    Category,
    Order,
    OrderStatus,
    Product,
    ProductImage,
    ShippingMethod,
    SizeChartRow,
    Variant,
)


def cart_for_request(*, request: HttpRequest) -> Cart | None:
    """The stored cart this request owns (the user's, or the anonymous session's), if any."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Cart.objects.filter(user=user).first()
    session_key = request.session.session_key if hasattr(request, "session") else None
    if not session_key:
        return None
    return Cart.objects.filter(session_key=session_key, user__isnull=True).first()


def cart_item_count(*, request: HttpRequest) -> int:
    """Units in the request's cart, for the header badge (one query, none without a cart)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        lines = CartLine.objects.filter(cart__user=user)
    else:
        session_key = request.session.session_key if hasattr(request, "session") else None
        if not session_key:
            return 0
        lines = CartLine.objects.filter(cart__session_key=session_key, cart__user__isnull=True)
    return lines.aggregate(total=Sum("quantity"))["total"] or 0


# --- Catalogue ----------------------------------------------------------------------------------

# Each sort key of the filter form and its ordering; `id` breaks ties so pages never overlap.
PRODUCT_ORDERINGS: dict[str, tuple[str, ...]] = {
    "newest": ("-created_at", "-id"),
    "price_asc": ("price", "id"),
    "price_desc": ("-price", "id"),
    "name": ("name", "id"),
}


def category_tree() -> list[Category]:
    """Top-level categories in display order, each with `children` loaded (two queries)."""
    return list(Category.objects.filter(parent__isnull=True).prefetch_related("children"))


def sizes_in_display_order(variants: Iterable[Variant]) -> list[Variant]:
    """Variants sorted along the size chart (XS … XXL) rather than by id."""
    return sorted(variants, key=lambda variant: SIZE_ORDER.get(variant.size, len(SIZE_ORDER)))


def product_list(*, filters: Mapping[str, Any] | None = None) -> QuerySet[Product]:
    """Active products matching the catalogue filters, ready for product cards.

    `filters` is `ProductFilterForm.cleaned_data`: `q` (name or description contains, any case),
    `category` (a Category; a department includes its sub-categories), `size` (only products with
    that size in stock), `min_price`, `max_price` and `sort` (a key of PRODUCT_ORDERINGS).
    Each product carries `primary_images` and `variants_in_stock` (prefetched), so listing any
    number of them costs three queries.
    """
    filters = filters or {}
    products = Product.objects.filter(is_active=True)
    if query := filters.get("q"):
        products = products.filter(Q(name__icontains=query) | Q(description__icontains=query))
    if category := filters.get("category"):
        products = products.filter(Q(category=category) | Q(category__parent=category))
    if size := filters.get("size"):
        products = products.filter(variants__size=size, variants__stock__gt=0).distinct()
    if (min_price := filters.get("min_price")) is not None:
        products = products.filter(price__gte=min_price)
    if (max_price := filters.get("max_price")) is not None:
        products = products.filter(price__lte=max_price)
    ordering = PRODUCT_ORDERINGS.get(filters.get("sort") or "newest", PRODUCT_ORDERINGS["newest"])
    return (
        products.order_by(*ordering)
        .select_related("category")
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.filter(is_primary=True), to_attr="primary_images"),
            Prefetch("variants", queryset=Variant.objects.filter(stock__gt=0), to_attr="variants_in_stock"),
        )
    )


def product_page(*, filters: Mapping[str, Any] | None = None, page_number: Any = 1, page_size: int) -> Page:
    """One page of `product_list`, each product given `primary_image` and `available_sizes`.

    A page number that is not a number gives the first page, one past the end the last page.
    """
    page = Paginator(product_list(filters=filters), page_size).get_page(page_number)
    products = list(page.object_list)
    for product in products:
        product.primary_image = product.primary_images[0] if product.primary_images else None
        product.available_sizes = [variant.size for variant in sizes_in_display_order(product.variants_in_stock)]
    page.object_list = products
    return page


def product_detail(*, slug: str) -> Product | None:
    """The active product with this slug, its images (primary first), all its variants in size
    order as `sized_variants`, `has_stock`, and its size chart in size order as `size_chart_rows`;
    None when there is no such active product (four queries)."""
    product = (
        Product.objects.filter(is_active=True, slug=slug)
        .select_related("category__parent")
        .prefetch_related("images", "variants", "size_chart")
        .first()
    )
    if product is not None:
        product.sized_variants = sizes_in_display_order(product.variants.all())
        product.has_stock = any(variant.in_stock for variant in product.sized_variants)
        product.size_chart_rows = sizes_in_display_order(product.size_chart.all())
    return product


# --- Size finder --------------------------------------------------------------------------------


def chart_rows_for_advice(rows: Iterable[SizeChartRow]) -> list[size_advice.ChartRow]:
    """A product's size chart (in size order) as the size finder reads it."""

    def measure_range(row: SizeChartRow, measure: str) -> tuple[int, int] | None:
        low, high = getattr(row, f"{measure}_min_cm"), getattr(row, f"{measure}_max_cm")
        return None if low is None or high is None else (low, high)

    return [
        size_advice.ChartRow(
            size=row.size,
            chest=measure_range(row, "chest"),
            waist=measure_range(row, "waist"),
            hips=measure_range(row, "hips"),
        )
        for row in sizes_in_display_order(rows)
    ]


def size_advice_for(*, user, product: Product) -> size_advice.SizeAdvice | None:
    """The recommended size of `product` for a signed-in shopper with a body profile; None for a
    visitor, a shopper without a profile or a product without a usable size chart.

    Uses `product.size_chart_rows` when `product_detail` loaded them (one query for the profile, none
    for a product without a chart, which no profile can get advice for), otherwise reads the chart
    too (two queries).
    """
    if user is None or not user.is_authenticated:
        return None
    rows = getattr(product, "size_chart_rows", None)
    if rows is not None and not rows:
        return None
    profile = body_profile_for(user=user)
    if profile is None:
        return None
    if rows is None:
        rows = SizeChartRow.objects.filter(product=product)
    try:
        body = profile.measurements()
        return size_advice.recommend_size(
            body=body, chart=chart_rows_for_advice(rows), garment_type=product.garment_type
        )
    except ValueError:
        # A stored value outside the finder's bounds, or a chart whose ranges overlap: no advice
        # rather than a broken product page; the profile form and the admin show what to fix.
        return None


# --- Cart and orders ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CartSummary:
    """A cart's lines (variant, product and primary image loaded) with its totals."""

    cart: Cart | None
    lines: list[CartLine]
    subtotal: Decimal
    item_count: int

    @property
    def is_empty(self) -> bool:
        return not self.lines


def cart_lines(*, cart: Cart) -> QuerySet[CartLine]:
    """The cart's lines with everything a cart page shows (two queries whatever the size)."""
    primary_images = Prefetch(
        "variant__product__images", queryset=ProductImage.objects.filter(is_primary=True), to_attr="primary_images"
    )
    return cart.lines.select_related("variant__product").prefetch_related(primary_images)


def cart_summary(*, cart: Cart | None) -> CartSummary:
    if cart is None:
        return CartSummary(cart=None, lines=[], subtotal=Decimal("0.00"), item_count=0)
    lines = list(cart_lines(cart=cart))
    return CartSummary(
        cart=cart,
        lines=lines,
        subtotal=sum((line.line_total for line in lines), Decimal("0.00")),
        item_count=sum(line.quantity for line in lines),
    )


def cart_line_for_cart(*, cart: Cart | None, line_id: object) -> CartLine | None:
    """A line of this cart only, by an id as it came in a URL: another cart's line, or an id no
    line on this database can have (an ObjectId on SQLite, say), finds nothing."""
    line_key = primary_key_or_none(CartLine, line_id)
    if cart is None or line_key is None:
        return None
    return CartLine.objects.filter(cart=cart, pk=line_key).first()


def orders_for_user(*, user) -> QuerySet[Order]:
    """The user's orders, newest first, lines prefetched (two queries for any number of orders)."""
    return Order.objects.filter(user=user).order_by("-created_at", "-id").prefetch_related("lines")


def orders_in_transit(*, user) -> QuerySet[Order]:
    """The user's shipped orders not yet delivered: the courier still needs their address."""
    return Order.objects.filter(user=user, status=OrderStatus.SHIPPED).order_by("created_at", "id")


def orders_still_open(*, user) -> QuerySet[Order]:
    """The user's orders that have not left the warehouse (awaiting payment, paid, placed or
    processing): cancellable, a paid one with a full refund."""
    open_statuses = [OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID, OrderStatus.PLACED, OrderStatus.PROCESSING]
    return Order.objects.filter(user=user, status__in=open_statuses).order_by("created_at", "id")


def order_for_user(*, user, number: str) -> Order | None:
    """The user's order with this number; None for an unknown number or someone else's order."""
    return orders_for_user(user=user).filter(number=number).first()


# --- Shipping -----------------------------------------------------------------------------------


def shipping_methods_active() -> QuerySet[ShippingMethod]:
    """The delivery methods checkout offers, in the order staff set."""
    return ShippingMethod.objects.filter(active=True).order_by("position", "price", "id")


def shipping_method_active(*, method_id: object) -> ShippingMethod | None:
    key = primary_key_or_none(ShippingMethod, method_id)
    if key is None:
        return None
    return shipping_methods_active().filter(pk=key).first()
