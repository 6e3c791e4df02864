"""Contractor Login: user name or email, remember the name only, reset by link, lock-out."""

import logging
import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.forms import REMEMBER_COOKIE
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")


@pytest.fixture
def user():
    return UserFactory(username="sparky", email="sparky@example.com")


def sign_in(client, login, password=TEST_PASSWORD, **extra):
    return client.post(LOGIN, {"login": login, "password": password, **extra})


def test_the_login_page_speaks_the_cities_words(client):
    text = client.get(LOGIN).text
    assert "Contractor Login" in text
    assert "User name or email" in text
    assert "Remember me on this computer" in text
    assert "I&#x27;ve forgotten my password" in text or "I've forgotten my password" in text


@pytest.mark.parametrize("login", ["sparky", "SPARKY", "sparky@example.com", "Sparky@Example.com"])
def test_sign_in_with_user_name_or_email(client, user, login):
    response = sign_in(client, login)
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_remember_me_keeps_the_user_name_only(client, user):
    response = sign_in(client, "sparky@example.com", remember_name="on")
    cookie = response.cookies[REMEMBER_COOKIE]
    assert TEST_PASSWORD not in cookie.value
    assert cookie["httponly"]
    # The session itself still ends with the browser.
    assert client.session.get_expire_at_browser_close()
    client.post(reverse("account_logout"))
    page = client.get(LOGIN)
    assert 'value="sparky"' in page.text
    assert TEST_PASSWORD not in page.text


def test_not_remembering_forgets_a_remembered_name(client, user):
    sign_in(client, "sparky", remember_name="on")
    client.post(reverse("account_logout"))
    response = sign_in(client, "sparky")
    assert response.cookies[REMEMBER_COOKIE].value == ""


def test_a_forged_remember_cookie_is_ignored(client, user):
    client.cookies[REMEMBER_COOKIE] = "attacker"
    assert 'value="attacker"' not in client.get(LOGIN).text


def test_forgotten_password_sends_a_one_time_link_never_a_password(
    client, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": "sparky@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert TEST_PASSWORD not in body
    link = re.search(r"https?://\S+/password/reset/key/\S+", body).group(0)
    path = (
        link.split("testserver", 1)[-1]
        if "testserver" in link
        else re.sub(r"^https?://[^/]+", "", link)
    )
    page = client.get(path, follow=True)
    new = "another long pass phrase 2"
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else path
    done = client.post(form_url, {"password1": new, "password2": new})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    # The link works once.
    again = client.get(path, follow=True)
    assert "invalid" in again.text.lower() or "bad token" in again.text.lower()


def test_five_failures_lock_the_account_with_a_clear_message(client, user, caplog):
    caplog.set_level(logging.INFO, logger="portal.security")
    for _ in range(4):
        response = sign_in(client, "sparky", "wrong password here")
        assert response.status_code == 200
    response = sign_in(
        client, "sparky@example.com", "wrong password here"
    )  # by email: same account
    assert response.status_code == 429
    response = sign_in(client, "sparky")  # the right password is refused while locked
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.text
    assert "_auth_user_id" not in client.session
    messages = [
        record.getMessage() for record in caplog.records if record.name == "portal.security"
    ]
    assert sum("sign-in failed: user=sparky" in m for m in messages) >= 5
    assert any(m.startswith("lock-out: user=sparky") for m in messages)


def test_the_lock_is_per_account(client, user):
    UserFactory(username="other")
    for _ in range(5):
        sign_in(client, "sparky", "wrong password here")
    assert sign_in(client, "other").status_code == 302


def test_the_admin_login_is_locked_the_same_way(client):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(5):
        client.post(url, {"username": "boss", "password": "wrong password here"})
    response = client.post(url, {"username": "boss", "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.text


def test_sign_in_and_password_change_are_logged(client, user, caplog):
    caplog.set_level(logging.INFO, logger="portal.security")
    sign_in(client, "sparky")
    new = "a brand new pass phrase"
    client.post(
        reverse("account_change_password"),
        {"oldpassword": TEST_PASSWORD, "password1": new, "password2": new},
    )
    messages = [
        record.getMessage() for record in caplog.records if record.name == "portal.security"
    ]
    assert any(m.startswith("sign-in: user=sparky") for m in messages)
    assert any(m.startswith("password changed: user=sparky") for m in messages)
    assert not any(TEST_PASSWORD in m or new in m for m in messages)


def test_changing_the_password_needs_the_current_one(client, user):
    client.force_login(user)
    new = "a brand new pass phrase"
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "not my password at all", "password1": new, "password2": new},
    )
    assert response.status_code == 200
    assert "oldpassword" in response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
