"""Wrong authenticator codes are limited per account, from every address together (issue 23,
requirement 13): allauth's own limit counts per address (30 in 15 minutes), so a stolen password
tried from many addresses had 30 guesses at the code from each. After the limit the account
waits, says for how long, and its owner is emailed once."""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecondFactorGuard
from core.models import Event
from tests.accounts.test_mfa import (  # noqa: F401 (autouse fixtures)
    SECRET,
    sign_in,
    staff_need_mfa,
    still_clock,
    totp_code,
    with_authenticator_app,
    wrong_code,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

AUTHENTICATE = reverse("mfa_authenticate")


@pytest.fixture(autouse=True)
def ten_in_fifteen_minutes(settings):
    settings.SECOND_FACTOR_WRONG_CODE_LIMIT = 10
    settings.SECOND_FACTOR_WINDOW_MINUTES = 15
    settings.SECOND_FACTOR_LOCK_MINUTES = 15


@pytest.fixture
def boss():
    user = UserFactory(username="boss", email="boss@city.example", is_staff=True)
    with_authenticator_app(user)
    return user


def at_the_code(**address) -> Client:
    """A browser from its own address, past the password and asked for the code."""
    client = Client(**address)
    assert sign_in(client).url.startswith(AUTHENTICATE)
    return client


def test_ten_wrong_codes_from_ten_addresses_lock_the_account(
    boss, django_capture_on_commit_callbacks
):
    for n in range(9):
        client = at_the_code(REMOTE_ADDR=f"198.51.100.{n + 1}")
        refused = client.post(AUTHENTICATE, {"code": wrong_code(SECRET)})
        assert "Incorrect code" in refused.text
    tenth = at_the_code(REMOTE_ADDR="198.51.100.10")
    with django_capture_on_commit_callbacks(execute=True):
        locked = tenth.post(AUTHENTICATE, {"code": wrong_code(SECRET)})
    assert locked.status_code == 200
    assert "Too many wrong codes for this account" in locked.text
    assert "no code is accepted for 15 minutes" in locked.text
    # Now even the right code, from yet another address, waits.
    owner = at_the_code(REMOTE_ADDR="203.0.113.50")
    with django_capture_on_commit_callbacks(execute=True):
        refused = owner.post(AUTHENTICATE, {"code": totp_code(SECRET)})
    assert "Too many wrong codes for this account" in refused.text
    assert "_auth_user_id" not in owner.session
    # The owner is emailed once for the lock-out, not for each refused code.
    assert Event.objects.filter(type="account.second_factor_locked").count() == 1
    assert [message.to for message in mail.outbox] == [["boss@city.example"]]
    assert "typed 10 wrong authenticator codes" in mail.outbox[0].body
    assert "someone knows your password" in mail.outbox[0].body


def test_behind_a_proxy_each_client_address_still_counts_for_the_one_account(boss, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for n in range(10):
        client = at_the_code(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"198.51.100.{n + 1}")
        client.post(AUTHENTICATE, {"code": wrong_code(SECRET)})
    owner = at_the_code(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.50")
    refused = owner.post(AUTHENTICATE, {"code": totp_code(SECRET)})
    assert "Too many wrong codes for this account" in refused.text


def test_after_the_wait_the_right_code_signs_in(boss):
    for n in range(10):
        at_the_code(REMOTE_ADDR=f"198.51.100.{n + 1}").post(
            AUTHENTICATE, {"code": wrong_code(SECRET)}
        )
    guard = SecondFactorGuard.objects.get(user=boss)
    assert guard.locked_until is not None
    # Fifteen minutes later.
    guard.locked_until -= datetime.timedelta(minutes=15, seconds=1)
    guard.save()
    owner = at_the_code(REMOTE_ADDR="203.0.113.50")
    accepted = owner.post(AUTHENTICATE, {"code": totp_code(SECRET)})
    assert accepted.status_code == 302
    assert owner.session.get("_auth_user_id") == str(boss.pk)


def test_wrong_codes_older_than_the_window_do_not_count(boss):
    for n in range(9):
        at_the_code(REMOTE_ADDR=f"198.51.100.{n + 1}").post(
            AUTHENTICATE, {"code": wrong_code(SECRET)}
        )
    SecondFactorGuard.objects.filter(user=boss).update(
        window_started_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    client = at_the_code(REMOTE_ADDR="198.51.100.99")
    refused = client.post(AUTHENTICATE, {"code": wrong_code(SECRET)})
    assert "Incorrect code" in refused.text
    assert SecondFactorGuard.objects.get(user=boss).wrong_codes == 1


def test_another_account_is_not_held_up(boss):
    other = UserFactory(username="other", is_staff=True)
    with_authenticator_app(other)
    for n in range(10):
        at_the_code(REMOTE_ADDR=f"198.51.100.{n + 1}").post(
            AUTHENTICATE, {"code": wrong_code(SECRET)}
        )
    client = Client(REMOTE_ADDR="198.51.100.1")
    sign_in(client, login="other")
    assert client.post(AUTHENTICATE, {"code": totp_code(SECRET)}).status_code == 302


def test_while_the_account_waits_the_page_says_how_long_is_left(boss):
    """The wait is counted from the lock's own time, not the setting: 6.5 minutes left reads
    "7 minutes" (a part-minute counts whole), not the 15 the lock started with."""
    for n in range(10):
        at_the_code(REMOTE_ADDR=f"198.51.100.{n + 1}").post(
            AUTHENTICATE, {"code": wrong_code(SECRET)}
        )
    SecondFactorGuard.objects.filter(user=boss).update(
        locked_until=timezone.now() + datetime.timedelta(minutes=6, seconds=30)
    )
    refused = at_the_code(REMOTE_ADDR="203.0.113.50").post(
        AUTHENTICATE, {"code": totp_code(SECRET)}
    )
    assert "no code is accepted for 7 minutes" in refused.text
    assert "15 minutes" not in refused.text
    # And the wait is not made longer by a code typed meanwhile.
    assert SecondFactorGuard.objects.get(user=boss).locked_until < timezone.now() + (
        datetime.timedelta(minutes=7)
    )
