"""The ASGI entry point serves HTTP with every middleware's behaviour, its chain run synchronously
in one worker-thread call per request on threads kept between requests (revetir.http_handler)."""

from __future__ import annotations

import inspect
import threading

import pytest
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.urls import reverse

from revetir.asgi import application, django_asgi_app
from revetir.http_handler import RequestThreads, SyncChainASGIHandler
from revetir.testing.factories import make_user


def _headers(response: dict) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in response["headers"]:
        headers.setdefault(name.decode().lower(), []).append(value.decode())
    return headers


async def _get(path: str, *, cookie: str = "", method: str = "GET", body: bytes = b"", app=application) -> dict:
    headers = [(b"host", b"testserver")] + ([(b"cookie", cookie.encode())] if cookie else [])
    communicator = HttpCommunicator(app, method, path, body=body, headers=headers)
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


def _signed_in_session() -> str:
    user = make_user()
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store.session_key


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_signed_in_session_is_recognised_through_asgi():
    session_key = await sync_to_async(_signed_in_session)()
    response = await _get(reverse("shop:product_list"), cookie=f"sessionid={session_key}")
    assert response["status"] == 200
    assert b"Log out" in response["body"]
    anonymous = await _get(reverse("shop:product_list"))
    assert b"Log out" not in anonymous["body"]


def _count_connections_opened(monkeypatch) -> list[str]:
    """Names of the threads that open a database connection from now on."""
    opened: list[str] = []
    open_connection = DatabaseWrapper.get_new_connection

    def counting(self, params):
        opened.append(threading.current_thread().name)
        return open_connection(self, params)

    monkeypatch.setattr(DatabaseWrapper, "get_new_connection", counting)
    return opened


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_requests_one_after_another_reuse_one_database_connection(monkeypatch):
    # Under Django's own ASGI handler every request opened SQLite anew: CONN_MAX_AGE had no effect.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 60)
    session_key = await sync_to_async(_signed_in_session)()
    opened = _count_connections_opened(monkeypatch)
    handler = SyncChainASGIHandler(kept_threads=2)  # new threads: no connection kept from other tests
    for _ in range(3):
        response = await _get(reverse("shop:product_list"), cookie=f"sessionid={session_key}", app=handler)
        assert response["status"] == 200 and b"Log out" in response["body"]  # the user came from the database
    assert len(opened) <= 1
    assert all(name.startswith("revetir-request") for name in opened)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_with_no_connection_age_each_request_closes_its_connection(monkeypatch):
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    session_key = await sync_to_async(_signed_in_session)()
    opened = _count_connections_opened(monkeypatch)
    handler = SyncChainASGIHandler(kept_threads=2)  # new threads: no connection kept from other tests
    for _ in range(2):
        response = await _get(reverse("shop:product_list"), cookie=f"sessionid={session_key}", app=handler)
        assert response["status"] == 200 and b"Log out" in response["body"]
    assert len(opened) == 2


def test_a_kept_thread_serves_the_next_request_and_a_thread_beyond_the_kept_ones_goes():
    threads = RequestThreads(kept=1)
    first, first_kept = threads.take()
    second, second_kept = threads.take()  # the kept one is busy: one for this request only
    assert (first_kept, second_kept) == (True, False)
    second_thread = second.submit(threading.current_thread).result()
    threads.give_back(second, second_kept)
    threads.give_back(first, first_kept)
    second_thread.join(timeout=5)
    assert not second_thread.is_alive()
    first_thread = first.submit(threading.current_thread).result()
    again, again_kept = threads.take()
    assert again is first and again_kept
    assert again.submit(threading.current_thread).result() is first_thread
    threads.give_back(again, again_kept)
