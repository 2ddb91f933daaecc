"""The "Try it on" panel on the product page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone

from revetir.testing.factories import make_product, make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from tryon import services


@pytest.mark.django_db
def test_visitors_are_asked_to_log_in_to_try_it_on(client):
    product = make_tryon_product()
    page = client.get(product.get_absolute_url()).content.decode()
    assert "Log in to try it on" in page
    assert f"?next={product.get_absolute_url()}" in page.replace("%2F", "/")
    assert "js/tryon.js" not in page


@pytest.mark.django_db
def test_a_signed_in_shopper_gets_the_upload_form_progress_bar_and_script(client):
    user = make_user()
    product = make_tryon_product()
    client.force_login(user)
    page = client.get(product.get_absolute_url()).content.decode()
    assert 'action="/tryon/jobs/"' in page
    assert 'enctype="multipart/form-data"' in page
    assert '<label for="id_photo">Your photo</label>' in page
    assert "<progress" in page
    assert "js/tryon.js" in page
    assert "csrfmiddlewaretoken" in page


@pytest.mark.django_db
def test_saved_photos_are_offered_but_only_the_shoppers_own(client):
    user, other = make_user(), make_user()
    mine = services.save_person_photo(user=user, upload=astronaut_upload())
    theirs = services.save_person_photo(user=other, upload=astronaut_upload())
    client.force_login(user)
    page = client.get(make_tryon_product().get_absolute_url()).content.decode()
    assert f'type="radio" name="photo_id" value="{mine.pk}"' in page
    assert f'name="photo_id" value="{theirs.pk}"' not in page
    assert reverse("tryon:photo_image", args=[mine.pk]) in page
    assert reverse("tryon:photo_image", args=[theirs.pk]) not in page


@pytest.mark.django_db
def test_saved_photos_are_offered_with_thumbnails_and_labels_that_tell_them_apart(client):
    user = make_user()
    first = services.save_person_photo(user=user, upload=astronaut_upload())
    second = services.save_person_photo(user=user, upload=astronaut_upload(mirrored=True))
    client.force_login(user)
    page = client.get(make_tryon_product().get_absolute_url()).content.decode()

    assert page.count('class="photo-choice"') == 3  # two photos and "Upload a new photo"
    for number, photo in ((1, first), (2, second)):
        when = dateformat.format(timezone.localtime(photo.created_at), "j M Y, H:i")
        assert f"Photo {number} · {when}" in page
        assert f'<img src="{reverse("tryon:photo_image", args=[photo.pk])}"' in page
    assert "Upload a new photo" in page
    assert "Photo from" not in page


@pytest.mark.django_db
def test_a_product_without_a_garment_picture_says_try_on_is_unavailable(client):
    client.force_login(make_user())
    page = client.get(make_product().get_absolute_url()).content.decode()
    assert "Try-on is not available for this product." in page


@pytest.mark.django_db
def test_the_try_on_form_starts_on_the_best_saved_photo_for_the_garment_not_on_a_new_upload():
    from tests.tryon.test_wear_choices import FULL_LENGTH, WAIST_UP, saved_photo
    from tryon.forms import TryOnForm

    user = make_user()
    full_length = saved_photo(user, FULL_LENGTH, minutes_ago=60)
    waist_up = saved_photo(user, WAIST_UP, minutes_ago=1)

    assert TryOnForm(user=user, garment_type="lower_body").initial["photo_id"] == full_length.pk
    assert TryOnForm(user=user, garment_type="upper_body").initial["photo_id"] == waist_up.pk
    assert "photo_id" not in TryOnForm(user=make_user(), garment_type="upper_body").initial
    only_waist_up = make_user()
    saved_photo(only_waist_up, WAIST_UP, minutes_ago=1)
    assert "photo_id" not in TryOnForm(user=only_waist_up, garment_type="full_body").initial  # it cannot


@pytest.mark.django_db
def test_the_product_page_checks_the_saved_photo_and_asks_for_the_photo_the_garment_needs(client):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    top = make_tryon_product()
    trousers = make_tryon_product(garment_type="lower_body")
    client.force_login(user)

    top_page = client.get(top.get_absolute_url()).content.decode()
    trousers_page = client.get(trousers.get_absolute_url()).content.decode()

    assert f'name="photo_id" value="{photo.pk}" id="id_photo_id_1" checked>' in top_page
    assert 'name="photo_id" value="" id="id_photo_id_0">' in top_page  # "Upload a new photo", not chosen
    assert "Face the camera with your upper body visible, from your head to your hips." in top_page
    assert "Face the camera in a full-length photo, from your head down to your feet." in trousers_page
    assert "upper body visible" not in trousers_page
