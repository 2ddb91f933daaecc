""" "See it on me" as a new shopper met it (issue #22): which saved photo it uses, what it says about the
cards it leaves as product pictures, and that its cards neither flood "Your try-ons" nor count as
try-ons in the staff report."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from revetir.object_keys import key_text
from revetir.testing.factories import make_product, make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from shop import reports
from tryon import preparations, selectors, services
from tryon.jobs import state, submit
from tryon.models import JobPriority, JobStatus, PersonPhoto, TryOnJob
from tryon.views import WEAR_SESSION_KEY
from tryon.wording import LEFT_OUT_NOT_OFFERED, LEFT_OUT_PHOTO, left_out_summary

WAIST_UP = {"upper_body": True, "lower_body": False, "full_body": False}
FULL_LENGTH = {"upper_body": True, "lower_body": True, "full_body": True}


def saved_photo(owner, can_try: dict[str, bool], *, minutes_ago: int) -> PersonPhoto:
    """A saved photo row with the body model's verdicts as the upload leaves them (no file needed: the
    choice reads only the verdicts)."""
    verdicts = {
        kind: {"usable": usable, "message": "" if usable else "Take a full-length photo."}
        for kind, usable in can_try.items()
    }
    photo = PersonPhoto.objects.create(
        owner=owner, file_name="photos/x.jpg", width=600, height=800, body_analysis={"verdicts": verdicts}
    )
    PersonPhoto.objects.filter(pk=photo.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago))
    photo.refresh_from_db()
    return photo


@pytest.mark.django_db
def test_a_newer_waist_up_photo_does_not_hide_trousers_when_a_full_length_one_is_saved():
    user = make_user()
    full_length = saved_photo(user, FULL_LENGTH, minutes_ago=60)
    waist_up = saved_photo(user, WAIST_UP, minutes_ago=1)

    page_with_trousers = ["upper_body", "lower_body", "lower_body", "full_body"]
    assert selectors.best_photo_for_garments(user=user, garment_types=page_with_trousers) == full_length
    assert selectors.best_photo_for_garments(user=user, garment_types=["upper_body", "upper_body"]) == waist_up
    assert selectors.best_photo_for_garments(user=make_user(), garment_types=page_with_trousers) is None


@pytest.mark.django_db
def test_the_catalogue_offers_every_saved_photo_with_the_most_suitable_selected(client):
    user = make_user()
    full_length = saved_photo(user, FULL_LENGTH, minutes_ago=60)
    saved_photo(user, WAIST_UP, minutes_ago=1)
    make_tryon_product()
    client.force_login(user)

    page = client.get("/").content.decode()
    choices = page.split("data-wear-photo-choice>", 1)[1].split("</select>", 1)[0]

    assert choices.count("<option value=") == 2
    assert f'<option value="{full_length.pk}" selected>' in page
    assert ">Full length: all garments · Photo 1 · " in choices and ">Tops only · Photo 2 · " in choices


@pytest.mark.django_db
def test_the_shopper_can_switch_to_another_photo_while_the_garments_are_shown(client):
    user = make_user()
    first = saved_photo(user, FULL_LENGTH, minutes_ago=60)
    second = saved_photo(user, WAIST_UP, minutes_ago=1)
    make_tryon_product()
    client.force_login(user)

    client.post("/tryon/wear/", {"wear": "on", "photo_id": first.pk, "next": "/"})
    wearing_first = client.get("/").content.decode()
    client.post("/tryon/wear/", {"wear": "on", "photo_id": second.pk, "next": "/"})

    assert f'data-photo-id="{first.pk}"' in wearing_first and "Use this photo" in wearing_first
    assert client.session[WEAR_SESSION_KEY] == key_text(second.pk)
    assert f'data-photo-id="{second.pk}"' in client.get("/").content.decode()


def test_the_reasons_for_cards_left_as_product_pictures_name_the_garments_and_the_photo_they_need():
    assert left_out_summary([]) == ""
    assert left_out_summary([(LEFT_OUT_PHOTO, "lower_body"), (LEFT_OUT_PHOTO, "full_body")]) == (
        "trousers, skirts and dresses need a full-length photo."
    )
    assert left_out_summary([(LEFT_OUT_PHOTO, "full_body"), (LEFT_OUT_NOT_OFFERED, "upper_body")]) == (
        "dresses need a full-length photo; 1 garment is not offered for try-on yet."
    )
    assert left_out_summary([(LEFT_OUT_PHOTO, "upper_body")] + [(LEFT_OUT_NOT_OFFERED, "upper_body")] * 2) == (
        "tops need a photo facing the camera with both shoulders in it; 2 garments are not offered for try-on yet."
    )


@pytest.mark.django_db
def test_the_page_api_lists_the_garments_it_left_out_and_why(dispatched):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())  # waist up: tops only
    top = make_tryon_product()
    trousers = make_product(garment_type="lower_body", with_image=True)
    dress = make_product(garment_type="full_body", with_image=True)
    client = APIClient()
    client.force_authenticate(user)

    reply = client.post(
        "/api/tryon/pages/", {"photo_id": photo.pk, "products": [trousers.pk, top.pk, dress.pk]}, format="json"
    ).json()
    refused = client.post("/api/tryon/pages/", {"photo_id": photo.pk, "products": [trousers.pk]}, format="json")

    assert [job["product"] for job in reply["jobs"]] == [key_text(top.pk)]
    assert reply["left_out"] == [
        {"product": key_text(trousers.pk), "reason": "photo"},
        {"product": key_text(dress.pk), "reason": "photo"},
    ]
    assert reply["left_out_summary"] == "trousers, skirts and dresses need a full-length photo."
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "Your photo cannot try any of these garments: trousers and skirts need a full-length photo."
    )


@pytest.mark.django_db
def test_page_try_ons_stay_out_of_your_try_ons_and_the_staff_funnel_until_asked_for_on_their_own(client, dispatched):
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    tops = [make_tryon_product() for _ in range(3)]
    page = submit.submit_page(user=user, photo=photo, product_images=[top.images.get() for top in tops]).jobs
    for job, top in zip(page, tops, strict=True):  # finished by the engine in use, as a worker leaves them
        TryOnJob.objects.filter(pk=job.pk).update(
            status=JobStatus.DONE,
            finished_at=timezone.now(),
            engine_identity=preparations.current_engine_identity(garment_type=top.garment_type),
            garment_image_name=top.images.get().image.name,
        )
    client.force_login(user)

    api = APIClient()
    api.force_authenticate(user)
    assert not selectors.jobs_for_user(user=user).exists()
    assert api.get("/api/tryon/jobs/").json() == []
    assert reports.sales_report().funnel == []
    photos_page = client.get("/tryon/photos/").content.decode()
    assert "You have not tried anything on yet." in photos_page
    assert "“See it on me” has also shown 3 garments on your photos." in photos_page

    # The shopper now asks for one of them on its own: the finished page job comes back, as a try-on.
    again = submit.submit_job(user=user, photo=photo, product_image=tops[0].images.get())

    assert again.pk == page[0].pk and again.priority == JobPriority.SINGLE
    assert list(selectors.jobs_for_user(user=user)) == [again]
    assert [job["id"] for job in api.get("/api/tryon/jobs/").json()] == [key_text(again.pk)]
    assert [(row.product_name, row.tryons) for row in reports.sales_report().funnel] == [(tops[0].name, 1)]
    assert state.choose_page_job(again).priority == JobPriority.SINGLE  # a second ask changes nothing


@pytest.mark.django_db
def test_a_photo_reads_as_its_upload_time_not_as_keys():
    photo = saved_photo(make_user(), FULL_LENGTH, minutes_ago=0)
    label = str(photo)
    assert label.startswith("Photo uploaded ") and f" of {photo.owner_id}" not in label
