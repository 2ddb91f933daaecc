"""The product page's shared parts come from the catalogue cache: few queries on a repeat visit,
every change a shopper must see shows on the next render, and no shopper's parts reach another."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.middleware.csrf import _unmask_cipher_token
from django.urls import reverse
from django.utils.html import escape

from accounts.services import body_profile_save
from revetir.testing.factories import make_staff, make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from shop.models import Product, ProductImage, SizeChartRow
from shop.stock import reserve_stock
from shop.templatetags.catalogue_fragments import CSRF_PLACEHOLDER
from tests.shop.helpers_cart_orders import fill_cart
from tests.shop.test_gallery_and_size_finder import add_gallery_image, add_size_chart, recommended_labels
from tests.tryon.test_garment_check import hem_cut_off_png
from tryon import preparations, services
from tryon.pipeline.classic.engine import ClassicTryOnEngine
from tryon.templatetags.tryon_tags import GARMENT_NOT_OFFERED_MESSAGE

pytestmark = pytest.mark.django_db


@pytest.fixture
def shown(db) -> Product:
    """A garment with a size chart, two gallery pictures and another garment of its category."""
    product = make_tryon_product(name="Linen Tee")
    add_size_chart(product)
    add_gallery_image(product, position=1, alt_text="Linen Tee on a sand backdrop")
    make_tryon_product(name="Other Tee", category=product.category)
    return product


def without_csrf_tokens(page: str) -> str:
    """The page with its form tokens blanked (each response masks the token afresh)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', page)


def gallery_alts(page: str) -> list[str]:
    return re.findall(r'<a class="gallery-image"[^>]*>\s*<img src="[^"]+" alt="([^"]+)"', page)


def size_radio(page: str, size: str) -> str:
    return re.search(rf'<input type="radio" name="variant"[^>]*>\s*{size}\b', page).group(0)


def test_a_repeated_visit_reads_at_most_one_query_and_shows_every_part(client, shown, django_assert_max_num_queries):
    first = client.get(shown.get_absolute_url()).content.decode()

    with django_assert_max_num_queries(1):  # the try-on check of the garment's picture
        second = client.get(shown.get_absolute_url()).content.decode()

    assert without_csrf_tokens(second) == without_csrf_tokens(first)
    assert gallery_alts(second) == ["Linen Tee on a white background", "Linen Tee on a sand backdrop"]
    assert "data-gallery-zoom" in second  # cached HTML is not escaped a second time
    assert "Size chart (body measurements, cm)" in second
    assert f'action="{reverse("shop:cart_add")}"' in second
    assert "Log in to try it on" in second
    assert "More in " in second and "Other Tee" in second


def test_a_signed_in_repeat_visit_has_a_bounded_number_of_queries(client, shown, django_assert_max_num_queries):
    shopper = make_user()
    body_profile_save(user=shopper, height_cm=178, weight_kg=74, chest_cm=96)
    services.save_person_photo(user=shopper, upload=astronaut_upload())
    fill_cart(shopper, (shown.variants.get(size="S"), 2))
    client.force_login(shopper)
    client.get(shown.get_absolute_url())

    # the user with the body profile; the session, the cart badge and the saved photos (for the try-on
    # panel, its form, their numbering and "See it on me") are kept between pages
    with django_assert_max_num_queries(2):
        page = client.get(shown.get_absolute_url()).content.decode()

    assert recommended_labels(page) == ["M", "M"]
    assert 'action="/tryon/jobs/"' in page
    assert re.search(r'<span class="badge" aria-label="2 items">2</span>', page)
    assert re.search(r'name="photo_id" value="[^"]+"[^>]*>\s*<img', page)  # the saved photo to choose
    assert "Photo 1 · " in page
    assert "See it on me" in page and "Other Tee" in page


def test_a_signed_in_shopper_without_photos_or_size_advice_reads_one_query(client, django_assert_max_num_queries):
    product = make_tryon_product(name="Chartless Tee")  # no size chart: no advice to give
    make_tryon_product(name="Other Chartless Tee", category=product.category)
    shopper = make_user()
    body_profile_save(user=shopper, height_cm=178, weight_kg=74)
    client.force_login(shopper)
    client.get(product.get_absolute_url())

    with django_assert_max_num_queries(1):  # the user (the session, cart badge and saved photos are kept)
        page = client.get(product.get_absolute_url()).content.decode()

    assert 'action="/tryon/jobs/"' in page and "Your photo" in page
    assert "Save a photo of yourself" in page and "Other Chartless Tee" in page


