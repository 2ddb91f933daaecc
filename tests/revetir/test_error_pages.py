"""The shop's own error pages (in the site's layout) and its favicon."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.revetir.error_urls")]

SITE_STYLESHEET = static("css/site.css")


def _in_site_layout(html: str) -> bool:
    return SITE_STYLESHEET in html and 'class="brand"' in html and 'class="site-footer"' in html


@pytest.mark.parametrize(
    ("url", "status", "heading"),
    [
        ("/no-such-page/", 404, "We could not find that page"),
        ("/products/no-such-product/", 404, "We could not find that page"),
        ("/test-errors/403/", 403, "You cannot open this page"),
        ("/test-errors/400/", 400, "Your browser sent a request we could not use"),
    ],
)
def test_error_pages_use_the_site_layout_and_say_what_to_do(client, url, status, heading):
    response = client.get(url)
    assert response.status_code == status
    html = response.content.decode()
    assert heading in html
    assert _in_site_layout(html)
    assert "Go to the shop" in html


def test_server_error_page_renders_even_when_the_request_context_would_fail(settings):
    templates = [dict(settings.TEMPLATES[0])]
    templates[0]["OPTIONS"] = {
        **templates[0]["OPTIONS"],
        "context_processors": [*templates[0]["OPTIONS"]["context_processors"], "tests.revetir.test_error_pages.broken"],
    }
    settings.TEMPLATES = templates
    response = Client(raise_request_exception=False).get("/test-errors/500/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "Nothing you entered is lost" in html
    assert _in_site_layout(html)


def broken(request) -> dict:
    """A context processor that fails, as one would while the database is down."""
    raise RuntimeError("context processor failed")


def test_every_page_links_the_svg_favicon_and_it_is_a_static_file(client):
    html = client.get("/").content.decode()
    assert f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">' in html
    assert finders.find("favicon.svg")


def test_favicon_ico_redirects_to_the_svg_icon_instead_of_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == static("favicon.svg")
