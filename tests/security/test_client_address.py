"""Behind the README's reverse proxy, the client's address comes from the one trusted setting
and is used alike by allauth's limits, django-axes and the security log (issue 12, findings 1
and 7)."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")
WRONG = "wrong password here"


def from_address(address: str, proxy: str = "10.0.0.2") -> Client:
    """A browser at `address` behind the one proxy (which appends it to X-Forwarded-For)."""
    return Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=address)


@pytest.fixture
def behind_proxy(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1


def test_one_client_behind_the_proxy_cannot_stop_everyone_signing_in(behind_proxy):
    UserFactory(username="demo")
    for index in range(40):
        from_address(f"203.0.113.{index % 3}").post(
            LOGIN, {"login": f"nobody{index}", "password": WRONG}
        )
    response = from_address("198.51.100.7").post(
        LOGIN, {"login": "demo", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302


def test_the_security_log_records_the_clients_address_not_the_proxys(behind_proxy, caplog):
    caplog.set_level(logging.INFO, logger="portal.security")
    UserFactory(username="demo")
    from_address("198.51.100.7").post(LOGIN, {"login": "demo", "password": TEST_PASSWORD})
    messages = [r.getMessage() for r in caplog.records if r.name == "portal.security"]
    assert "sign-in: user=demo ip=198.51.100.7" in messages


def test_without_a_trusted_proxy_a_forged_forwarded_for_is_ignored(caplog):
    caplog.set_level(logging.INFO, logger="portal.security")
    UserFactory(username="demo")
    from_address("198.51.100.7", proxy="192.0.2.1").post(
        LOGIN, {"login": "demo", "password": TEST_PASSWORD}
    )
    messages = [r.getMessage() for r in caplog.records if r.name == "portal.security"]
    assert "sign-in: user=demo ip=192.0.2.1" in messages


def test_five_failures_lock_an_account_only_for_the_address_they_came_from(behind_proxy):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    attacker = from_address("203.0.113.9")
    for _ in range(5):
        attacker.post(url, {"username": "boss", "password": WRONG})
    assert attacker.post(url, {"username": "boss", "password": TEST_PASSWORD}).status_code == 429
    owner = from_address("198.51.100.7")
    assert owner.post(url, {"username": "boss", "password": TEST_PASSWORD}).status_code == 302


def test_a_verified_second_address_shares_the_accounts_five_tries():
    from allauth.account.models import EmailAddress

    user = UserFactory(username="sparky", email="sparky@example.com")
    EmailAddress.objects.create(user=user, email="office@sparky.example", verified=True)
    client = Client()
    for _ in range(4):
        client.post(LOGIN, {"login": "sparky", "password": WRONG})
    response = client.post(LOGIN, {"login": "office@sparky.example", "password": WRONG})
    assert response.status_code == 429
    assert client.post(LOGIN, {"login": "sparky", "password": TEST_PASSWORD}).status_code == 429


def test_control_an_untrusted_proxy_is_one_client_for_the_address_limit():
    """The same failures through a proxy the portal was not told of all count against the
    proxy's address: the per-address limit is real, and the trusted proxy setting is what
    keeps one client's failures its own."""
    UserFactory(username="demo")
    for index in range(40):
        from_address(f"203.0.113.{index % 3}").post(
            LOGIN, {"login": f"nobody{index}", "password": WRONG}
        )
    response = from_address("198.51.100.7").post(
        LOGIN, {"login": "demo", "password": TEST_PASSWORD}
    )
    assert response.status_code == 429


def test_a_sign_in_without_a_known_address_is_recorded_with_none(client, caplog):
    """django-axes keeps the address in an inet column on PostgreSQL: an unknown one is NULL
    there, not "-" (which made every such sign-in a 500)."""
    from axes.models import AccessLog

    user = UserFactory()
    with caplog.at_level(logging.INFO, logger="portal.security"):
        client.force_login(user)  # a request with no REMOTE_ADDR at all
    assert AccessLog.objects.get(username=user.username).ip_address is None
    assert f"sign-in: user={user.username} ip=-" in caplog.text