def test_every_form_of_a_signed_in_page_carries_that_shoppers_own_token(client, shown):
    first, second = make_user(), make_user()
    client.force_login(first)
    first_page = client.get(shown.get_absolute_url()).content.decode()  # fills the shared panel
    client.force_login(second)

    second_page = client.get(shown.get_absolute_url()).content.decode()

    first_tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', first_page))
    second_tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', second_page)
    # the header's log-out form, the cart form, the try-on form and the cart form after a try-on
    assert len(second_tokens) == 4 and len(set(second_tokens)) == 1
    assert not first_tokens & set(second_tokens)
    secret = client.cookies[settings.CSRF_COOKIE_NAME].value
    assert _unmask_cipher_token(second_tokens[0]) == secret
    assert CSRF_PLACEHOLDER not in second_page


def test_one_shoppers_size_photos_and_form_token_never_reach_another_visitor(client, shown):
    shopper = make_user()
    body_profile_save(user=shopper, height_cm=178, weight_kg=74, chest_cm=96)
    services.save_person_photo(user=shopper, upload=astronaut_upload())
    client.force_login(shopper)
    signed_in = client.get(shown.get_absolute_url()).content.decode()
    client.logout()

    anonymous = client.get(shown.get_absolute_url()).content.decode()
    client.force_login(shopper)  # and after a visitor's render, the shopper's marks are back
    signed_in_again = client.get(shown.get_absolute_url()).content.decode()

    assert recommended_labels(signed_in_again) == ["M", "M"] and '<tr class="recommended">' in signed_in_again
    assert 'action="/tryon/jobs/"' in signed_in_again and "Log in to try it on" not in signed_in_again
    assert "Enter your height and weight" not in signed_in_again
    assert "Recommended: M" in signed_in and "Recommended: M" not in anonymous
    assert recommended_labels(anonymous) == [] and '<tr class="recommended">' not in anonymous
    assert "See it on me" in signed_in and "See it on me" not in anonymous
    assert "Log out" not in anonymous and "Log in to try it on" in anonymous
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', signed_in).group(1)
    assert token not in anonymous


def test_a_sale_shows_on_the_next_render(client, shown):
    assert "disabled" not in size_radio(client.get(shown.get_absolute_url()).content.decode(), "L")

    # A conditional UPDATE, as checkout reserves stock: no model signal is sent.
    assert reserve_stock(variant_id=shown.variants.get(size="L").pk, quantity=2)

    assert "disabled" in size_radio(client.get(shown.get_absolute_url()).content.decode(), "L")


def test_another_garments_stock_shows_in_its_card_on_the_next_render(client, shown):
    other = Product.objects.get(name="Other Tee")
    assert "Out of stock" not in client.get(shown.get_absolute_url()).content.decode()

    for variant in other.variants.all():
        assert reserve_stock(variant_id=variant.pk, quantity=variant.stock)

    assert "Out of stock" in client.get(shown.get_absolute_url()).content.decode()


def test_a_new_or_deleted_picture_shows_on_the_next_render(client, shown):
    client.get(shown.get_absolute_url())

    added = add_gallery_image(shown, position=2, alt_text="Close-up of the collar")
    assert "Close-up of the collar" in gallery_alts(client.get(shown.get_absolute_url()).content.decode())

    ProductImage.objects.get(pk=added.pk).delete()
    assert "Close-up of the collar" not in client.get(shown.get_absolute_url()).content.decode()


def test_a_price_a_description_and_a_size_chart_change_show_on_the_next_render(client, shown):
    client.get(shown.get_absolute_url())

    shown.price = "17.25"
    shown.description = "Now in heavier linen."
    shown.save()
    row = SizeChartRow.objects.get(product=shown, size="M")
    row.length_cm = 73
    row.save()

    page = client.get(shown.get_absolute_url()).content.decode()
    assert "17.25 EUR" in page
    assert "Now in heavier linen." in page
    assert '<td class="num">73</td>' in page


def test_a_product_deactivated_in_bulk_by_staff_is_gone_on_the_next_render(client, shown):
    assert client.get(shown.get_absolute_url()).status_code == 200
    client.force_login(make_staff())

    client.post(
        reverse("admin:shop_product_changelist"),
        {"action": "deactivate_products", "_selected_action": [shown.pk]},
    )
    client.logout()

    assert client.get(shown.get_absolute_url()).status_code == 404


def test_a_garment_the_staff_check_flags_after_the_page_was_cached_is_not_offered_on_the_next_render(client, settings):
    settings.TRYON_ENGINE = "classic"
    product = make_tryon_product(name="Cut Tee")
    image = product.images.get()
    image.image = SimpleUploadedFile("cut-off.png", hem_cut_off_png(), "image/png")
    image.save()
    assert "Log in to try it on" in client.get(product.get_absolute_url()).content.decode()  # not checked yet

    preparations.prepare_garment_in_background(product_image_id=image.pk, engine=ClassicTryOnEngine())

    page = client.get(product.get_absolute_url()).content.decode()
    assert escape(GARMENT_NOT_OFFERED_MESSAGE) in page
    assert "Log in to try it on" not in page
