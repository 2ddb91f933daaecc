"""The token API: exchange e-mail and password for a token, use it, revoke it."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from revetir.testing.factories import DEFAULT_PASSWORD, make_user

TOKEN_URL = "/api/auth/token/"


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.mark.django_db
def test_token_is_issued_for_a_correct_email_and_password_and_stays_the_same(api_client):
    user = make_user("api@example.com")
    first = api_client.post(TOKEN_URL, {"email": "API@example.com", "password": DEFAULT_PASSWORD}, format="json")
    second = api_client.post(TOKEN_URL, {"email": "api@example.com", "password": DEFAULT_PASSWORD}, format="json")

    assert first.status_code == 200
    assert first.json()["token"] == Token.objects.get(user=user).key
    assert second.json()["token"] == first.json()["token"]


@pytest.mark.django_db
def test_wrong_credentials_get_a_400_json_message_and_no_token(api_client):
    make_user("api@example.com")
    response = api_client.post(TOKEN_URL, {"email": "api@example.com", "password": "wrong"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"status": 400, "message": "Unable to log in with that e-mail address and password."}
    assert not Token.objects.exists()


@pytest.mark.django_db
def test_missing_fields_get_a_400_json_error_per_field(api_client):
    response = api_client.post(TOKEN_URL, {"email": "not-an-email"}, format="json")

    body = response.json()
    assert response.status_code == 400
    assert body["status"] == 400
    assert set(body["errors"]) == {"email", "password"}


@pytest.mark.django_db
def test_inactive_users_get_no_token(api_client):
    make_user("gone@example.com", is_active=False)
    response = api_client.post(TOKEN_URL, {"email": "gone@example.com", "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 400


@pytest.mark.django_db
def test_delete_revokes_the_callers_token_so_it_stops_working(api_client):
    user = make_user()
    other = Token.objects.create(user=make_user())
    token = Token.objects.create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert api_client.delete(TOKEN_URL).status_code == 204
    assert not Token.objects.filter(user=user).exists()
    assert Token.objects.filter(pk=other.pk).exists()
    assert api_client.delete(TOKEN_URL).status_code == 401


@pytest.mark.django_db
def test_delete_without_credentials_is_refused_with_json(api_client):
    response = api_client.delete(TOKEN_URL)
    assert response.status_code == 401
    assert response.json()["status"] == 401
