"""Idle sessions end: staff after STAFF_IDLE_MINUTES (30), contractors after
CONTRACTOR_IDLE_MINUTES (120), with a "Signed out for inactivity" page (issue 12, req. 2)."""

import datetime
import logging
import re
from types import SimpleNamespace

import pytest
from django.templatetags.static import static
from django.urls import reverse

from accounts.middleware import LAST_ACTIVITY_SESSION_KEY
from tests.factories import TEST_PASSWORD, UserFactory, contractor_user

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")
SIGNED_OUT = reverse("accounts:signed_out_idle")
START = datetime.datetime(2025, 6, 2, 9, 0, tzinfo=datetime.UTC)


class Clock:
    """The time the idle check reads, moved by the test."""

    def __init__(self, now: datetime.datetime) -> None:
        self.now = now

    def advance(self, **delta) -> None:
        self.now += datetime.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(START)
    monkeypatch.setattr("accounts.middleware.timezone", SimpleNamespace(now=lambda: clock.now))
    return clock


@pytest.fixture
def contractor():
    return contractor_user(username="sparky")


@pytest.fixture
def staff():
    return UserFactory(username="clerkly", is_staff=True)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_a_contractor_is_signed_out_after_the_contractor_limit(client, clock, contractor):
    client.force_login(contractor)
    clock.advance(minutes=120, seconds=1)
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response.url == f"{SIGNED_OUT}?next=%2Fdashboard%2F"
    assert not signed_in(client)
    page = client.get(response.url)
    assert page.status_code == 200
    assert "Signed out for inactivity" in page.text
    assert f'href="{reverse("account_login")}?next=/dashboard/"' in page.text
    assert "120 minutes for contractors, 30 minutes for city staff" in page.text


def test_a_contractor_idle_just_under_the_limit_stays_signed_in(client, clock, contractor):
    client.force_login(contractor)
    clock.advance(minutes=119, seconds=59)
    assert client.get(DASHBOARD).status_code == 200
    assert signed_in(client)


def test_staff_are_signed_out_after_thirty_minutes(client, clock, staff):
    client.force_login(staff)
    clock.advance(minutes=30, seconds=1)
    response = client.get(DASHBOARD)
    assert response.url.startswith(SIGNED_OUT)
    assert not signed_in(client)


def test_staff_idle_just_under_thirty_minutes_stay_signed_in(client, clock, staff):
    client.force_login(staff)
    clock.advance(minutes=29, seconds=59)
    assert client.get(DASHBOARD).status_code == 200
    assert signed_in(client)


def test_the_staff_limit_is_not_the_contractors(client, clock, contractor):
    client.force_login(contractor)
    clock.advance(minutes=45)
    assert client.get(DASHBOARD).status_code == 200


def test_activity_keeps_a_session_going_past_the_limit(client, clock, staff):
    """Idle means without a request: a staff member working all morning is never signed out,
    and is the first time they stop for longer than the limit."""
    client.force_login(staff)
    for _ in range(8):
        clock.advance(minutes=29)
        assert client.get(DASHBOARD).status_code == 200
    assert signed_in(client)  # four hours after signing in
    clock.advance(minutes=31)
    assert client.get(DASHBOARD).url.startswith(SIGNED_OUT)


def test_the_idle_limits_are_settings(client, clock, contractor, settings):
    settings.CONTRACTOR_IDLE_MINUTES = 10
    client.force_login(contractor)
    clock.advance(minutes=10, seconds=1)
    assert client.get(DASHBOARD).url.startswith(SIGNED_OUT)


def test_the_time_starts_at_a_real_sign_in(client, clock, contractor):
    response = client.post(reverse("account_login"), {"login": "sparky", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.session[LAST_ACTIVITY_SESSION_KEY] == START.timestamp()
    clock.advance(minutes=121)
    assert client.get(DASHBOARD).url.startswith(SIGNED_OUT)


def test_activity_is_written_at_most_once_a_minute(client, clock, contractor):
    """Writing the time on every request would save the session on every page."""
    client.force_login(contractor)
    clock.advance(seconds=30)
    client.get(DASHBOARD)
    assert client.session[LAST_ACTIVITY_SESSION_KEY] == START.timestamp()
    clock.advance(seconds=31)
    client.get(DASHBOARD)
    assert client.session[LAST_ACTIVITY_SESSION_KEY] == clock.now.timestamp()


def test_a_form_sent_after_the_limit_is_not_acted_on(client, clock, contractor):
    from permits.models import Collection

    client.force_login(contractor)
    client.post(reverse("permits:collection_create"), {"name": "Spring jobs"})
    assert Collection.objects.filter(name="Spring jobs").exists()  # control: the form works
    clock.advance(minutes=121)
    response = client.post(reverse("permits:collection_create"), {"name": "Fall jobs"})
    assert response.status_code == 302
    assert response.url == SIGNED_OUT
    assert not Collection.objects.filter(name="Fall jobs").exists()


def test_the_sign_out_goes_to_the_security_log(client, clock, contractor, caplog):
    caplog.set_level(logging.INFO, logger="portal.security")
    client.force_login(contractor)
    clock.advance(minutes=121)
    client.get(DASHBOARD)
    messages = [r.getMessage() for r in caplog.records if r.name == "portal.security"]
    assert any(m.startswith("signed out for inactivity: user=sparky") for m in messages)


def test_the_page_links_back_only_to_this_site(client):
    page = client.get(SIGNED_OUT, {"next": "https://evil.example/"})
    # No link or form goes there (the language switch keeps this page's own address, query and
    # all, to come back to it: accounts.language_views checks it is this site's).
    assert not re.search(r'(href|action)="[^"]*evil\.example', page.text)
    assert f'href="{reverse("account_login")}"' in page.text


def test_the_page_keeps_to_the_strict_csp(client):
    page = client.get(SIGNED_OUT)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert " style=" not in page.text
    assert "<style" not in page.text
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", page.text))


def test_visitors_are_not_touched(client, clock):
    assert client.get(reverse("home")).status_code == 200
    assert LAST_ACTIVITY_SESSION_KEY not in client.session


def test_a_background_request_after_the_limit_is_served_as_to_a_visitor(client, clock, contractor):
    """The browser's own request (a favicon, a script's) may be the first after the limit: it
    gets nothing of the account, and the person's next click still lands on the page that says
    why, not a bare sign-in page."""
    client.force_login(contractor)
    clock.advance(minutes=121)
    background = client.get(DASHBOARD, headers={"Sec-Fetch-Mode": "cors"})
    assert background.status_code == 302
    assert background.url.startswith(reverse("account_login"))
    icon = client.get("/favicon.ico", headers={"Sec-Fetch-Mode": "no-cors"})
    assert icon.status_code == 302 and icon.url == static("portal/favicon.svg")
    response = client.get(DASHBOARD, headers={"Sec-Fetch-Mode": "navigate"})
    assert response.url == f"{SIGNED_OUT}?next=%2Fdashboard%2F"
    assert not signed_in(client)
