"""The product page's gallery and size finder, and the same in the product API."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import BodyProfile
from accounts.services import body_profile_save
from revetir.testing.factories import make_product, make_user, png_bytes
from shop.models import ProductImage, SizeChartRow

CHART = {
    "S": ((86, 91), (70, 75)),
    "M": ((92, 99), (76, 83)),
    "L": ((100, 107), (84, 91)),
}


def add_size_chart(product) -> None:
    for size, (chest, waist) in CHART.items():
        SizeChartRow.objects.create(
            product=product,
            size=size,
            chest_min_cm=chest[0],
            chest_max_cm=chest[1],
            waist_min_cm=waist[0],
            waist_max_cm=waist[1],
            length_cm=70,
        )


def add_gallery_image(product, *, position: int, alt_text: str) -> ProductImage:
    return ProductImage.objects.create(
        product=product,
        image=SimpleUploadedFile(f"extra-{position}.png", png_bytes(colour=(30, 90, 200)), content_type="image/png"),
        alt_text=alt_text,
        position=position,
    )


@pytest.fixture
def sized_product(db):
    product = make_product("Linen Tee", stock={"S": 2, "M": 4, "L": 0}, with_image=True)
    add_size_chart(product)
    return product


def recommended_labels(page: str) -> list[str]:
    return re.findall(r'<label class="[^"]*recommended[^"]*">\s*<input[^>]*>\s*(\w+)', page)


@pytest.mark.django_db
def test_the_gallery_lists_every_picture_primary_first_with_thumbnails_and_a_zoom(client, sized_product):
    add_gallery_image(sized_product, position=2, alt_text="Close-up of the collar")
    add_gallery_image(sized_product, position=1, alt_text="Linen Tee on a sand backdrop")

    page = client.get(sized_product.get_absolute_url()).content.decode()

    alts = re.findall(r'<a class="gallery-image"[^>]*>\s*<img src="[^"]+" alt="([^"]+)"', page)
    assert alts == ["Linen Tee on a white background", "Linen Tee on a sand backdrop", "Close-up of the collar"]
    assert page.count("data-gallery-thumb=") == 3
    assert "data-gallery-zoom" in page and "js/gallery.js" in page
    # Without JavaScript every picture is a link to its full-size file.
    for image in sized_product.images.all():
        assert f'href="{image.image.url}"' in page


@pytest.mark.django_db
def test_a_single_picture_gets_no_thumbnail_strip(client, sized_product):
    page = client.get(sized_product.get_absolute_url()).content.decode()

    assert "data-gallery-thumb=" not in page
    assert page.count('class="gallery-image"') == 1


@pytest.mark.django_db
def test_a_shopper_with_measurements_sees_their_size_marked_with_the_deciding_row(client, sized_product):
    shopper = make_user()
    body_profile_save(user=shopper, height_cm=178, weight_kg=74, chest_cm=96)
    client.force_login(shopper)

    page = client.get(sized_product.get_absolute_url()).content.decode()

    # Both size pickers carry the mark: the product's own and the one under the try-on result.
    assert recommended_labels(page) == ["M", "M"]
    assert "<strong>Recommended: M</strong> — chest 92–99 cm matches your 96 cm." in page
    assert '<tr class="recommended">' in page


@pytest.mark.django_db
def test_close_to_the_next_size_the_page_says_between_sizes_and_names_both(client, sized_product):
    shopper = make_user()
    body_profile_save(user=shopper, height_cm=178, weight_kg=74, fit_preference="loose", chest_cm=99)
    client.force_login(shopper)

    page = client.get(sized_product.get_absolute_url()).content.decode()

    assert recommended_labels(page) == ["L", "L"]
    assert "You are between sizes M and L; L suits a loose fit." in page


@pytest.mark.django_db
def test_without_measurements_the_page_invites_the_shopper_to_enter_them(client, sized_product):
    visitor_page = client.get(sized_product.get_absolute_url()).content.decode()
    client.force_login(make_user())
    shopper_page = client.get(sized_product.get_absolute_url()).content.decode()

    assert recommended_labels(visitor_page) == recommended_labels(shopper_page) == []
    assert "Log in</a> and enter your height and weight" in visitor_page
    assert f'href="{reverse("accounts:profile")}#size-finder">Enter your height and weight' in shopper_page


@pytest.mark.django_db
def test_a_product_without_a_size_chart_shows_no_size_finder(client):
    product = make_product(stock={"M": 3})
    shopper = make_user()
    body_profile_save(user=shopper, height_cm=178, weight_kg=74)
    client.force_login(shopper)

    page = client.get(product.get_absolute_url()).content.decode()

    assert "size-advice" not in page and "Size chart" not in page and "size-finder-prompt" not in page


@pytest.mark.django_db
def test_the_product_page_reads_a_bounded_number_of_queries(client, sized_product, django_assert_max_num_queries):
    shopper = make_user()
    body_profile_save(user=shopper, height_cm=178, weight_kg=74)
    client.force_login(shopper)
    for position in range(1, 4):
        add_gallery_image(sized_product, position=position, alt_text=f"Picture {position}")

    with django_assert_max_num_queries(16):
        response = client.get(sized_product.get_absolute_url())
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_product_api_gives_the_chart_and_a_signed_in_shoppers_recommendation(client, sized_product):
    url = f"/api/products/{sized_product.slug}/"
    anonymous = client.get(url).json()
    shopper = make_user()
    body_profile_save(user=shopper, height_cm=178, weight_kg=74, chest_cm=96)
    client.force_login(shopper)

    signed_in = client.get(url).json()

    assert anonymous["size_recommendation"] is None
    assert [row["size"] for row in anonymous["size_chart"]] == ["S", "M", "L"]
    assert anonymous["size_chart"][1] | {} == {
        "size": "M",
        "chest_min_cm": 92,
        "chest_max_cm": 99,
        "waist_min_cm": 76,
        "waist_max_cm": 83,
        "hips_min_cm": None,
        "hips_max_cm": None,
        "length_cm": 70,
    }
    recommendation = signed_in["size_recommendation"]
    assert recommendation["size"] == "M"
    assert recommendation["chart_row"] == {"size": "M", "from_cm": 92, "to_cm": 99}
    assert recommendation["message"] == "Recommended: M — chest 92–99 cm matches your 96 cm"
    assert [image["is_primary"] for image in signed_in["images"]] == [True]


@pytest.mark.django_db
def test_a_stored_measurement_outside_the_finders_bounds_gives_no_advice_instead_of_an_error(client, sized_product):
    shopper = make_user()
    body_profile_save(user=shopper, height_cm=178, weight_kg=74)
    BodyProfile.objects.filter(user=shopper).update(height_cm=50)  # written around the form's checks
    client.force_login(shopper)

    response = client.get(sized_product.get_absolute_url())

    assert response.status_code == 200
    assert "data-size-advice" not in response.content.decode()
