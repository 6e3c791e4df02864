"""Staff decide license link requests in Django admin; decisions are final and emailed."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from licenses.exceptions import LicenseError
from licenses.models import LicenseLink, LicenseStatus, Membership
from licenses.services import license_link_approve, license_link_reject, license_link_request
from policy.permits import can_view_private
from tests.factories import (
    LicenseFactory,
    LicenseLinkFactory,
    PermitFactory,
    UserFactory,
    set_status,
    verify_email,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:licenses_licenselink_changelist")


@pytest.fixture
def clerk(client):
    user = UserFactory(username="clerk", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def act(client, action, links, **extra):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [link.pk for link in links], **extra},
        follow=True,
    )


def test_the_queue_lists_pending_requests_first(client, clerk):
    old_decided = LicenseLinkFactory(status="approved", decided_at=timezone.now())
    pending = LicenseLinkFactory()
    response = client.get(CHANGELIST)
    rows = list(response.context["cl"].result_list)
    assert rows[0] == pending and rows[1] == old_decided
    text = response.text
    assert "License link requests" in text
    assert pending.license.holder.business_name in text


def test_approve_records_who_and_when_and_emails_the_user(
    client, clerk, django_capture_on_commit_callbacks
):
    link = LicenseLinkFactory(user=UserFactory(email="u@example.com"))
    verify_email(link.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(client, "approve", [link])
    assert "Approved 1 request" in response.text
    link.refresh_from_db()
    assert link.status == "approved" and link.decided_by == clerk and link.decided_at
    message = mail.outbox[-1]
    assert message.to == ["u@example.com"] and "approved" in message.subject
    assert "/confirm-email/" not in message.body  # already verified: no link needed


def test_the_approval_email_carries_the_verification_link_again_when_unverified(
    clerk, django_capture_on_commit_callbacks
):
    link = LicenseLinkFactory()
    verify_email(link.user, verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        license_link_approve(link=link, by=clerk)
    body = mail.outbox[-1].body
    assert "verify your email address" in body
    assert "/accounts/confirm-email/" in body


@pytest.mark.parametrize(
    "status", [LicenseStatus.EXPIRED, LicenseStatus.SUSPENDED, LicenseStatus.REVOKED]
)
def test_approving_an_inactive_license_is_refused_with_a_message(client, clerk, status):
    link = LicenseLinkFactory()
    set_status(link.license, status)
    response = act(client, "approve", [link])
    assert "cannot be approved" in response.text
    link.refresh_from_db()
    assert link.status == "pending"


def test_reject_asks_for_a_reason_and_emails_it(client, clerk, django_capture_on_commit_callbacks):
    link = LicenseLinkFactory()
    page = act(client, "reject", [link])
    assert "Reason (sent to the user)" in page.text
    link.refresh_from_db()
    assert link.status == "pending"  # nothing happens without a reason
    with django_capture_on_commit_callbacks(execute=True):
        response = act(client, "reject", [link], reason="Not an employee of the license holder.")
    assert "Rejected 1 request" in response.text
    link.refresh_from_db()
    assert link.status == "rejected" and link.reason == "Not an employee of the license holder."
    assert link.decided_by == clerk
    assert "Not an employee of the license holder." in mail.outbox[-1].body


def test_a_decision_cannot_be_changed_afterwards(client, clerk):
    link = LicenseLinkFactory()
    license_link_reject(link=link, by=clerk, reason="No.")
    response = act(client, "approve", [link])
    assert "a decision is not changed afterwards" in response.text
    link.refresh_from_db()
    assert link.status == "rejected"
    with pytest.raises(LicenseError):
        license_link_approve(link=link, by=clerk)
    # The admin form has nothing to edit and nothing to delete.
    page = client.get(reverse("admin:licenses_licenselink_change", args=[link.pk]))
    assert 'name="status"' not in page.text
    assert (
        client.post(reverse("admin:licenses_licenselink_delete", args=[link.pk])).status_code == 403
    )


def test_the_first_user_approved_becomes_the_business_manager(clerk):
    license = LicenseFactory()
    first = LicenseLinkFactory(license=license)
    second = LicenseLinkFactory(license=LicenseFactory(holder=license.holder))
    license_link_approve(link=first, by=clerk)
    license_link_approve(link=second, by=clerk)
    assert Membership.objects.get(user=first.user).can_manage
    later = Membership.objects.get(user=second.user)
    assert not later.can_manage and later.roles == frozenset()


def test_a_registered_contractor_needs_both_approval_and_verification(clerk):
    license = LicenseFactory()
    permit = PermitFactory(licenses=[license])
    user = UserFactory()
    link = license_link_request(user=user, license=license)
    verify_email(user, verified=True)
    assert not can_view_private(UserFactory._meta.model.objects.get(pk=user.pk), permit)  # pending
    license_link_approve(link=link, by=clerk)
    verify_email(user, verified=False)
    assert not can_view_private(
        UserFactory._meta.model.objects.get(pk=user.pk), permit
    )  # unverified
    verify_email(user, verified=True)
    assert can_view_private(UserFactory._meta.model.objects.get(pk=user.pk), permit)


def test_the_same_license_twice_is_refused_but_colleagues_may_ask(clerk):
    license = LicenseFactory()
    user = UserFactory()
    license_link_request(user=user, license=license)
    with pytest.raises(LicenseError, match="already on your account"):
        license_link_request(user=user, license=license)
    license_link_request(user=UserFactory(), license=license)
    assert LicenseLink.objects.filter(license=license).count() == 2


def test_the_database_refuses_a_second_live_request():
    from django.db import IntegrityError

    link = LicenseLinkFactory()
    with pytest.raises(IntegrityError):
        LicenseLinkFactory(user=link.user, license=link.license)


def test_a_rejected_license_may_be_asked_for_again(clerk):
    link = LicenseLinkFactory()
    license_link_reject(link=link, by=clerk, reason="Send the employment letter.")
    again = license_link_request(user=link.user, license=link.license)
    assert again.status == "pending"


def test_the_review_email_reaches_the_reviewers_group_and_settings_addresses(
    settings, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Group

    settings.LICENSE_REVIEWER_EMAILS = ["licensing@city.example"]
    group = Group.objects.create(name="License Reviewers")
    reviewer = UserFactory(email="rev@city.example", is_staff=True)
    reviewer.groups.add(group)
    UserFactory(email="notstaff@example.com").groups.add(group)  # not staff: not told
    with django_capture_on_commit_callbacks(execute=True):
        license_link_request(user=UserFactory(), license=LicenseFactory())
    # One message each.
    told = [message for message in mail.outbox if "/admin/licenses/licenselink/" in message.body]
    assert sorted(address for message in told for address in message.to) == [
        "licensing@city.example",
        "rev@city.example",
    ]
