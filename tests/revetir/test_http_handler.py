"""The ASGI entry point serves HTTP with every middleware's behaviour, its chain run synchronously
in one worker-thread call per request (revetir.http_handler)."""

from __future__ import annotations

import inspect

import pytest
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse

from revetir.asgi import application, django_asgi_app
from revetir.testing.factories import make_user


def _headers(response: dict) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in response["headers"]:
        headers.setdefault(name.decode().lower(), []).append(value.decode())
    return headers


async def _get(path: str, *, cookie: str = "", method: str = "GET", body: bytes = b"") -> dict:
    headers = [(b"host", b"testserver")] + ([(b"cookie", cookie.encode())] if cookie else [])
    communicator = HttpCommunicator(application, method, path, body=body, headers=headers)
    return await communicator.get_response(timeout=10)


def test_the_middleware_chain_is_built_synchronous():
    # Async mode would run each middleware's hooks through sync_to_async: a dozen thread hops a request.
    assert not inspect.iscoroutinefunction(django_asgi_app._middleware_chain)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_page_through_asgi_carries_every_security_header_and_the_csrf_cookie():
    response = await _get(reverse("accounts:login"))
    assert response["status"] == 200
    headers = _headers(response)
    assert headers["x-frame-options"] == ["DENY"]
    assert headers["x-content-type-options"] == ["nosniff"]
    assert headers["referrer-policy"] == ["same-origin"]
    assert headers["cross-origin-opener-policy"] == ["same-origin"]
    assert any(cookie.startswith("csrftoken=") for cookie in headers["set-cookie"])


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_post_without_a_csrf_token_is_refused_through_asgi():
    response = await _get(reverse("accounts:login"), method="POST", body=b"username=a&password=b")
    assert response["status"] == 403


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_signed_in_session_is_recognised_through_asgi():
    def signed_in_session() -> str:
        user = make_user()
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.save()
        return store.session_key

    session_key = await sync_to_async(signed_in_session)()
    response = await _get(reverse("shop:product_list"), cookie=f"sessionid={session_key}")
    assert response["status"] == 200
    assert b"Log out" in response["body"]
    anonymous = await _get(reverse("shop:product_list"))
    assert b"Log out" not in anonymous["body"]
