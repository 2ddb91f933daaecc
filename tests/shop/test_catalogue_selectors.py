"""Catalogue reads: every filter, search, sorting and pagination of `shop.selectors`."""

from __future__ import annotations

from decimal import Decimal

import pytest

from revetir.testing.factories import make_category, make_product
from shop.forms import ProductFilterForm
from shop.selectors import category_tree, product_detail, product_list, product_page

pytestmark = pytest.mark.django_db


def names(products) -> list[str]:
    return [product.name for product in products]


def test_product_list_hides_inactive_products():
    make_product("Visible Tee")
    make_product("Hidden Tee", is_active=False)

    assert names(product_list()) == ["Visible Tee"]


def test_search_matches_name_or_description_in_any_case():
    make_product("Linen Shirt", description="Cool in summer")
    make_product("Wool Jumper", description="A LINEN-look knit")
    make_product("Cotton Tee", description="Everyday")

    assert sorted(names(product_list(filters={"q": "linen"}))) == ["Linen Shirt", "Wool Jumper"]
    assert names(product_list(filters={"q": "SUMMER"})) == ["Linen Shirt"]


def test_top_level_category_includes_its_sub_categories_but_a_sub_category_only_itself():
    women = make_category("Women")
    tops = make_category("Tops", parent=women)
    shirts = make_category("Shirts", parent=women)
    men = make_category("Men")
    make_product("Women Tee", category=tops)
    make_product("Women Shirt", category=shirts)
    make_product("Women Scarf", category=women)
    make_product("Men Tee", category=men)

    assert sorted(names(product_list(filters={"category": women}))) == ["Women Scarf", "Women Shirt", "Women Tee"]
    assert names(product_list(filters={"category": tops})) == ["Women Tee"]


def test_size_filter_keeps_only_products_with_that_size_in_stock_once_each():
    make_product("M In Stock", stock={"S": 3, "M": 2})
    make_product("M Sold Out", stock={"M": 0, "L": 4})
    make_product("No M", stock={"L": 4})

    assert names(product_list(filters={"size": "M"})) == ["M In Stock"]
    assert product_list(filters={"size": "L"}).count() == 2


def test_price_range_is_inclusive_at_both_ends():
    for price in ("9.99", "10.00", "20.00", "20.01"):
        make_product(f"Price {price}", price=price)

    filtered = product_list(filters={"min_price": Decimal("10.00"), "max_price": Decimal("20.00")})

    assert sorted(names(filtered)) == ["Price 10.00", "Price 20.00"]


def test_filters_combine():
    department = make_category("Unisex")
    make_product("Cheap Red Hoodie", category=department, price="30.00", stock={"L": 2})
    make_product("Dear Red Hoodie", category=department, price="90.00", stock={"L": 2})
    make_product("Cheap Red Hoodie Sold Out", category=department, price="30.00", stock={"L": 0})
    make_product("Cheap Red Tee", price="30.00", stock={"L": 2})

    filters = {"q": "hoodie", "category": department, "size": "L", "max_price": Decimal("50")}

    assert names(product_list(filters=filters)) == ["Cheap Red Hoodie"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["Cardigan", "Blouse", "Anorak"]),
        ("price_asc", ["Blouse", "Anorak", "Cardigan"]),
        ("price_desc", ["Cardigan", "Anorak", "Blouse"]),
        ("name", ["Anorak", "Blouse", "Cardigan"]),
    ],
)
def test_sorting(sort, expected):
    make_product("Anorak", price="50.00")
    make_product("Blouse", price="20.00")
    make_product("Cardigan", price="80.00")

    assert names(product_list(filters={"sort": sort})) == expected


def test_product_page_paginates_and_gives_the_last_page_for_a_page_past_the_end():
    for index in range(5):
        make_product(f"Tee {index}")

    second = product_page(page_number="2", page_size=2)
    past_the_end = product_page(page_number="99", page_size=2)
    not_a_number = product_page(page_number="abc", page_size=2)

    assert (second.number, len(second.object_list)) == (2, 2)
    assert (past_the_end.number, names(past_the_end.object_list)) == (3, ["Tee 0"])
    assert not_a_number.number == 1


def test_product_page_gives_each_card_its_primary_image_and_sizes_in_stock_in_chart_order():
    make_product("Tee", stock={"XL": 1, "S": 2, "M": 0, "XS": 5}, with_image=True)
    make_product("Bare Tee")

    page = product_page(filters={"sort": "name"}, page_number=1, page_size=10)
    bare, tee = page.object_list

    assert tee.available_sizes == ["XS", "S", "XL"]
    assert tee.primary_image.alt_text == "Tee on a white background"
    assert bare.primary_image is None


def test_listing_costs_the_same_number_of_queries_for_few_or_many_products(django_assert_num_queries):
    for index in range(12):
        make_product(f"Tee {index}", stock={"S": 1, "M": 2}, with_image=True)

    with django_assert_num_queries(4):  # count, products, primary images, variants in stock
        product_page(page_number=1, page_size=2)
    with django_assert_num_queries(4):
        product_page(page_number=1, page_size=12)


def test_product_detail_finds_active_products_only_with_variants_in_size_order():
    make_product("Shirt", stock={"L": 1, "XS": 0, "M": 3})
    make_product("Retired Shirt", is_active=False)
    shirt_slug = product_list().get(name="Shirt").slug

    shirt = product_detail(slug=shirt_slug)

    assert [variant.size for variant in shirt.sized_variants] == ["XS", "M", "L"]
    assert shirt.has_stock
    assert product_detail(slug="no-such-product") is None
    assert product_detail(slug=make_product("Gone", is_active=False).slug) is None


def test_category_tree_lists_departments_with_their_sub_categories(django_assert_num_queries):
    women = make_category("Women")
    make_category("Tops", parent=women)
    make_category("Shirts", parent=women)
    make_category("Men")

    with django_assert_num_queries(2):
        tree = category_tree()
        children = {department.name: sorted(c.name for c in department.children.all()) for department in tree}

    assert children == {"Women": ["Shirts", "Tops"], "Men": []}


class TestFilterForm:
    def test_accepts_category_by_slug_and_defaults_sort_to_newest(self):
        category = make_category("Tops")
        form = ProductFilterForm({"category": category.slug, "min_price": "10"})

        assert form.is_valid(), form.errors
        assert form.cleaned_data["category"] == category
        assert form.cleaned_data["sort"] == "newest"

    def test_rejects_bad_values_field_by_field(self):
        form = ProductFilterForm(
            {"min_price": "abc", "sort": "cheapest", "size": "XXXL", "category": "nope", "max_price": "-1"}
        )

        assert not form.is_valid()
        assert set(form.errors) == {"min_price", "sort", "size", "category", "max_price"}

    def test_rejects_a_maximum_below_the_minimum(self):
        form = ProductFilterForm({"min_price": "50", "max_price": "10"})

        assert not form.is_valid()
        assert "max_price" in form.errors
