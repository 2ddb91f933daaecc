"""Sign-up, log-in, log-out and the password change and reset flows, through the real pages."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.contrib.auth import SESSION_KEY, user_logged_in
from django.core import mail
from django.urls import reverse

from accounts.models import User
from revetir.testing.factories import DEFAULT_PASSWORD, make_product, make_user
from shop.models import CartLine

NEW_PASSWORD = "a-brand-new-pass-phrase-42"


def _logged_in_user_id(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


@pytest.mark.django_db
def test_signup_creates_the_account_and_logs_in_through_django_login(client):
    logged_in = []

    def receiver(sender, request, user, **kwargs):
        logged_in.append(user.email)

    user_logged_in.connect(receiver)
    try:
        response = client.post(
            reverse("accounts:signup"),
            {
                "email": "New.Shopper@Example.com",
                "full_name": "Nia Shopper",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
        )
    finally:
        user_logged_in.disconnect(receiver)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    user = User.objects.get(email="new.shopper@example.com")
    assert user.full_name == "Nia Shopper"
    assert not user.is_staff
    assert _logged_in_user_id(client) == user.pk
    assert logged_in == ["new.shopper@example.com"]


@pytest.mark.django_db
def test_signup_rejects_mismatched_weak_and_taken_details_next_to_the_fields(client):
    make_user("taken@example.com")
    response = client.post(
        reverse("accounts:signup"),
        {"email": "TAKEN@example.com", "full_name": "", "password1": "123", "password2": "1234"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "already exists" in form.errors["email"][0]
    assert "full_name" in form.errors
    assert "password2" in form.errors
    assert User.objects.count() == 1

    weak = client.post(
        reverse("accounts:signup"),
        {"email": "weak@example.com", "full_name": "Weak", "password1": "password", "password2": "password"},
    )
    assert "too common" in " ".join(weak.context["form"].errors["password2"])
    assert not User.objects.filter(email="weak@example.com").exists()


@pytest.mark.django_db
def test_login_by_email_is_case_insensitive_and_follows_a_local_next(client):
    user = make_user("mia@example.com")
    response = client.post(
        reverse("accounts:login") + "?next=/cart/",
        {"username": "MIA@example.com", "password": DEFAULT_PASSWORD, "next": "/cart/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/cart/"
    assert _logged_in_user_id(client) == user.pk


@pytest.mark.django_db
def test_login_ignores_a_next_that_points_to_another_site(client):
    make_user("mia@example.com")
    response = client.post(
        reverse("accounts:login"),
        {"username": "mia@example.com", "password": DEFAULT_PASSWORD, "next": "https://evil.example/steal"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")


@pytest.mark.django_db
def test_login_with_a_wrong_password_shows_an_error_and_stays_logged_out(client):
    make_user("mia@example.com")
    response = client.post(reverse("accounts:login"), {"username": "mia@example.com", "password": "nope"})
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()
    assert _logged_in_user_id(client) is None


@pytest.mark.django_db
def test_a_failed_login_marks_both_fields_invalid_and_describes_them_by_the_error(client):
    make_user("mia@example.com")
    response = client.post(reverse("accounts:login"), {"username": "mia@example.com", "password": "nope"})
    html = response.content.decode()
    assert re.search(r'<div role="alert"><ul class="errorlist nonfield" id="login-error"><li>That e-mail address', html)
    for name in ("username", "password"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in field
        assert 'aria-describedby="login-error"' in field


@pytest.mark.django_db
def test_a_first_visit_to_the_login_page_marks_no_field_invalid(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert "aria-invalid" not in html
    assert 'id="login-error"' not in html


@pytest.mark.django_db
def test_logout_needs_a_post(client):
    user = make_user()
    client.force_login(user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert _logged_in_user_id(client) == user.pk

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert _logged_in_user_id(client) is None


@pytest.mark.django_db
def test_a_session_cookie_kept_from_before_logging_out_no_longer_signs_in(client):
    # Sessions are read from the cache first (cached_db): logging out must remove the cached copy too,
    # or a copied cookie would go on working.
    user = make_user()
    client.force_login(user)
    stolen = client.cookies["sessionid"].value
    assert "Log out" in client.get(reverse("accounts:profile")).content.decode()

    client.post(reverse("accounts:logout"))
    client.cookies["sessionid"] = stolen

    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.django_db
def test_password_change_requires_the_old_password_and_keeps_the_session(client):
    user = make_user()
    client.force_login(user)
    url = reverse("accounts:password_change")

    wrong = client.post(url, {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert "old_password" in wrong.context["form"].errors

    response = client.post(
        url, {"old_password": DEFAULT_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response["Location"] == reverse("accounts:password_change_done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert _logged_in_user_id(client) == user.pk


@pytest.mark.django_db
def test_password_reset_mails_a_link_that_sets_a_new_password_once(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = make_user("forgetful@example.com")

    response = client.post(reverse("accounts:password_reset"), {"email": "Forgetful@example.com"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["forgetful@example.com"]
    assert message.subject == "Reset your Revetir password"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)

    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"] is True
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)

    reused = client.get(link, follow=True)
    assert reused.context["validlink"] is False


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["signup", "login"])
def test_the_anonymous_cart_follows_the_shopper_into_their_account(client, how):
    variant = make_product(stock={"M": 5}).variants.get()
    client.post(reverse("shop:cart_add"), {"variant": variant.pk, "quantity": 2})

    if how == "signup":
        client.post(
            reverse("accounts:signup"),
            {"email": "cart@example.com", "full_name": "Cara", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
    else:
        make_user("cart@example.com")
        client.post(reverse("accounts:login"), {"username": "cart@example.com", "password": DEFAULT_PASSWORD})

    user = User.objects.get(email="cart@example.com")
    assert list(CartLine.objects.filter(cart__user=user).values_list("variant_id", "quantity")) == [(variant.pk, 2)]


def _header_link(page: str, text: str) -> str:
    nav = page.split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]
    return re.search(rf'<a href="([^"]+)">{text}</a>', nav).group(1)


@pytest.mark.django_db
def test_the_headers_log_in_and_sign_up_links_bring_the_shopper_back_to_the_page_they_were_on(client):
    product = make_product(name="Return Tee")
    page = client.get(product.get_absolute_url() + "?size=M").content.decode()
    login_link = _header_link(page, "Log in")

    assert login_link == "/accounts/login/?" + urlencode({"next": product.get_absolute_url() + "?size=M"})
    assert _header_link(page, "Sign up") == "/accounts/signup/?" + urlencode(
        {"next": product.get_absolute_url() + "?size=M"}
    )
    make_user("back@example.com")
    response = client.post(login_link, {"username": "back@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response["Location"] == product.get_absolute_url() + "?size=M"


@pytest.mark.django_db
def test_the_log_in_page_keeps_the_next_it_was_given_and_drops_none_of_its_own(client):
    on_login = client.get("/accounts/login/?next=/cart/").content.decode()
    bare_login = client.get("/accounts/login/").content.decode()

    assert _header_link(on_login, "Log in") == "/accounts/login/?next=%2Fcart%2F"
    assert _header_link(on_login, "Sign up") == "/accounts/signup/?next=%2Fcart%2F"
    assert _header_link(bare_login, "Log in") == "/accounts/login/"
