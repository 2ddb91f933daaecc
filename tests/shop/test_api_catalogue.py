"""The read-only catalogue API: categories, filtered products, one product, and its schema."""

from __future__ import annotations

import pytest
from django.urls import reverse

from revetir.testing.factories import make_category, make_product

pytestmark = pytest.mark.django_db

PRODUCTS_URL = reverse("api-product-list")


def test_categories_are_listed_as_departments_with_sub_categories(client):
    women = make_category("Women")
    tops = make_category("Tops", parent=women)

    response = client.get(reverse("api-category-list"))

    assert response.status_code == 200
    assert response.json() == [{"name": "Women", "slug": women.slug, "children": [{"name": "Tops", "slug": tops.slug}]}]


def test_product_list_is_public_paginated_and_shows_cards(client, settings):
    settings.SHOP_PAGE_SIZE = 2
    make_product("Tee A", price="10.00", stock={"L": 1, "S": 2, "M": 0}, with_image=True)
    make_product("Tee B")
    make_product("Tee C")
    make_product("Hidden Tee", is_active=False)

    first = client.get(PRODUCTS_URL, {"sort": "name"}).json()
    second = client.get(first["next"]).json()

    assert first["count"] == 3
    assert [product["name"] for product in first["results"] + second["results"]] == ["Tee A", "Tee B", "Tee C"]
    card = first["results"][0]
    assert card["price"] == "10.00"
    assert card["currency"] == settings.SHOP_CURRENCY
    assert card["available_sizes"] == ["S", "L"]
    assert card["primary_image"]["url"].startswith("http://testserver/media/products/")
    assert card["primary_image"]["alt_text"] == "Tee A on a white background"


def test_product_list_applies_the_same_filters_as_the_page(client):
    women = make_category("Women")
    make_product("Linen Shirt", category=make_category("Shirts", parent=women), price="40.00", stock={"M": 1})
    make_product("Linen Dress", category=women, price="90.00", stock={"M": 1})
    make_product("Linen Trousers", category=make_category("Men"), price="40.00", stock={"M": 1})

    response = client.get(PRODUCTS_URL, {"q": "LINEN", "category": women.slug, "size": "M", "max_price": "50"})

    assert [product["name"] for product in response.json()["results"]] == ["Linen Shirt"]


def test_bad_filter_values_give_a_400_json_error_naming_each_field(client):
    response = client.get(PRODUCTS_URL, {"min_price": "abc", "sort": "cheapest", "category": "no-such-category"})

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert body["message"]
    assert set(body["errors"]) == {"min_price", "sort", "category"}
    assert body["errors"]["sort"] == ["Sort by newest, price or name."]


def test_product_detail_lists_variants_in_size_order_with_availability_and_images(client):
    product = make_product("Oxford Shirt", stock={"XL": 0, "S": 4}, with_image=True, description="Crisp cotton.")

    response = client.get(reverse("api-product-detail", kwargs={"slug": product.slug}))

    assert response.status_code == 200
    body = response.json()
    assert body["description"] == "Crisp cotton."
    assert body["supports_tryon"] is True
    assert [(v["size"], v["stock"], v["in_stock"]) for v in body["variants"]] == [("S", 4, True), ("XL", 0, False)]
    assert body["variants"][0]["sku"] == product.variants.get(size="S").sku
    assert body["images"][0]["is_primary"] is True
    assert body["images"][0]["url"].startswith("http://testserver/media/")


def test_inactive_or_unknown_product_gives_a_404_json_error(client):
    inactive = make_product("Retired", is_active=False)

    for slug in (inactive.slug, "no-such-product"):
        response = client.get(reverse("api-product-detail", kwargs={"slug": slug}))
        assert response.status_code == 404
        assert response.json() == {"status": 404, "message": "Not found."}


def test_catalogue_is_read_only(client):
    response = client.post(PRODUCTS_URL, {"name": "Sneaky"}, content_type="application/json")

    assert response.status_code in (403, 405)
    assert response.json()["status"] == response.status_code


def test_product_list_query_count_does_not_grow_with_the_page_size(client, settings, django_assert_num_queries):
    make_category("Women")
    for index in range(12):
        make_product(f"Tee {index}", stock={"S": 1}, with_image=True)

    # category menu (2), count, products, primary images, variants in stock
    settings.SHOP_PAGE_SIZE = 2
    with django_assert_num_queries(6):
        client.get(PRODUCTS_URL)
    settings.SHOP_PAGE_SIZE = 12
    with django_assert_num_queries(6):
        assert len(client.get(PRODUCTS_URL).json()["results"]) == 12


def test_schema_documents_the_catalogue_routes_and_filters(client):
    response = client.get(reverse("api-schema"), {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/categories/", "/api/products/", "/api/products/{slug}/"} <= set(paths)
    parameters = {parameter["name"] for parameter in paths["/api/products/"]["get"]["parameters"]}
    assert {"q", "category", "size", "min_price", "max_price", "sort", "page"} <= parameters
