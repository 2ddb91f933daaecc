"""Staff see try-on jobs and photos read-only, without the shoppers' pictures."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from revetir.testing.factories import make_staff, make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from tryon import services
from tryon.jobs import state, submit
from tryon.models import TryOnJob


@pytest.mark.django_db
def test_staff_can_list_and_open_jobs_but_not_add_change_or_delete_them(client, dispatched):
    owner = make_user()
    photo = services.save_person_photo(user=owner, upload=astronaut_upload())
    job = submit.submit_job(user=owner, photo=photo, product_image=make_tryon_product().images.get())
    client.force_login(make_staff())
    listing = client.get("/admin/tryon/tryonjob/")
    assert listing.status_code == 200
    assert owner.email in listing.content.decode()
    detail = client.get(f"/admin/tryon/tryonjob/{job.pk}/change/")
    assert detail.status_code == 200
    assert job.photo.file_name not in detail.content.decode()
    assert client.get("/admin/tryon/tryonjob/add/").status_code == 403
    assert client.post(f"/admin/tryon/tryonjob/{job.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/tryon/personphoto/").status_code == 200


@pytest.mark.django_db
def test_the_product_admin_shows_the_garment_mask_over_each_image_and_warns_when_it_looks_wrong(client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from revetir.testing.tryon_data import encode
    from shop.models import ProductImage
    from tryon import preparations
    from tryon.pipeline.classic.engine import ClassicTryOnEngine

    settings.TRYON_ENGINE = "classic"
    product = make_tryon_product()
    good = product.images.get()
    close_up = ProductImage.objects.create(
        product=product,
        image=SimpleUploadedFile("grey.png", encode(Image.new("RGB", (300, 400), (90, 90, 90))), "image/png"),
        alt_text="A close-up of the fabric",
        position=1,
    )
    background_left_in = make_tryon_product().images.get()
    background_left_in.image.save(
        "grey.png", SimpleUploadedFile("grey.png", encode(Image.new("RGB", (300, 400), (90, 90, 90))), "image/png")
    )
    engine = ClassicTryOnEngine()
    for image in (good, close_up, background_left_in):
        preparations.prepare_garment_in_background(product_image_id=image.pk, engine=engine)
    client.force_login(make_staff())

    page = client.get(f"/admin/shop/product/{product.pk}/change/").content.decode()
    bad_page = client.get(f"/admin/shop/product/{background_left_in.product_id}/change/").content.decode()

    assert page.count('src="data:image/png;base64,') == 1  # the primary picture's mask; the close-up has none
    assert "The mask looks right." in page
    assert "Not used by try-on" in page and 'class="garment-mask-warning"' not in page
    assert bad_page.count('class="garment-mask-warning"') >= 1


@pytest.mark.django_db
def test_the_product_admin_says_an_image_is_not_checked_yet_before_the_worker_prepared_it(client):
    product = make_tryon_product()
    client.force_login(make_staff())

    page = client.get(f"/admin/shop/product/{product.pk}/change/").content.decode()

    assert "Not checked yet" in page


@pytest.mark.django_db
def test_the_job_list_opens_with_the_queue_length_oldest_queued_age_and_jobs_per_state(client, dispatched):
    owner = make_user()
    photo = services.save_person_photo(user=owner, upload=astronaut_upload())
    first = submit.submit_job(user=owner, photo=photo, product_image=make_tryon_product().images.get())
    submit.submit_job(user=owner, photo=photo, product_image=make_tryon_product().images.get())
    state.claim_job(job_id=first.pk, worker="w")
    TryOnJob.objects.exclude(pk=first.pk).update(created_at=timezone.now() - timedelta(seconds=95))
    client.force_login(make_staff())

    page = client.get("/admin/tryon/tryonjob/").content.decode()

    header = page[page.index('class="tryon-queue"') : page.index("</section>")]
    assert "in-process worker" in header
    assert "queued <strong>1</strong> · running <strong>1</strong> · done <strong>0</strong>" in header
    assert re.search(r"<strong>9[5-9] s</strong> ago", header)  # 95 s and the test's own run time


@pytest.mark.django_db
def test_staff_see_what_a_photo_can_be_used_for_but_not_the_shoppers_body_keypoints(client):
    photo = services.save_person_photo(user=make_user(), upload=astronaut_upload())
    client.force_login(make_staff())
    page = client.get(f"/admin/tryon/personphoto/{photo.pk}/change/").content.decode()
    assert "Upper body (tops, shirts, jumpers): yes" in page
    assert "Lower body (trousers, skirts) or Full body (dresses): no (This photo shows you from the waist up" in page
    assert "left_shoulder" not in page and "visibility" not in page


@pytest.mark.django_db
def test_staff_read_try_on_jobs_and_shopper_photos_in_plain_words(client, dispatched):
    owner = make_user()
    photo = services.save_person_photo(user=owner, upload=astronaut_upload())
    job = submit.submit_job(user=owner, photo=photo, product_image=make_tryon_product().images.get())
    client.force_login(make_staff())

    index = client.get("/admin/").content.decode()
    job_page = client.get(f"/admin/tryon/tryonjob/{job.pk}/change/").content.decode()
    photo_page = client.get(f"/admin/tryon/personphoto/{photo.pk}/change/").content.decode()

    assert "Try-on jobs" in index
    assert "Shopper photos" in index
    assert "Try on jobs" not in index
    assert "Person photos" not in index
    assert "Engine and weights" in job_page
    assert "Worker last seen" in job_page
    assert "Product picture" in job_page
    assert "Heartbeat at" not in job_page
    assert "Engine identity" not in job_page
    assert "Content hash" not in photo_page
    assert photo.content_hash not in photo_page
