""" "See it on me": the page API (a photo and a list of products → the jobs), the remembered switch
and the panels on the catalogue and the product page."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from revetir.object_keys import key_text
from revetir.testing.factories import make_product, make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from tryon import services
from tryon.models import JobPriority, JobStatus, TryOnJob
from tryon.views import WEAR_SESSION_KEY

PAGES = "/api/tryon/pages/"


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_posting_a_photo_and_products_returns_one_page_job_per_tryable_product_in_order(dispatched):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    tops = [make_tryon_product() for _ in range(3)]
    trousers = make_product(garment_type="lower_body")

    response = api_for(user).post(
        PAGES, {"photo_id": photo.pk, "products": [tops[2].pk, trousers.pk, tops[0].pk, tops[1].pk]}, format="json"
    )

    assert response.status_code == 202
    jobs = response.json()["jobs"]
    assert [job["product"] for job in jobs] == [key_text(top.pk) for top in (tops[2], tops[0], tops[1])]
    assert {job["status"] for job in jobs} == {JobStatus.QUEUED}
    assert set(TryOnJob.objects.values_list("priority", flat=True)) == {JobPriority.PAGE}
    assert sorted(dispatched) == sorted(job["id"] for job in jobs)


@pytest.mark.django_db
def test_the_page_api_refuses_another_shoppers_photo_bad_lists_and_untryable_products(dispatched):
    owner, other = make_user(), make_user()
    photo = services.save_person_photo(user=owner, upload=astronaut_upload())
    top = make_tryon_product()

    stranger = api_for(other).post(PAGES, {"photo_id": photo.pk, "products": [top.pk]}, format="json")
    empty = api_for(owner).post(PAGES, {"photo_id": photo.pk, "products": []}, format="json")
    too_many = api_for(owner).post(PAGES, {"photo_id": photo.pk, "products": list(range(1, 14))}, format="json")
    nothing_tryable = api_for(owner).post(
        PAGES, {"photo_id": photo.pk, "products": [make_product(garment_type="lower_body").pk]}, format="json"
    )

    assert stranger.status_code == 404
    assert empty.status_code == 400 and "products" in empty.json()["errors"]
    assert too_many.status_code == 400 and "products" in too_many.json()["errors"]
    assert nothing_tryable.status_code == 404 and nothing_tryable.json()["message"]
    assert not TryOnJob.objects.exists()
    assert APIClient().post(PAGES, {"photo_id": photo.pk, "products": [top.pk]}, format="json").status_code in (
        401,
        403,
    )


@pytest.mark.django_db
def test_the_page_api_answers_429_with_retry_after_when_the_queue_is_full(dispatched, settings):
    settings.TRYON_MAX_QUEUED_JOBS = 2
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    products = [make_tryon_product() for _ in range(3)]

    response = api_for(user).post(PAGES, {"photo_id": photo.pk, "products": [p.pk for p in products]}, format="json")

    assert response.status_code == 429 and response["Retry-After"]
    assert "busy" in response.json()["message"]
    assert not TryOnJob.objects.exists()


@pytest.mark.django_db
def test_the_switch_is_remembered_and_the_catalogue_marks_the_cards_to_wear(client, dispatched):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    top = make_tryon_product()
    make_product(garment_type="lower_body")
    client.force_login(user)

    before = client.get("/").content.decode()
    switched = client.post("/tryon/wear/", {"wear": "on", "photo_id": photo.pk, "next": "/?page=1"})
    after = client.get("/").content.decode()

    assert "See it on me" in before and 'data-wearing="off"' in before
    assert switched.status_code == 302 and switched["Location"] == "/?page=1"
    assert client.session[WEAR_SESSION_KEY] == key_text(photo.pk)
    assert 'data-wearing="on"' in after and "js/wear.js" in after
    assert after.count("data-wear-product=") == 1 and f'data-wear-product="{top.pk}"' in after
    client.post("/tryon/wear/", {"wear": "off", "next": "https://elsewhere.example/"})
    assert WEAR_SESSION_KEY not in client.session
    assert 'data-wearing="off"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_a_shopper_without_a_photo_is_sent_to_save_one_and_visitors_see_no_switch(client):
    make_tryon_product()
    assert "See it on me" not in client.get("/").content.decode()
    client.force_login(make_user())

    assert "My photos" in client.get("/").content.decode()
    response = client.post("/tryon/wear/", {"wear": "on"})
    assert response.status_code == 302 and response["Location"] == "/tryon/photos/"


@pytest.mark.django_db
def test_the_product_page_offers_the_other_garments_of_its_category(client):
    product = make_tryon_product()
    others = [make_tryon_product(category=product.category) for _ in range(2)]
    user = make_user()
    services.save_person_photo(user=user, upload=astronaut_upload())
    client.force_login(user)

    page = client.get(product.get_absolute_url()).content.decode()

    assert f"More in {product.category.name}" in page
    assert all(f'data-wear-product="{other.pk}"' in page for other in others)
    assert f'data-wear-product="{product.pk}"' not in page
    assert "See it on me" in page
