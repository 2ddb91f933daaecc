"""Charts for the staff report, drawn on the server as inline SVG geometry (no JavaScript library).

Each function returns plain numbers (bar positions and labels); the template turns them into
`<rect>` and `<text>` elements, so the page needs nothing from outside the shop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from shop.reports import DaySales, FunnelRow

DAILY_CHART_WIDTH = 720
DAILY_CHART_HEIGHT = 220
DAILY_CHART_AXIS = 28  # room under the bars for the date labels
DAILY_CHART_TOP = 16  # room above the tallest bar for its value
DAILY_LABEL_EVERY = 5  # label every fifth day, the rest would overlap
DAILY_CHART_SIDE = 24  # room left and right so the first and last labels are not clipped

FUNNEL_CHART_WIDTH = 720
FUNNEL_BAR_HEIGHT = 34
FUNNEL_BAR_GAP = 14
FUNNEL_LABEL_WIDTH = 170


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str
    title: str  # the tooltip / accessible text of the bar
    label_x: float
    label_y: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    baseline: float


def daily_revenue_chart(days: Sequence[DaySales], *, currency: str) -> Chart:
    """One bar per day, height proportional to revenue; every fifth day's date under its bar."""
    plot_height = DAILY_CHART_HEIGHT - DAILY_CHART_AXIS - DAILY_CHART_TOP
    baseline = DAILY_CHART_HEIGHT - DAILY_CHART_AXIS
    peak = max((day.revenue for day in days), default=Decimal(0)) or Decimal(1)
    slot = (DAILY_CHART_WIDTH - 2 * DAILY_CHART_SIDE) / max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        height = float(day.revenue / peak) * plot_height
        left = DAILY_CHART_SIDE + index * slot
        bars.append(
            Bar(
                x=round(left + slot * 0.15, 2),
                y=round(baseline - height, 2),
                width=round(slot * 0.7, 2),
                height=round(height, 2),
                label=day.day.strftime("%d %b") if index % DAILY_LABEL_EVERY == 0 or index == len(days) - 1 else "",
                value=f"{day.revenue:.0f}" if day.revenue else "",
                title=f"{day.day:%a %d %b}: {day.orders} order(s), {day.revenue} {currency}",
                label_x=round(left + slot / 2, 2),
                label_y=DAILY_CHART_HEIGHT - 8,
                value_x=round(left + slot / 2, 2),
                value_y=round(baseline - height - 3, 2),
            )
        )
    return Chart(width=DAILY_CHART_WIDTH, height=DAILY_CHART_HEIGHT, bars=bars, baseline=baseline)


def funnel_chart(totals: FunnelRow) -> Chart:
    """Three horizontal bars: try-ons, added to cart after a try-on, bought after a try-on."""
    steps = [
        ("Finished try-ons", totals.tryons),
        ("Added to cart", totals.added_to_cart),
        ("Bought", totals.bought),
    ]
    peak = max(totals.tryons, 1)
    plot_width = FUNNEL_CHART_WIDTH - FUNNEL_LABEL_WIDTH - 80
    bars = []
    for index, (label, count) in enumerate(steps):
        share = f" ({count / totals.tryons:.0%})" if totals.tryons and index else ""
        top = index * (FUNNEL_BAR_HEIGHT + FUNNEL_BAR_GAP)
        width = round(count / peak * plot_width, 2)
        text_y = top + FUNNEL_BAR_HEIGHT * 0.65
        bars.append(
            Bar(
                x=FUNNEL_LABEL_WIDTH,
                y=top,
                width=width,
                height=FUNNEL_BAR_HEIGHT,
                label=label,
                value=f"{count}{share}",
                title=f"{label}: {count}{share}",
                label_x=0,
                label_y=text_y,
                value_x=FUNNEL_LABEL_WIDTH + width + 6,
                value_y=text_y,
            )
        )
    height = len(steps) * (FUNNEL_BAR_HEIGHT + FUNNEL_BAR_GAP)
    return Chart(width=FUNNEL_CHART_WIDTH, height=height, bars=bars, baseline=0)
