"""Staff pages of the catalogue work: product list with stock and thumbnail, size chart inline, report."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from revetir.testing.factories import make_order, make_product, make_staff, make_user
from shop.models import SizeChartRow


@pytest.fixture
def staff_client(client):
    client.force_login(make_staff())
    return client


@pytest.mark.django_db
def test_the_product_list_shows_total_stock_and_the_primary_picture(staff_client):
    product = make_product("Stocked Tee", stock={"S": 3, "M": 4, "L": 0}, with_image=True)
    make_product("Bare Tee", stock={"M": 1})

    page = staff_client.get(reverse("admin:shop_product_changelist")).content.decode()

    row = re.search(r"<tr>.*?Stocked Tee.*?</tr>", page, re.S).group(0)
    assert '<td class="field-total_stock">7</td>' in row
    assert f'src="{product.images.get().image.url}"' in row
    bare = re.search(r"<tr>.*?Bare Tee.*?</tr>", page, re.S).group(0)
    assert '<td class="field-total_stock">1</td>' in bare and "admin-thumbnail" not in bare


@pytest.mark.django_db
def test_the_product_list_costs_the_same_queries_for_few_or_many_products(staff_client, django_assert_num_queries):
    url = reverse("admin:shop_product_changelist")
    make_product(stock={"S": 1, "M": 2}, with_image=True)
    staff_client.get(url)  # warm the session and content types
    with django_assert_num_queries(5) as few:  # user, filters, count, the rows; the session and cart badge are kept
        staff_client.get(url)
    for _ in range(6):
        make_product(stock={"S": 1, "M": 2, "L": 3}, with_image=True)
    with django_assert_num_queries(len(few.captured_queries)):
        response = staff_client.get(url)
    assert response.context["cl"].result_count == 7


@pytest.mark.django_db
def test_the_product_list_sorts_by_total_stock(staff_client):
    make_product("Few", stock={"M": 1})
    make_product("Many", stock={"M": 9, "L": 9})

    page = staff_client.get(reverse("admin:shop_product_changelist") + "?o=5").content.decode()

    assert page.index(">Few<") < page.index(">Many<")


@pytest.mark.django_db
def test_staff_edit_the_size_chart_inline_on_the_product(staff_client):
    product = make_product(stock={"M": 1})

    page = staff_client.get(reverse("admin:shop_product_change", args=[product.pk])).content.decode()

    assert "size_chart-TOTAL_FORMS" in page and "chest_min_cm" in page


def test_a_size_chart_range_that_ends_below_its_start_or_has_one_end_is_refused():
    with pytest.raises(ValidationError) as refusal:
        SizeChartRow(size="M", chest_min_cm=100, chest_max_cm=92, waist_min_cm=80).clean()

    assert refusal.value.message_dict == {
        "chest_max_cm": ["The chest range must not end below where it starts."],
        "waist_max_cm": ["Give both ends of the waist range, or neither."],
    }


@pytest.mark.django_db
def test_the_report_is_linked_from_the_admin_index_and_shows_charts_and_numbers(staff_client):
    make_order(quantity=2)

    index = staff_client.get(reverse("admin:index")).content.decode()
    page = staff_client.get(reverse("admin:shop_order_report")).content.decode()

    assert reverse("admin:shop_order_report") in index
    assert "1 order, 60.00 EUR in order totals" in page
    assert page.count('<svg class="report-chart"') == 2 and 'class="bar"' in page
    assert "No finished try-ons in this period." in page


@pytest.mark.django_db
def test_the_report_is_for_staff_only(client):
    url = reverse("admin:shop_order_report")
    client.force_login(make_user())
    assert client.get(url).status_code == 302

    staff_without_order_rights = make_user(is_staff=True)
    client.force_login(staff_without_order_rights)
    assert client.get(url).status_code == 403
    assert url not in client.get(reverse("admin:index")).content.decode()

    staff_without_order_rights.user_permissions.add(Permission.objects.get(codename="view_order"))
    assert client.get(url).status_code == 200
