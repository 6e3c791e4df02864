"""The public permit check page is limited per client address (issue 23, requirement 13): check
codes cannot be guessed at hundreds a second. The address is the trusted proxy setting's, as for
sign-in's limits."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from core.ratelimit import Limit, hit, wait_in_words
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def thirty_a_minute(settings, monkeypatch):
    settings.PERMIT_CHECK_LIMIT_PER_MINUTE = 30
    # The clock held 5 s into a minute: the counts are per minute, and 31 requests on a loaded
    # machine could otherwise straddle a minute's turn and start afresh (seen under load).
    monkeypatch.setattr("core.ratelimit.time", SimpleNamespace(time=lambda: 1_800_000_005.0))


def check(client, code: str, **headers):
    return client.get(reverse("permits:verify", args=[code]), **headers)


def test_the_31st_check_in_a_minute_from_one_address_waits(client):
    permit = PermitFactory()
    permit.__class__.objects.filter(pk=permit.pk).update(check_code="GOODCODE")
    for guess in range(30):
        assert check(client, f"ZZZZ{guess:04d}").status_code == 404
    refused = check(client, "GOODCODE")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Too many permit checks from your connection" in refused.text
    assert "Please wait" in refused.text
    assert permit.number not in refused.text  # nothing looked up
    # Another address is not held up by the first one's guesses.
    other = check(client, "GOODCODE", REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 200
    assert permit.number in other.text


def test_behind_a_proxy_the_limit_is_per_client_not_per_proxy(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for guess in range(30):
        response = check(client, f"ZZZZ{guess:04d}", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
        assert response.status_code == 404
    assert (
        check(client, "ZZZZ9999", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy).status_code == 429
    )
    # A second client through the same proxy still checks.
    assert (
        check(client, "ZZZZ9999", HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy).status_code == 404
    )
    # A client cannot dodge the limit by writing its own X-Forwarded-For: the proxy appends the
    # address it saw, and only that last entry is trusted.
    spoofed = check(client, "ZZZZ9999", HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.7", **proxy)
    assert spoofed.status_code == 429


def test_the_window_ends_and_the_address_checks_again():
    limit = Limit("test", 2, 60)
    assert hit(limit, "198.51.100.7", now=120.0) is None
    assert hit(limit, "198.51.100.7", now=130.0) is None
    assert hit(limit, "198.51.100.7", now=150.5) == 30  # seconds until the minute ends
    assert hit(limit, "198.51.100.7", now=180.0) is None


def test_the_wait_reads_as_words():
    assert wait_in_words(1) == "1 second"
    assert wait_in_words(45) == "45 seconds"
    assert wait_in_words(60) == "1 minute"
    assert wait_in_words(14 * 60 + 30) == "15 minutes"
