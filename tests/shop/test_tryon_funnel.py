"""Cart lines remember the try-on they came from, and the staff report counts the try-on funnel."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from revetir.testing.factories import make_order, make_product, make_user
from shop import reports, services
from shop.models import CartLine, Order, OrderLine, OrderStatus
from tests.shop.helpers_cart_orders import ADDRESS
from tryon.models import JobStatus, PersonPhoto, TryOnJob


def tryon_job(*, owner, product, status=JobStatus.DONE) -> TryOnJob:
    """A try-on row as the worker leaves it (no pipeline run: the funnel only reads the rows)."""
    photo = PersonPhoto.objects.create(owner=owner, file_name="photos/x.jpg", width=600, height=800)
    image = product.images.get(is_primary=True)
    return TryOnJob.objects.create(owner=owner, photo=photo, product=product, product_image=image, status=status)


@pytest.fixture
def tee(db):
    return make_product("Funnel Tee", price="20.00", stock={"M": 10, "L": 10}, with_image=True)


@pytest.mark.django_db
def test_adding_a_size_from_a_try_on_result_links_the_line_and_the_order_keeps_it(client, tee):
    shopper = make_user()
    job = tryon_job(owner=shopper, product=tee)
    client.force_login(shopper)
    medium = tee.variants.get(size="M")

    client.post(reverse("shop:cart_add"), {"variant": medium.pk, "quantity": 1, "from_tryon": job.pk})
    line = CartLine.objects.get()
    order = services.place_order(user=shopper, cart=line.cart, address=ADDRESS, payment_method="pay_on_delivery")

    assert line.tryon_job_id == job.pk
    assert order.lines.get().tryon_job_id == job.pk


@pytest.mark.django_db
def test_a_try_on_that_is_not_the_shoppers_own_finished_one_of_this_product_is_not_linked(client, tee):
    shopper, other = make_user(), make_user()
    someone_elses = tryon_job(owner=other, product=tee)
    unfinished = tryon_job(owner=shopper, product=tee, status=JobStatus.RUNNING)
    of_another_product = tryon_job(owner=shopper, product=make_product(with_image=True))
    client.force_login(shopper)
    medium = tee.variants.get(size="M")

    for job_id in (someone_elses.pk, unfinished.pk, of_another_product.pk, "not-an-id"):
        response = client.post(reverse("shop:cart_add"), {"variant": medium.pk, "from_tryon": job_id})
        assert response.status_code == 302

    line = CartLine.objects.get()
    assert line.quantity == 4, "the shopper still gets every unit they asked for"
    assert line.tryon_job_id is None


@pytest.mark.django_db
def test_the_cart_api_takes_from_tryon_too(client, tee):
    shopper = make_user()
    job = tryon_job(owner=shopper, product=tee)
    client.force_login(shopper)

    response = client.post(
        "/api/cart/items/",
        {"variant": str(tee.variants.get(size="L").pk), "quantity": 2, "from_tryon": str(job.pk)},
        content_type="application/json",
    )

    assert response.status_code == 201
    assert CartLine.objects.get().tryon_job_id == job.pk


@pytest.mark.django_db
def test_the_funnel_counts_try_ons_then_those_added_to_a_cart_then_those_bought(tee):
    shoppers = [make_user() for _ in range(4)]
    jobs = [tryon_job(owner=shopper, product=tee) for shopper in shoppers]
    tryon_job(owner=shoppers[0], product=tee, status=JobStatus.FAILED)  # not a finished try-on
    medium = tee.variants.get(size="M")
    # 0: added and bought (2 units: still one try-on); 1: added, still in the cart;
    # 2: bought, then the order was cancelled; 3: tried on only.
    for shopper, job, quantity in ((shoppers[0], jobs[0], 2), (shoppers[1], jobs[1], 1), (shoppers[2], jobs[2], 1)):
        cart = services.cart_get_or_create_for_user(user=shopper)
        services.cart_add_item(cart=cart, variant_id=medium.pk, quantity=quantity, tryon_job_id=job.pk)
    for shopper in (shoppers[0], shoppers[2]):
        cart = services.cart_get_or_create_for_user(user=shopper)
        services.place_order(user=shopper, cart=cart, address=ADDRESS, payment_method="pay_on_delivery")
    services.order_change_status(order=Order.objects.get(user=shoppers[2]), new_status=OrderStatus.CANCELLED)

    report = reports.sales_report()

    assert [(row.product_name, row.tryons, row.added_to_cart, row.bought) for row in report.funnel] == [
        ("Funnel Tee", 4, 3, 1)
    ]
    assert report.funnel[0].bought_percent == "25%"


@pytest.mark.django_db
def test_sales_per_day_cover_thirty_days_leave_out_cancelled_orders_and_older_ones(tee):
    today = timezone.localdate()
    kept = make_order(quantity=2)  # 60.00
    make_order(status=OrderStatus.CANCELLED, quantity=1)
    old = make_order(quantity=3)
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=31))
    yesterday = make_order(quantity=1)
    Order.objects.filter(pk=yesterday.pk).update(created_at=timezone.now() - datetime.timedelta(days=1))

    report = reports.sales_report(today=today)

    assert len(report.days) == 30 and report.days[-1].day == today and report.start == report.days[0].day
    assert (report.days[-1].orders, report.days[-1].revenue) == (1, Decimal("60.00"))
    assert (report.days[-2].orders, report.days[-2].revenue) == (1, Decimal("30.00"))
    assert report.total_orders == 2 and report.total_revenue == Decimal("90.00")
    names = {line.product_name: line for line in OrderLine.objects.filter(order__in=[kept, yesterday])}
    assert [(seller.product_name, seller.units) for seller in report.best_sellers] == sorted(
        ((name, line.quantity) for name, line in names.items()), key=lambda pair: (-pair[1], pair[0])
    )


@pytest.mark.django_db
def test_the_report_costs_the_same_queries_for_little_or_much_data(tee, django_assert_num_queries):
    def add_activity():
        shopper = make_user()
        job = tryon_job(owner=shopper, product=tee)
        cart = services.cart_get_or_create_for_user(user=shopper)
        services.cart_add_item(cart=cart, variant_id=tee.variants.get(size="M").pk, quantity=1, tryon_job_id=job.pk)
        services.place_order(user=shopper, cart=cart, address=ADDRESS, payment_method="pay_on_delivery")

    add_activity()
    with django_assert_num_queries(6):  # orders, best sellers, try-ons, cart lines, order lines, names
        reports.sales_report()
    for _ in range(4):
        add_activity()
    with django_assert_num_queries(6):
        reports.sales_report()
