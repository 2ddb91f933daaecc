"""Try-on pages and the owner-only media view."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import strip_tags

from accounts.services import body_profile_save
from revetir.testing.factories import make_user, png_bytes
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from shop.models import ProductImage, SizeChartRow
from tryon import selectors, services
from tryon.jobs import submit
from tryon.models import JobStatus, PersonPhoto, TryOnJob
from tryon.storage import save_private_file


def job_for(user):
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    return submit.submit_job(user=user, photo=photo, product_image=make_tryon_product().images.get())


def finished(job):
    result = save_private_file(folder="results", extension="jpg", content=b"\xff\xd8full")
    small = save_private_file(folder="results", extension="jpg", content=b"\xff\xd8small")
    TryOnJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, engine="classic", result_name=result, result_small_name=small
    )
    job.refresh_from_db()
    return job


@pytest.mark.django_db
def test_private_pages_send_visitors_to_log_in(client, dispatched):
    job = job_for(make_user())
    for url in (
        reverse("tryon:photo_list"),
        reverse("tryon:job_detail", args=[job.pk]),
        reverse("tryon:photo_image", args=[job.photo_id]),
        reverse("tryon:job_result", args=[job.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_the_owner_gets_their_photo_and_results_streamed_privately(client, dispatched):
    owner = make_user()
    job = finished(job_for(owner))
    client.force_login(owner)
    photo = client.get(reverse("tryon:photo_image", args=[job.photo_id]))
    assert photo.status_code == 200
    assert photo["Content-Type"] == "image/jpeg"
    assert photo["Cache-Control"].startswith("private")
    assert b"".join(photo.streaming_content)[:2] == b"\xff\xd8"
    full = client.get(reverse("tryon:job_result", args=[job.pk]))
    assert b"".join(full.streaming_content) == b"\xff\xd8full"
    small = client.get(reverse("tryon:job_result_small", args=[job.pk]))
    assert b"".join(small.streaming_content) == b"\xff\xd8small"


@pytest.mark.django_db
def test_another_shopper_gets_404_for_photos_results_and_job_pages(client, dispatched):
    job = finished(job_for(make_user()))
    client.force_login(make_user())
    for url in (
        reverse("tryon:photo_image", args=[job.photo_id]),
        reverse("tryon:job_result", args=[job.pk]),
        reverse("tryon:job_result_small", args=[job.pk]),
        reverse("tryon:job_detail", args=[job.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("tryon:photo_delete", args=[job.photo_id])).status_code == 404
    assert client.post(reverse("tryon:job_delete", args=[job.pk])).status_code == 404
    assert TryOnJob.objects.filter(pk=job.pk).exists()


@pytest.mark.django_db
def test_media_settings_keep_photos_out_of_the_public_media_folder(settings, dispatched):
    job = job_for(make_user())
    assert not (settings.MEDIA_ROOT / job.photo.file_name).exists()
    assert (settings.PRIVATE_MEDIA_ROOT / job.photo.file_name).exists()


@pytest.mark.django_db
def test_my_photos_lists_uploads_and_deletes_them(client, dispatched):
    owner = make_user()
    client.force_login(owner)
    response = client.post(reverse("tryon:photo_list"), {"photo": astronaut_upload()})
    assert response.status_code == 302
    photo = PersonPhoto.objects.get(owner=owner)
    page = client.get(reverse("tryon:photo_list")).content.decode()
    assert reverse("tryon:photo_image", args=[photo.pk]) in page
    assert 'alt="Your photo uploaded' in page
    client.post(reverse("tryon:photo_delete", args=[photo.pk]))
    assert not PersonPhoto.objects.exists()


@pytest.mark.django_db
def test_a_bad_upload_shows_the_error_next_to_the_field(client):
    client.force_login(make_user())
    response = client.post(reverse("tryon:photo_list"), {"photo": SimpleUploadedFile("a.jpg", b"not an image")})
    assert response.status_code == 400
    form = response.context["form"]
    assert "not an image we can read" in form.errors["photo"][0]
    assert "not an image we can read" in response.content.decode()
    assert not PersonPhoto.objects.exists()


@pytest.mark.django_db
def test_the_try_on_form_starts_a_job_and_shows_its_page(client, dispatched):
    owner = make_user()
    product = make_tryon_product()
    client.force_login(owner)
    response = client.post(reverse("tryon:job_create"), {"product": product.pk, "photo": astronaut_upload()})
    job = TryOnJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("tryon:job_detail", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Waiting for a free try-on worker" in page
    assert "<progress" in page
    assert dispatched == [job.pk]


@pytest.mark.django_db
def test_the_job_page_shows_the_result_with_the_shoppers_preview_note_and_the_size_picker(client, dispatched):
    owner = make_user()
    job = finished(job_for(owner))
    client.force_login(owner)
    page = client.get(reverse("tryon:job_detail", args=[job.pk])).content.decode()
    assert reverse("tryon:job_result", args=[job.pk]) in page
    assert (
        "This is a quick preview: the garment is fitted to your photo&#x27;s outline, so folds and fit are approximate."
        in page
    )
    assert "engine" not in strip_tags(page).lower()
    assert "not installed" not in page
    assert reverse("shop:cart_add") in page
    for variant in job.product.variants.all():
        assert f'value="{variant.pk}"' in page


@pytest.mark.django_db
def test_the_try_on_form_over_the_rate_limit_says_when_to_retry_and_queues_nothing(client, settings, dispatched):
    settings.TRYON_RATE_LIMIT_PER_MINUTE = 1
    owner = make_user()
    client.force_login(owner)
    photo = services.save_person_photo(user=owner, upload=astronaut_upload())
    first = client.post(reverse("tryon:job_create"), {"product": make_tryon_product().pk, "photo_id": photo.pk})
    assert first.status_code == 302
    response = client.post(reverse("tryon:job_create"), {"product": make_tryon_product().pk, "photo_id": photo.pk})
    assert response.status_code == 429
    assert "Retry-After" in response
    assert "please try again in" in response.content.decode()
    assert TryOnJob.objects.count() == 1


@pytest.mark.django_db
def test_the_try_on_form_needs_a_photo(client):
    client.force_login(make_user())
    response = client.post(reverse("tryon:job_create"), {"product": make_tryon_product().pk})
    assert response.status_code == 400
    assert "Choose a saved photo or upload one." in response.content.decode()
    assert not TryOnJob.objects.exists()


@pytest.mark.django_db
def test_my_photos_labels_each_photo_by_its_number_and_upload_time(client):
    owner = make_user()
    first = services.save_person_photo(user=owner, upload=astronaut_upload())
    second = services.save_person_photo(user=owner, upload=astronaut_upload(mirrored=True))
    client.force_login(owner)

    page = client.get(reverse("tryon:photo_list")).content.decode()

    labels = selectors.photo_labels_for_user(user=owner)
    assert labels[first.pk].startswith("Photo 1 · ")
    assert labels[second.pk].startswith("Photo 2 · ")
    assert page.index(labels[second.pk]) < page.index(labels[first.pk])  # newest first


@pytest.mark.django_db
def test_the_result_opens_full_size_and_can_be_saved_as_a_file(client, dispatched):
    owner = make_user()
    job = finished(job_for(owner))
    client.force_login(owner)
    result_url = reverse("tryon:job_result", args=[job.pk])

    page = client.get(reverse("tryon:job_detail", args=[job.pk])).content.decode()
    assert f'<a data-tryon-open href="{result_url}" target="_blank" rel="noopener">' in page
    assert f'href="{result_url}?download=1" download>Save picture</a>' in page

    shown = client.get(result_url)
    assert "Content-Disposition" not in shown or not shown["Content-Disposition"].startswith("attachment")
    saved = client.get(result_url, {"download": "1"})
    assert saved.status_code == 200
    assert saved["Content-Disposition"] == f'attachment; filename="revetir-try-on-{job.product.slug}.jpg"'
    assert b"".join(saved.streaming_content) == b"\xff\xd8full"


@pytest.mark.django_db
def test_another_shopper_cannot_save_the_result(client, dispatched):
    job = finished(job_for(make_user()))
    client.force_login(make_user())
    assert client.get(reverse("tryon:job_result", args=[job.pk]), {"download": "1"}).status_code == 404


@pytest.mark.django_db
def test_try_on_uses_the_primary_garment_on_white_even_when_the_gallery_has_more_pictures(client, dispatched):
    owner = make_user()
    product = make_tryon_product()
    for position, colour in ((0, (200, 40, 40)), (1, (40, 160, 60))):
        ProductImage.objects.create(
            product=product,
            image=SimpleUploadedFile(f"extra-{position}.png", png_bytes(colour=colour), content_type="image/png"),
            alt_text=f"Gallery picture {position}",
            position=position,
        )
    client.force_login(owner)

    client.post(reverse("tryon:job_create"), {"product": product.pk, "photo": astronaut_upload()})

    job = TryOnJob.objects.get()
    assert job.product_image == product.images.get(is_primary=True)
    assert product.images.count() == 3


@pytest.mark.django_db
def test_the_try_on_result_marks_the_recommended_size_and_names_the_job_for_the_cart(client, dispatched):
    owner = make_user()
    job = finished(job_for(owner))
    for size, chest in (("S", (86, 91)), ("M", (92, 99)), ("L", (100, 107))):
        SizeChartRow.objects.create(product=job.product, size=size, chest_min_cm=chest[0], chest_max_cm=chest[1])
    body_profile_save(user=owner, height_cm=180, weight_kg=80, chest_cm=104)
    client.force_login(owner)

    page = client.get(reverse("tryon:job_detail", args=[job.pk])).content.decode()

    assert re.search(r'<label class="[^"]*recommended[^"]*">\s*<input[^>]*>\s*L', page)
    assert "Recommended: L</strong> — chest 100–107 cm matches your 104 cm" in page
    assert f'name="from_tryon" value="{job.pk}"' in page
