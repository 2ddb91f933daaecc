"""Deleting a photo or a try-on asks first, on a page of its own, so it works without JavaScript."""

from __future__ import annotations

import pytest
from django.urls import reverse
from pytest_django.asserts import assertInHTML

from revetir.testing.factories import make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from tryon import services
from tryon.jobs import submit
from tryon.models import PersonPhoto, TryOnJob


@pytest.fixture
def photo_with_job(dispatched):
    owner = make_user()
    photo = services.save_person_photo(user=owner, upload=astronaut_upload())
    submit.submit_job(user=owner, photo=photo, product_image=make_tryon_product().images.get())
    return owner, photo


@pytest.mark.django_db
def test_my_photos_links_to_a_confirmation_instead_of_deleting_at_once(client, photo_with_job):
    owner, photo = photo_with_job
    client.force_login(owner)
    delete_url = reverse("tryon:photo_delete", args=[photo.pk])

    html = client.get(reverse("tryon:photo_list")).content.decode()

    assertInHTML(f'<a class="button danger" href="{delete_url}">Delete photo…</a>', html)
    assert f'action="{delete_url}"' not in html


@pytest.mark.django_db
def test_confirmation_shows_the_photo_and_what_goes_with_it_and_deletes_only_when_posted(client, photo_with_job):
    owner, photo = photo_with_job
    client.force_login(owner)
    delete_url = reverse("tryon:photo_delete", args=[photo.pk])

    confirm = client.get(delete_url)

    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "Delete this photo?" in html
    assert reverse("tryon:photo_image", args=[photo.pk]) in html
    assert "Its 1 try-on and their pictures are deleted with it." in html
    assert f'<form method="post" action="{delete_url}"' in html
    assert PersonPhoto.objects.filter(pk=photo.pk).exists()

    response = client.post(delete_url)
    assert response.status_code == 302
    assert not PersonPhoto.objects.filter(pk=photo.pk).exists()
    assert not TryOnJob.objects.exists()


@pytest.mark.django_db
def test_another_shoppers_photo_has_no_confirmation_page(client, photo_with_job):
    _owner, photo = photo_with_job
    client.force_login(make_user())
    assert client.get(reverse("tryon:photo_delete", args=[photo.pk])).status_code == 404
    assert PersonPhoto.objects.filter(pk=photo.pk).exists()


@pytest.mark.django_db
def test_a_try_on_is_deleted_only_after_its_confirmation_page_keeping_the_photo(client, photo_with_job):
    owner, photo = photo_with_job
    job = TryOnJob.objects.get(photo=photo)
    client.force_login(owner)
    delete_url = reverse("tryon:job_delete", args=[job.pk])

    detail = client.get(reverse("tryon:job_detail", args=[job.pk])).content.decode()
    assertInHTML(f'<a class="button secondary" href="{delete_url}">Delete this try-on…</a>', detail)
    assert f'action="{delete_url}"' not in detail

    confirm = client.get(delete_url)
    assert confirm.status_code == 200
    assert "Delete this try-on?" in confirm.content.decode()
    assert f'<form method="post" action="{delete_url}"' in confirm.content.decode()
    assert TryOnJob.objects.filter(pk=job.pk).exists()

    assert client.post(delete_url).status_code == 302
    assert not TryOnJob.objects.filter(pk=job.pk).exists()
    assert PersonPhoto.objects.filter(pk=photo.pk).exists()


@pytest.mark.django_db
def test_another_shoppers_try_on_has_no_confirmation_page(client, photo_with_job):
    _owner, photo = photo_with_job
    job = TryOnJob.objects.get(photo=photo)
    client.force_login(make_user())
    assert client.get(reverse("tryon:job_delete", args=[job.pk])).status_code == 404
    assert client.post(reverse("tryon:job_delete", args=[job.pk])).status_code == 404
    assert TryOnJob.objects.filter(pk=job.pk).exists()
