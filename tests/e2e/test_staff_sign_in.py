"""Staff sign in with a second factor before Django admin, and an idle session ends on a page
that says so (issue 12, requirement 2), walked in the browser."""

import datetime
import re
import time
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from demo.seed import DEMO_PASSWORDS, load_city, seed_demo_city
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def staff_need_mfa(settings):
    settings.STAFF_REQUIRE_MFA = True


def current_code(key: str) -> str:
    """The code an authenticator app set up with `key` shows now (never one about to turn)."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    if time.time() % 30 > 27:
        time.sleep(3)
    return format_hotp_value(hotp_value(key, int(time.time()) // 30))


def password_step(page, login: str, password: str) -> None:
    page.get_by_label("User name or email").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()


_last_window: dict[str, int] = {}


def sign_in_clerk(page, base_url: str, username: str = "clerk") -> None:
    """A demo staff login (the clerk by default), with the password and the authenticator's
    code, into admin. A code is refused a second time: signing the same login in again waits
    for the authenticator's next code."""
    while _last_window.get(username) == int(time.time()) // 30:
        time.sleep(1)
    page.goto(f"{base_url}/accounts/login/?next=/admin/")
    password_step(page, username, DEMO_PASSWORDS[username])
    page.get_by_label("Code").fill(current_code(load_city()["staff_authenticator_key"]))
    _last_window[username] = int(time.time()) // 30
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Building department")).to_be_visible()


def test_a_clerk_opens_admin_with_a_code_and_is_signed_out_when_idle(
    page, live_server, monkeypatch
):
    seed_demo_city()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/")
    expect(page.get_by_role("heading", name="City Staff Sign In")).to_be_visible()
    password_step(page, "clerk", DEMO_PASSWORDS["clerk"])
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    key = load_city()["staff_authenticator_key"]
    page.get_by_label("Code").fill(f"{(int(current_code(key)) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_text("Incorrect code")).to_be_visible()
    page.get_by_label("Code").fill(current_code(key))
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Building department")).to_be_visible()

    # Half an hour later, the next click ends the session.
    later = timezone.now() + datetime.timedelta(minutes=31)
    monkeypatch.setattr("accounts.middleware.timezone", SimpleNamespace(now=lambda: later))
    page.get_by_role("link", name="License link requests").click()
    expect(page.get_by_role("heading", name="Signed out for inactivity")).to_be_visible()
    page.get_by_role("link", name="Sign in again").click()
    expect(page.get_by_role("heading", name="City Staff Sign In")).to_be_visible()


def test_a_new_staff_member_sets_up_an_app_through_the_emailed_link(page, live_server):
    """Issue 23: the password alone sets up no app; the administrator's one-time link does."""
    from accounts.services import authenticator_link_send, enrolment_token

    newclerk = UserFactory(username="newclerk", email="newclerk@city.example", is_staff=True)
    chief = UserFactory(username="chief", is_staff=True, is_superuser=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/admin/")
    password_step(page, "newclerk", TEST_PASSWORD)
    expect(
        page.get_by_role("heading", name="Your authenticator app is set up through an emailed link")
    ).to_be_visible()
    link = reverse(
        "accounts:authenticator_link",
        args=[enrolment_token(authenticator_link_send(user=newclerk, by=chief))],
    )
    page.goto(f"{live_server.url}{link}")
    page.get_by_role("button", name="Continue to set up").click()
    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    expect(page.get_by_text("a stolen password alone must not reach")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    key = page.get_by_label("Key (if you cannot scan the code)").input_value()
    page.get_by_label("Authenticator code").fill(current_code(key))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    codes = page.get_by_label("Unused codes").input_value().split()
    assert len(codes) == 10
    page.goto(f"{live_server.url}/admin/")
    expect(page.get_by_role("heading", name="Building department")).to_be_visible()
    # The link was good once.
    page.goto(f"{live_server.url}{link}")
    page.get_by_role("button", name="Continue to set up").click()
    expect(page.get_by_text("This set-up link is not valid")).to_be_visible()
