"""The staff report: orders and revenue per day, best sellers and the try-on funnel.

Reads only, a fixed number of queries whatever the data. Days are counted in the shop's time zone
in Python over the report's window, because date truncation with a time zone is not portable
(django-mongodb-backend refuses `TruncDate` with a `tzinfo`). Orders not sold (cancelled, or a card
order still awaiting payment) are left out of revenue, best sellers and "bought"; refunds are taken
off revenue.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from shop import tryon_hooks
from shop.models import CartLine, Order, OrderLine, OrderStatus, Product

REPORT_DAYS = 30
BEST_SELLERS_SHOWN = 10


# Orders that are not a sale (yet): cancelled, or a card order whose payment has not arrived.
NOT_SOLD = (OrderStatus.CANCELLED, OrderStatus.AWAITING_PAYMENT)


@dataclass(frozen=True)
class DaySales:
    day: datetime.date
    orders: int
    revenue: Decimal


@dataclass(frozen=True)
class BestSeller:
    product_name: str
    units: int


@dataclass(frozen=True)
class FunnelRow:
    """Try-ons of one product in the window, and how many of them led to a cart line and an order."""

    product_name: str
    tryons: int
    added_to_cart: int
    bought: int

    @property
    def bought_percent(self) -> str:
        return f"{self.bought / self.tryons:.0%}" if self.tryons else "—"


@dataclass(frozen=True)
class SalesReport:
    start: datetime.date
    end: datetime.date
    days: list[DaySales]
    best_sellers: list[BestSeller]
    funnel: list[FunnelRow]

    @property
    def total_orders(self) -> int:
        return sum(day.orders for day in self.days)

    @property
    def total_revenue(self) -> Decimal:
        return sum((day.revenue for day in self.days), Decimal("0.00"))

    @property
    def funnel_totals(self) -> FunnelRow:
        return FunnelRow(
            product_name="All products",
            tryons=sum(row.tryons for row in self.funnel),
            added_to_cart=sum(row.added_to_cart for row in self.funnel),
            bought=sum(row.bought for row in self.funnel),
        )


def _window(today: datetime.date, days: int) -> tuple[datetime.date, datetime.datetime]:
    """The first day of the window and the moment it starts, in the shop's time zone."""
    start_day = today - datetime.timedelta(days=days - 1)
    start = timezone.make_aware(datetime.datetime.combine(start_day, datetime.time.min))
    return start_day, start


def sales_per_day(*, since: datetime.datetime, start_day: datetime.date, today: datetime.date) -> list[DaySales]:
    """Orders and revenue (order totals: items after any voucher, plus delivery) per local day, every
    day of the window listed (one query)."""
    orders: Counter[datetime.date] = Counter()
    revenue: defaultdict[datetime.date, Decimal] = defaultdict(lambda: Decimal("0.00"))
    rows = (
        Order.objects.filter(created_at__gte=since)
        .exclude(status__in=NOT_SOLD)
        .values_list("created_at", "total", "amount_refunded")
    )
    for created_at, total, refunded in rows:
        day = timezone.localtime(created_at).date()
        orders[day] += 1
        revenue[day] += total - refunded
    span = (today - start_day).days + 1
    days = [start_day + datetime.timedelta(days=offset) for offset in range(span)]
    return [DaySales(day=day, orders=orders[day], revenue=revenue[day]) for day in days]


def best_sellers(*, since: datetime.datetime, limit: int = BEST_SELLERS_SHOWN) -> list[BestSeller]:
    """Products by units sold in the window, most first (one grouped query)."""
    rows = (
        OrderLine.objects.filter(order__created_at__gte=since)
        .exclude(order__status__in=NOT_SOLD)
        .values("product_name")
        .annotate(units=Sum("quantity"))
        .order_by("-units", "product_name")[:limit]
    )
    return [BestSeller(product_name=row["product_name"], units=row["units"]) for row in rows]


def tryon_funnel(*, since: datetime.datetime) -> list[FunnelRow]:
    """Per product: finished try-ons in the window, how many of those try-ons are on a cart line
    or an order line ("added to cart"), and how many are on a line of an order that was not
    cancelled ("bought"). A try-on counts once however many units it sold. Four queries.

    A cart line removed before checkout no longer counts as added, and a try-on the shopper deleted
    drops out of every column: the report counts only what the data still proves.
    """
    tryons = tryon_hooks.finished_tryons_per_product(since=since)
    in_cart = set(
        CartLine.objects.filter(tryon_job__created_at__gte=since).values_list("tryon_job", "tryon_job__product")
    )
    ordered = OrderLine.objects.filter(tryon_job__created_at__gte=since).values_list(
        "tryon_job", "tryon_job__product", "order__status"
    )
    added: defaultdict[object, set] = defaultdict(set)
    bought: defaultdict[object, set] = defaultdict(set)
    for job, product in in_cart:
        added[product].add(job)
    for job, product, status in ordered:
        added[product].add(job)
        if status not in NOT_SOLD:
            bought[product].add(job)
    names = dict(Product.objects.filter(pk__in=list(tryons)).values_list("pk", "name"))
    rows = [
        FunnelRow(
            product_name=names.get(product, "(deleted product)"),
            tryons=count,
            added_to_cart=len(added[product]),
            bought=len(bought[product]),
        )
        for product, count in tryons.items()
    ]
    rows.sort(key=lambda row: (-row.tryons, -row.bought, row.product_name))
    return rows


def sales_report(*, today: datetime.date | None = None, days: int = REPORT_DAYS) -> SalesReport:
    """The report over the last `days` days up to and including `today` (the shop's local date)."""
    today = today or timezone.localdate()
    start_day, since = _window(today, days)
    return SalesReport(
        start=start_day,
        end=today,
        days=sales_per_day(since=since, start_day=start_day, today=today),
        best_sellers=best_sellers(since=since),
        funnel=tryon_funnel(since=since),
    )
