"""The API docs page works offline: every script, style and icon it loads is one of our static files."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

ASSET_PATTERN = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|\burl\s*:\s*["']([^"']+)["']""")


def _asset_urls(html: str) -> list[str]:
    return [src or url for src, url in ASSET_PATTERN.findall(html)]


@pytest.mark.django_db
def test_api_docs_page_loads_swagger_ui_only_from_local_static_files(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = _asset_urls(html)
    scripts = [url for url in assets if url.endswith(".js")]
    assert any("swagger-ui-bundle" in url for url in scripts), assets
    for url in assets:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{url} is not served by this site"
    static_assets = [url for url in assets if url.startswith(settings.STATIC_URL)]
    assert static_assets, assets
    for url in static_assets:
        relative = urlsplit(url).path.removeprefix(settings.STATIC_URL)
        assert finders.find(relative), f"{relative} is not among the static files"
