"""What staff read in the admin: the site's own name, order messages, and "View on site" links that work."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.html import strip_tags

from revetir.testing.factories import make_order, make_product, make_staff
from shop.models import OrderStatus
from tests.shop.test_admin import post_order_status


@pytest.fixture
def staff_client(client):
    client.force_login(make_staff())
    return client


@pytest.mark.django_db
def test_admin_pages_are_titled_revetir_administration(staff_client):
    html = staff_client.get(reverse("admin:index")).content.decode()
    assert "Revetir administration" in html
    assert "Django administration" not in html
    assert "<title>Shop administration | Revetir administration</title>" in html


@pytest.mark.django_db
def test_order_change_message_names_the_order_by_its_number(staff_client):
    order = make_order(status=OrderStatus.PLACED)
    response = post_order_status(staff_client, order, OrderStatus.PROCESSING)
    texts = [strip_tags(str(message)) for message in get_messages(response.wsgi_request)]
    assert texts == [f"The order “{order.number}” was changed successfully."]


@pytest.mark.django_db
def test_order_admin_has_no_view_on_site_link_to_the_owner_only_order_page(staff_client):
    order = make_order()
    html = staff_client.get(reverse("admin:shop_order_change", args=[order.pk])).content.decode()
    assert "View on site" not in html
    assert order.get_absolute_url() not in html


@pytest.mark.django_db
def test_product_admin_view_on_site_opens_the_product_page(staff_client):
    product = make_product()
    html = staff_client.get(reverse("admin:shop_product_change", args=[product.pk])).content.decode()
    assert "View on site" in html
    link = reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(product).pk, product.pk])
    assert link in html
    response = staff_client.get(link, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith(product.get_absolute_url())


@pytest.mark.django_db
def test_order_page_says_in_words_whether_the_stock_was_returned(staff_client):
    order = make_order(status=OrderStatus.PLACED)
    placed = strip_tags(staff_client.get(reverse("admin:shop_order_change", args=[order.pk])).content.decode())
    assert "Taken from stock for this order" in placed
    assert "Stock released" not in placed

    post_order_status(staff_client, order, OrderStatus.CANCELLED)
    cancelled = strip_tags(staff_client.get(reverse("admin:shop_order_change", args=[order.pk])).content.decode())
    assert "Returned to stock when the order was cancelled" in cancelled
    assert "Stock released" not in cancelled


@pytest.mark.django_db
def test_admin_index_names_sections_in_staff_words(staff_client):
    html = staff_client.get(reverse("admin:index")).content.decode()
    assert "App sign-in tokens" in html
    assert "Auth Token" not in html
    assert "Try-on jobs" in html
    assert "Try on jobs" not in html
