"""The report's server-drawn charts: bar sizes follow the numbers."""

from __future__ import annotations

import datetime
from decimal import Decimal

from shop.report_charts import DAILY_CHART_AXIS, DAILY_CHART_HEIGHT, DAILY_CHART_TOP, daily_revenue_chart, funnel_chart
from shop.reports import DaySales, FunnelRow


def test_daily_bars_are_as_tall_as_their_share_of_the_best_day_and_stand_on_the_baseline():
    start = datetime.date(2026, 11, 1)
    days = [
        DaySales(day=start, orders=1, revenue=Decimal("50.00")),
        DaySales(day=start + datetime.timedelta(days=1), orders=0, revenue=Decimal("0.00")),
        DaySales(day=start + datetime.timedelta(days=2), orders=3, revenue=Decimal("200.00")),
    ]

    chart = daily_revenue_chart(days, currency="EUR")

    plot = DAILY_CHART_HEIGHT - DAILY_CHART_AXIS - DAILY_CHART_TOP
    assert [bar.height for bar in chart.bars] == [plot / 4, 0, plot]
    assert all(bar.y + bar.height == chart.baseline for bar in chart.bars)
    assert chart.bars[2].title == "Tue 03 Nov: 3 order(s), 200.00 EUR"
    assert [bar.label for bar in chart.bars] == ["01 Nov", "", "03 Nov"]
    assert chart.bars[0].label_x > 0 and chart.bars[-1].label_x < chart.width


def test_no_sales_draws_flat_bars_rather_than_failing():
    chart = daily_revenue_chart(
        [DaySales(day=datetime.date(2026, 11, 1), orders=0, revenue=Decimal(0))], currency="EUR"
    )

    assert chart.bars[0].height == 0


def test_funnel_bars_shrink_with_each_step_and_say_their_share():
    chart = funnel_chart(FunnelRow(product_name="All", tryons=20, added_to_cart=5, bought=2))

    widths = [bar.width for bar in chart.bars]
    assert widths[0] > widths[1] > widths[2] > 0
    assert widths[1] == widths[0] / 4
    assert [bar.value for bar in chart.bars] == ["20", "5 (25%)", "2 (10%)"]
