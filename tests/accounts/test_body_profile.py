"""The size finder's profile: entered once on the account page or through the API, private to the shopper."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import BodyProfile
from accounts.services import body_profile_save
from revetir.testing.factories import make_user

MEASUREMENTS_API = "/api/account/measurements/"


@pytest.mark.django_db
def test_the_account_page_saves_height_weight_fit_and_optional_girths(client):
    shopper = make_user()
    client.force_login(shopper)

    page = client.get(reverse("accounts:profile")).content.decode()
    response = client.post(
        reverse("accounts:body_profile"),
        {"height_cm": "172", "weight_kg": "68", "fit_preference": "loose", "chest_cm": "95", "waist_cm": ""},
    )

    assert 'id="size-finder"' in page and 'name="height_cm"' in page
    assert response.status_code == 302 and response["Location"] == reverse("accounts:profile")
    profile = BodyProfile.objects.get(user=shopper)
    assert (profile.height_cm, profile.weight_kg, profile.fit_preference) == (172, 68, "loose")
    assert (profile.chest_cm, profile.waist_cm, profile.hips_cm) == (95, None, None)
    again = client.get(reverse("accounts:profile")).content.decode()
    assert 'value="172"' in again and "product pages now mark the size that fits you" in again


@pytest.mark.django_db
def test_an_impossible_height_is_refused_next_to_the_field_and_the_rest_is_kept(client):
    shopper = make_user()
    body_profile_save(user=shopper, height_cm=180, weight_kg=80)
    client.force_login(shopper)

    response = client.post(
        reverse("accounts:body_profile"), {"height_cm": "17", "weight_kg": "66", "fit_preference": "snug"}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Ensure this value is greater than or equal to 120." in page
    assert 'value="66"' in page, "what the shopper typed comes back"
    assert BodyProfile.objects.get(user=shopper).height_cm == 180, "nothing was written"


@pytest.mark.django_db
def test_saving_twice_keeps_one_profile_per_shopper():
    shopper = make_user()
    body_profile_save(user=shopper, height_cm=180, weight_kg=80, chest_cm=100)
    body_profile_save(user=shopper, height_cm=181, weight_kg=79)

    profile = BodyProfile.objects.get(user=shopper)
    assert BodyProfile.objects.count() == 1
    assert (profile.height_cm, profile.chest_cm) == (181, None)


@pytest.mark.django_db
def test_visitors_are_sent_to_log_in_before_saving_measurements(client):
    response = client.post(reverse("accounts:body_profile"), {"height_cm": "172", "weight_kg": "68"})

    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert not BodyProfile.objects.exists()


@pytest.mark.django_db
def test_the_api_reads_and_replaces_only_the_callers_measurements(client):
    shopper, other = make_user(), make_user()
    body_profile_save(user=other, height_cm=160, weight_kg=50)
    client.force_login(shopper)

    missing = client.get(MEASUREMENTS_API)
    saved = client.put(
        MEASUREMENTS_API,
        {"height_cm": 183, "weight_kg": 77, "fit_preference": "regular", "hips_cm": 101},
        content_type="application/json",
    )
    read = client.get(MEASUREMENTS_API)

    assert missing.status_code == 404 and missing.json()["status"] == 404
    assert saved.status_code == 200
    assert read.json() | {"updated_at": None} == {
        "height_cm": 183,
        "weight_kg": 77,
        "fit_preference": "regular",
        "chest_cm": None,
        "waist_cm": None,
        "hips_cm": 101,
        "updated_at": None,
    }
    assert BodyProfile.objects.get(user=other).height_cm == 160


@pytest.mark.django_db
def test_the_api_refuses_bad_measurements_with_field_errors(client):
    client.force_login(make_user())

    response = client.put(
        MEASUREMENTS_API, {"height_cm": 300, "fit_preference": "baggy"}, content_type="application/json"
    )

    body = response.json()
    assert response.status_code == 400
    assert body["status"] == 400 and body["message"] == "Invalid input."
    assert set(body["errors"]) == {"height_cm", "weight_kg", "fit_preference"}
    assert not BodyProfile.objects.exists()


@pytest.mark.django_db
def test_the_api_needs_a_signed_in_shopper(client):
    assert client.get(MEASUREMENTS_API).status_code in (401, 403)
