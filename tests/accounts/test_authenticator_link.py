"""A staff member's first authenticator app is set up through a one-time link an administrator
emails them, never with the password alone (issue 23, requirement 13)."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import AuthenticatorEnrolment
from tests.accounts.test_mfa import (  # noqa: F401 (autouse fixtures)
    staff_need_mfa,
    still_clock,
    with_authenticator_app,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

USERS = reverse("admin:accounts_user_changelist")


@pytest.fixture
def newclerk():
    return UserFactory(username="newclerk", email="newclerk@city.example", is_staff=True)


@pytest.fixture
def admin_client(client):
    admin_user = UserFactory(username="chief", is_staff=True, is_superuser=True)
    with_authenticator_app(admin_user)
    client.force_login(admin_user)
    return client


def send_link(client, user, django_capture_on_commit_callbacks):
    # The admin's own second factor is tested in test_mfa: here it is taken as passed.
    with (
        override_settings(STAFF_REQUIRE_MFA=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        return client.post(
            USERS,
            {"action": "send_authenticator_link", "_selected_action": [user.pk]},
            follow=True,
        )


def emailed_link(index: int = -1) -> str:
    return re.search(r"http://\S+/staff/authenticator/\S+/", mail.outbox[index].body).group(0)


def test_admin_sends_the_link_and_it_works_once(
    admin_client, newclerk, django_capture_on_commit_callbacks
):
    page = send_link(admin_client, newclerk, django_capture_on_commit_callbacks)
    assert "Set-up link sent to newclerk at newclerk@city.example" in page.text
    assert mail.outbox[-1].to == ["newclerk@city.example"]
    assert "Set up your authenticator app" in mail.outbox[-1].subject
    path = emailed_link().split("8000", 1)[1]
    browser = Client()
    assert browser.get(path).status_code == 200  # opening it (a mail scanner) uses nothing
    opened = browser.post(path)
    assert opened.url == reverse("mfa_activate_totp")
    assert browser.session["_auth_user_id"] == str(newclerk.pk)  # that account, no other
    assert browser.get(opened.url).status_code == 200
    # The same link a second time, in another browser: refused, nobody signed in.
    again = Client()
    refused = again.post(path)
    assert refused.status_code == 410
    assert "This set-up link is not valid" in refused.text
    assert "_auth_user_id" not in again.session


def test_a_newer_link_replaces_the_older_one(
    admin_client, newclerk, client, django_capture_on_commit_callbacks
):
    send_link(admin_client, newclerk, django_capture_on_commit_callbacks)
    send_link(admin_client, newclerk, django_capture_on_commit_callbacks)
    first, second = (emailed_link(0), emailed_link(1))
    assert first != second
    client.logout()
    assert client.post(first.split("8000", 1)[1]).status_code == 410
    assert client.post(second.split("8000", 1)[1]).status_code == 302


def test_an_expired_link_is_refused(
    admin_client, newclerk, client, django_capture_on_commit_callbacks
):
    import datetime

    send_link(admin_client, newclerk, django_capture_on_commit_callbacks)
    enrolment = AuthenticatorEnrolment.objects.get(user=newclerk)
    enrolment.expires_at -= datetime.timedelta(hours=24)
    enrolment.save()
    client.logout()
    refused = client.post(emailed_link().split("8000", 1)[1])
    assert refused.status_code == 410
    assert "This set-up link has expired" in refused.text


def test_a_tampered_link_is_refused(client, newclerk):
    refused = client.post(reverse("accounts:authenticator_link", args=["MQ:forged:signature"]))
    assert refused.status_code == 410
    assert "_auth_user_id" not in client.session


def test_no_link_for_a_staff_member_who_has_an_app_or_a_contractor(
    admin_client, newclerk, django_capture_on_commit_callbacks
):
    with_authenticator_app(newclerk)
    contractor = UserFactory(username="sparky", email="sparky@example.com")
    page = send_link(admin_client, newclerk, django_capture_on_commit_callbacks)
    assert "ewclerk already has an authenticator app" in page.text
    page = send_link(admin_client, contractor, django_capture_on_commit_callbacks)
    assert "parky is not active city staff" in page.text
    assert mail.outbox == []


def test_only_staff_who_may_change_users_have_the_action(client, newclerk):
    clerk = UserFactory(username="deskclerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_user"))
    with_authenticator_app(clerk)
    client.force_login(clerk)
    with override_settings(STAFF_REQUIRE_MFA=False):
        page = client.get(USERS)
        assert page.status_code == 200
        assert "send_authenticator_link" not in page.text
        client.post(USERS, {"action": "send_authenticator_link", "_selected_action": [newclerk.pk]})
    assert not AuthenticatorEnrolment.objects.exists()


def test_the_first_superuser_gets_a_link_from_the_server(django_capture_on_commit_callbacks):
    from django.core.management import call_command

    UserFactory(username="root", email="root@city.example", is_staff=True, is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("authenticator_link", "root")
    assert mail.outbox[-1].to == ["root@city.example"]
    assert "/staff/authenticator/" in mail.outbox[-1].body
