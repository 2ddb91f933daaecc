"""The API's promises (issue #12, failure 6): every error under /api/ is JSON, and product images
are served with debug off and local media (the pictures and websocket: tests/tryon/test_picture_access.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from revetir.testing.factories import make_product, make_user


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status and body["message"]
    return body


# --- JSON errors under /api/ ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/cart/items/abc/", "/api/no-such-route/", "/api/orders/RV-1/nope/"])
def test_an_unmatched_api_path_is_a_json_404_signed_in_or_not(client, path):
    assert_json_error(client.get(path), 404)
    client.force_login(make_user())
    body = assert_json_error(client.post(path, {}), 404)
    assert path in body["message"]


def test_a_missing_slash_on_an_api_route_is_still_redirected_to_it(client):
    response = client.get("/api/products")

    assert response.status_code == 301
    assert response["Location"] == "/api/products/"


@pytest.mark.django_db
def test_a_method_an_api_route_does_not_take_is_a_json_405(client):
    assert_json_error(client.delete("/api/products/"), 405)


@pytest.mark.django_db
def test_an_unexpected_error_under_api_is_a_json_500_and_pages_keep_the_html_one(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("shop.api.catalogue.product_list", broken)
    client = Client(raise_request_exception=False)

    body = assert_json_error(client.get("/api/products/"), 500)
    assert "database" not in body["message"]
    page = client.get("/no-such-page-at-all/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


# --- Public media with debug off ----------------------------------------------------------------


@pytest.mark.django_db
def test_product_images_are_served_with_debug_off_and_cache_headers(client, settings):
    settings.DEBUG = False
    image = make_product(with_image=True).images.get()

    response = client.get(image.image.url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=86400"
    assert "Last-Modified" in response
    again = client.get(image.image.url, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])
    assert again.status_code == 304
    assert client.head(image.image.url).status_code == 200
    assert client.post(image.image.url).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/media/", "/media/products/", "/media/../private/x.jpg", "/media/%2e%2e/db.sqlite3"])
def test_media_never_lists_folders_or_reaches_outside_the_media_root(client, settings, path):
    settings.DEBUG = False
    make_product(with_image=True)

    assert client.get(path).status_code == 404
