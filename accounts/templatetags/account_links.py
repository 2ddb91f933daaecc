"""Header links to log in and sign up that bring the shopper back to the page they were on."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.http import HttpRequest
from django.urls import reverse

register = template.Library()


def _back_to(request: HttpRequest | None) -> str:
    """Where to return after logging in: this page, or on the account pages themselves (log in, sign
    up, password reset) the `next` they were already given. The log-in and sign-up views check it is
    on this site before following it."""
    if request is None:
        return ""
    match = request.resolver_match
    if match is not None and match.namespace == "accounts":
        return request.GET.get("next", "")
    if request.method != "GET":
        return ""
    return request.get_full_path()


def _with_next(url_name: str, request: HttpRequest | None) -> str:
    url = reverse(url_name)
    next_url = _back_to(request)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


@register.simple_tag(takes_context=True)
def login_url(context: template.Context) -> str:
    """`{% login_url %}`: the log-in page, with `?next=` this page."""
    return _with_next("accounts:login", context.get("request"))


@register.simple_tag(takes_context=True)
def signup_url(context: template.Context) -> str:
    """`{% signup_url %}`: the sign-up page, with `?next=` this page."""
    return _with_next("accounts:signup", context.get("request"))
