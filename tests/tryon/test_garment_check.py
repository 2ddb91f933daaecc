"""The staff check of a product's garment picture, from saving the image to what shoppers are offered.

A picture is checked once it is saved for good (after the transaction commits); staff see what is
wrong with its mask and what to upload instead; and a garment whose mask fails the check is not
offered for try-on (product page, page and API start, page try-ons, jobs) until the picture is replaced."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from PIL import Image
from rest_framework.test import APIClient

from revetir.testing.factories import make_staff, make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product, t_shirt_png
from shop.models import ProductImage
from tryon import preparations, services
from tryon.models import GarmentPreparation, TryOnJob
from tryon.pipeline.classic.engine import ClassicTryOnEngine
from tryon.templatetags.tryon_tags import GARMENT_NOT_OFFERED_MESSAGE

JOBS = "/api/tryon/jobs/"
PAGES = "/api/tryon/pages/"
RUNS_OFF_THE_BOTTOM = "runs off the picture's bottom"


def hem_cut_off_png() -> bytes:
    """The t-shirt picture with its lower part cut away by the frame: no mask of it can hold."""
    picture = Image.open(io.BytesIO(t_shirt_png())).crop((0, 0, 300, 300))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def make_flagged_product():
    """A product whose primary picture the classic engine prepared and the mask check flagged."""
    product = make_tryon_product()
    image = product.images.get()
    image.image = SimpleUploadedFile("cut-off.png", hem_cut_off_png(), "image/png")
    image.save()
    preparations.prepare_garment_in_background(product_image_id=image.pk, engine=ClassicTryOnEngine())
    return product


@pytest.fixture
def classic(settings):
    settings.TRYON_ENGINE = "classic"


@pytest.mark.django_db
def test_a_saved_product_image_is_checked_only_once_the_transaction_commits(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.TRYON_PREPARE_IN_BACKGROUND = True
    requested: list[tuple[str, object]] = []
    monkeypatch.setattr("tryon.jobs.dispatch.dispatch_preparation", lambda kind, pk: requested.append((kind, pk)))

    with django_capture_on_commit_callbacks() as callbacks:
        product = make_tryon_product()
        assert requested == []  # inside the transaction the worker would find neither row nor file
    for callback in callbacks:
        callback()

    assert requested == [("garment", product.images.get().pk)]


@pytest.mark.django_db
def test_admin_never_warns_about_a_gallery_close_up_even_one_flagged_before_only_primaries_were_checked(
    client, classic
):
    product = make_tryon_product()
    preparations.prepare_garment_in_background(product_image_id=product.images.get().pk, engine=ClassicTryOnEngine())
    close_up = ProductImage.objects.create(
        product=product,
        image=SimpleUploadedFile("close-up.png", hem_cut_off_png(), "image/png"),
        alt_text="Close-up of the fabric",
        position=2,
    )
    # A shop that ran before gallery pictures were left out keeps their flagged garment sides.
    GarmentPreparation.objects.create(
        product_image=close_up,
        engine_identity=preparations.current_engine_identity(),
        image_name=close_up.image.name,
        mask_problems=[f"The garment {RUNS_OFF_THE_BOTTOM}."],
    )
    client.force_login(make_staff())

    page = client.get(f"/admin/shop/product/{product.pk}/change/").content.decode()

    assert "The mask looks right." in page
    assert page.count("Not used by try-on") == 1
    assert escape(RUNS_OFF_THE_BOTTOM) not in page
    assert 'class="garment-mask-warning"' not in page
    assert "Shoppers cannot try this garment on" not in page


@pytest.mark.django_db
def test_admin_says_what_is_wrong_with_a_flagged_mask_and_never_that_it_looks_right(client, classic):
    product = make_flagged_product()
    client.force_login(make_staff())

    page = client.get(f"/admin/shop/product/{product.pk}/change/").content.decode()

    assert escape(RUNS_OFF_THE_BOTTOM) in page
    assert "Upload a picture showing the whole garment" in page
    assert "Shoppers cannot try this garment on until the picture is replaced" in page
    assert "The mask looks right." not in page


@pytest.mark.django_db
def test_admin_says_staff_may_upload_cut_outs(client):
    product = make_tryon_product()
    client.force_login(make_staff())

    page = client.get(f"/admin/shop/product/{product.pk}/change/").content.decode()

    assert "cut-out (PNG or WebP with a transparent background)" in page


@pytest.mark.django_db
def test_admin_says_a_good_mask_looks_right_and_shoppers_are_offered_the_garment(client, classic):
    product = make_tryon_product()
    image = product.images.get()
    preparations.prepare_garment_in_background(product_image_id=image.pk, engine=ClassicTryOnEngine())
    client.force_login(make_staff())

    page = client.get(f"/admin/shop/product/{product.pk}/change/").content.decode()

    assert GarmentPreparation.objects.get(product_image=image).mask_problems == []
    assert "The mask looks right." in page
    client.force_login(make_user())
    assert 'action="/tryon/jobs/"' in client.get(product.get_absolute_url()).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [True, False], ids=["shopper", "visitor"])
def test_the_product_page_says_plainly_that_a_flagged_garment_cannot_be_tried_on(client, classic, signed_in):
    product = make_flagged_product()
    if signed_in:
        client.force_login(make_user())

    page = client.get(product.get_absolute_url()).content.decode()

    assert escape(GARMENT_NOT_OFFERED_MESSAGE) in page
    assert 'action="/tryon/jobs/"' not in page and "Log in to try it on" not in page


@pytest.mark.django_db
def test_the_api_refuses_a_flagged_garment_with_409_and_queues_nothing(classic, dispatched):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    api = APIClient()
    api.force_authenticate(user)

    response = api.post(JOBS, {"photo_id": photo.pk, "product": make_flagged_product().pk})

    assert response.status_code == 409
    assert response.json() == {"status": 409, "message": preparations.GARMENT_REFUSED_MESSAGE}
    assert not TryOnJob.objects.exists() and dispatched == []


@pytest.mark.django_db
def test_the_try_on_form_refuses_a_flagged_garment_with_409_and_says_why(client, classic, dispatched):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    client.force_login(user)

    response = client.post(reverse("tryon:job_create"), {"product": make_flagged_product().pk, "photo_id": photo.pk})

    assert response.status_code == 409
    assert "This garment cannot be tried on yet" in response.content.decode()
    assert not TryOnJob.objects.exists()


@pytest.mark.django_db
def test_a_page_try_on_leaves_a_flagged_garment_out(classic, dispatched):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    good, flagged = make_tryon_product(), make_flagged_product()
    api = APIClient()
    api.force_authenticate(user)

    both = api.post(PAGES, {"photo_id": photo.pk, "products": [good.pk, flagged.pk]}, format="json")
    only_flagged = api.post(PAGES, {"photo_id": photo.pk, "products": [flagged.pk]}, format="json")

    assert both.status_code == 202 and [job["product"] for job in both.json()["jobs"]] == [good.pk]
    assert only_flagged.status_code == 409


@pytest.mark.django_db
def test_a_job_that_meets_a_flagged_garment_side_is_refused_with_the_shoppers_message(classic):
    product = make_flagged_product()
    image = product.images.get()

    with pytest.raises(preparations.GarmentRefusedError, match="cannot be tried on yet"):
        preparations.garment_side(product_image=image, engine=ClassicTryOnEngine())
    assert RUNS_OFF_THE_BOTTOM in " ".join(GarmentPreparation.objects.get(product_image=image).mask_problems)


@pytest.mark.django_db
def test_replacing_the_picture_offers_the_garment_again(client, classic):
    product = make_flagged_product()
    image: ProductImage = product.images.get()
    image.image = SimpleUploadedFile("t-shirt.png", t_shirt_png(), "image/png")
    image.save()
    assert escape(GARMENT_NOT_OFFERED_MESSAGE) not in client.get(product.get_absolute_url()).content.decode()

    preparations.prepare_garment_in_background(product_image_id=image.pk, engine=ClassicTryOnEngine())

    assert escape(GARMENT_NOT_OFFERED_MESSAGE) not in client.get(product.get_absolute_url()).content.decode()
