"""The product list and product pages as a shopper sees them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from revetir.testing.factories import make_category, make_product

pytestmark = pytest.mark.django_db

LIST_URL = reverse("shop:product_list")


def test_product_list_shows_cards_with_image_alt_text_price_currency_and_sizes(client, settings):
    settings.SHOP_CURRENCY = "EUR"
    product = make_product("Navy Tee", price="19.50", stock={"M": 2, "S": 1, "L": 0}, with_image=True)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert product.get_absolute_url() in html
    assert 'alt="Navy Tee on a white background"' in html
    assert "19.50 EUR" in html
    assert "S · M" in html


def test_product_list_has_a_labelled_get_filter_form_and_two_level_category_navigation(client):
    women = make_category("Women")
    tops = make_category("Tops", parent=women)

    response = client.get(LIST_URL)

    html = response.content.decode()
    assert 'method="get"' in html
    for field in ("q", "category", "size", "min_price", "max_price", "sort"):
        assert f'<label for="id_{field}">' in html
    assert women.get_absolute_url() in html
    assert tops.get_absolute_url() in html


def test_product_list_filters_by_query_string(client):
    women = make_category("Women")
    make_product("Silk Blouse", category=make_category("Shirts", parent=women))
    make_product("Rugby Shirt", category=make_category("Men"))

    response = client.get(LIST_URL, {"category": women.slug, "q": "blouse"})

    assert [product.name for product in response.context["products"]] == ["Silk Blouse"]
    assert response.context["selected_category"] == women


@pytest.mark.parametrize(
    ("query", "title", "heading"),
    [
        ({}, "<title>Shop · Revetir</title>", "All products"),
        ({"q": "blouse"}, "<title>Search results for “blouse” · Revetir</title>", "Search results for “blouse”"),
        ({"q": "<b>", "category": True}, "Search results for “&lt;b&gt;” in Women", "Search results for “&lt;b&gt;”"),
        ({"category": True}, "<title>Women · Revetir</title>", "Women"),
    ],
)
def test_search_results_have_their_own_title_and_heading_saying_what_was_searched(client, query, title, heading):
    women = make_category("Women")
    if "category" in query:
        query = {**query, "category": women.slug}
    html = client.get(LIST_URL, query).content.decode()
    assert title in html
    assert f'<h1 id="catalogue-heading">{heading}' in html


def test_bad_filter_values_are_shown_next_to_their_fields_and_valid_filters_still_apply(client):
    make_product("Cheap Tee", price="10.00")
    make_product("Dear Tee", price="90.00")
    make_product("Cheap Shirt", price="10.00")

    response = client.get(LIST_URL, {"min_price": "abc", "sort": "cheapest", "q": "tee"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-describedby="id_min_price_error"' in html
    assert '<ul class="errorlist" id="id_min_price_error">' in html
    assert "Enter a number." in html
    assert "Sort by newest, price or name." in html
    assert sorted(product.name for product in response.context["products"]) == ["Cheap Tee", "Dear Tee"]


@pytest.mark.parametrize(("page", "expected_number"), [("2", 2), ("999", 2), ("abc", 1), ("-1", 2)])
def test_out_of_range_or_invalid_page_numbers_give_the_first_or_last_page(client, settings, page, expected_number):
    settings.SHOP_PAGE_SIZE = 2
    for index in range(3):
        make_product(f"Tee {index}")

    response = client.get(LIST_URL, {"page": page})

    assert response.status_code == 200
    assert response.context["page"].number == expected_number


def test_pagination_links_keep_the_filters(client, settings):
    settings.SHOP_PAGE_SIZE = 1
    make_product("Red Tee")
    make_product("Red Top")

    response = client.get(LIST_URL, {"q": "red", "sort": "name"})

    assert "?q=red&amp;sort=name&amp;page=2" in response.content.decode()


def test_product_list_query_count_does_not_grow_with_the_page_size(client, settings, django_assert_num_queries):
    women = make_category("Women")
    make_category("Tops", parent=women)
    for index in range(12):
        make_product(f"Tee {index}", stock={"S": 1, "M": 2}, with_image=True)

    # departments, sub-categories, count, products, primary images, variants in stock
    settings.SHOP_PAGE_SIZE = 2
    with django_assert_num_queries(6):
        client.get(LIST_URL)
    settings.SHOP_PAGE_SIZE = 12
    with django_assert_num_queries(6):
        response = client.get(LIST_URL)
    assert len(response.context["products"]) == 12


def test_product_page_shows_images_description_price_and_an_add_to_cart_form(client):
    product = make_product(
        "Striped Shirt", price="45.00", description="Oxford cotton.", stock={"M": 3, "S": 0}, with_image=True
    )
    medium = product.variants.get(size="M")
    small = product.variants.get(size="S")

    response = client.get(product.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert 'alt="Striped Shirt on a white background"' in html
    assert "Oxford cotton." in html
    assert "45.00" in html
    assert f'action="{reverse("shop:cart_add")}"' in html
    assert "csrfmiddlewaretoken" in html
    assert f'name="variant" value="{medium.pk}" required>' in html
    assert f'name="variant" value="{small.pk}" required disabled>' in html
    assert 'name="quantity"' in html


def test_product_page_of_a_sold_out_product_disables_adding_to_cart(client):
    product = make_product("Sold Out Tee", stock={"M": 0})

    html = client.get(product.get_absolute_url()).content.decode()

    assert "Sold out in every size." in html
    assert '<button type="submit" disabled>' in html


def test_inactive_or_unknown_products_are_not_found(client):
    inactive = make_product("Retired Tee", is_active=False)

    assert client.get(inactive.get_absolute_url()).status_code == 404
    assert client.get(reverse("shop:product_detail", kwargs={"slug": "no-such-tee"})).status_code == 404


def test_catalogue_pages_refuse_posts(client):
    assert client.post(LIST_URL).status_code == 405


@pytest.mark.django_db
def test_the_category_list_and_applied_filters_start_folded_so_a_phone_sees_products_first(client):
    """catalogue.js opens both panels on wide screens; the page itself keeps them folded unless a
    filter needs correcting, and the summaries say what is selected."""
    make_product(name="Folded Tee")

    filtered = client.get("/?size=M").content.decode()
    with_error = client.get("/?min_price=abc").content.decode()

    assert '<details class="category-panel" data-open-on-wide-screens>' in filtered
    assert '<details class="filters-panel" data-open-on-wide-screens>' in filtered
    assert 'Filter and sort<span class="muted">: filters applied</span>' in filtered
    assert 'Categories<span class="muted">: All products</span>' in filtered
    assert '<details class="filters-panel" data-open-on-wide-screens open>' in with_error
