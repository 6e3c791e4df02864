"""Issue 13, requirement 1: the staff email's "Review" link opens a page showing what the
applicant entered, the license on record and what approving will do, with Approve and Reject
(reason) on it; on a fresh install someone who may decide is always emailed."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse

from core.events import event_record
from licenses.models import LicenseLink, Membership
from notifications.subscribers.accounts import license_reviewer_addresses, notify_license_reviewers
from payments.models import EntryKind, TrustAccount, TrustEntry
from permits.models import FeeStatus, PermitStatus
from tests.factories import (
    ContractorFactory,
    FeeFactory,
    LicenseFactory,
    LicenseLinkFactory,
    MembershipFactory,
    PermitFactory,
    UserFactory,
    verify_email,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(client):
    user = UserFactory(username="clerk", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def link():
    business = ContractorFactory(business_name="Prairie Electric Co.")
    license = LicenseFactory(holder=business, number="EC100123")
    for _ in range(3):
        PermitFactory(licenses=[license], status=PermitStatus.ISSUED)
    PermitFactory(licenses=[license], status=PermitStatus.FINALED)
    account = TrustAccount.objects.create(contractor=business)
    TrustEntry.objects.create(account=account, kind=EntryKind.DEPOSIT, amount=Decimal("1925.81"))
    applicant = UserFactory(
        first_name="Dana",
        last_name="Ruiz",
        email="dana@example.com",
        phone="(217) 555-0142",
        mailing_address="12 Elm St",
        mailing_city="Springfield",
        mailing_state="IL",
        mailing_zip="62701",
    )
    verify_email(applicant)
    return LicenseLinkFactory(user=applicant, license=license)


def review(client, link):
    return client.get(reverse("admin:licenses_licenselink_change", args=[link.pk]))


def test_the_review_page_shows_the_applicant_the_license_and_what_approval_does(
    client, clerk, link
):
    page = review(client, link)
    assert page.status_code == 200
    text = page.text
    for shown in (
        "Dana Ruiz",
        "dana@example.com",
        "verified",
        "(217) 555-0142",
        "12 Elm St, Springfield, IL 62701",
        "EC100123",
        "Prairie Electric Co.",
    ):
        assert shown in text, shown
    preview = text[text.index('id="approval-preview"') :]
    assert "Dana Ruiz becomes Manager of Prairie Electric Co." in preview
    assert "4 permits (3 active) with $0.00 in fees due, through every license" in preview
    assert "a trust account with $1,925.81" in preview
    assert reverse("admin:licenses_licenselink_approve", args=[link.pk]) in text
    assert reverse("admin:licenses_licenselink_reject", args=[link.pk]) in text


@pytest.fixture
def second_license(link):
    """Prairie Electric's other license, with more permits and fees due than the one asked
    for (the demo's EC10001 beside EC10002), and a permit naming both."""
    other = LicenseFactory(holder=link.license.holder, number="EC100999")
    for amount in ("1000.00", "2000.50"):
        FeeFactory(permit=PermitFactory(licenses=[other]), amount=Decimal(amount))
    both = PermitFactory(licenses=[other, link.license], status=PermitStatus.ISSUED)
    FeeFactory(permit=both, amount=Decimal("100.00"))
    FeeFactory(permit=both, amount=Decimal("50.00"), status=FeeStatus.PAID)
    return other


def test_the_review_page_lists_every_license_of_the_business_and_the_role(
    client, clerk, link, second_license, django_assert_max_num_queries
):
    from licenses.selectors import approval_preview

    # The business, its members, its licenses, four sums, the trust account's two: however
    # many licenses and permits it has.
    for number in range(3):
        LicenseFactory(holder=link.license.holder, number=f"EC20000{number}")
    with django_assert_max_num_queries(9):
        preview = approval_preview(link)
    rows = {row.license.number: row for row in preview.licenses}
    assert rows["EC100123"].requested and not rows["EC100999"].requested
    assert (rows["EC100123"].figures.permits, rows["EC100123"].figures.active) == (5, 4)
    assert rows["EC100123"].figures.fees_due == Decimal("100.00")
    assert (rows["EC100999"].figures.permits, rows["EC100999"].figures.active) == (3, 3)
    assert rows["EC100999"].figures.fees_due == Decimal("3100.50")
    # The permit naming both counts once, and so does its fee.
    assert (preview.total.permits, preview.total.active) == (7, 6)
    assert preview.total.fees_due == Decimal("3100.50")

    text = review(client, link).text
    table = text[text.index('id="business-licenses"') :]
    assert "EC100999" in table and "$3,100.50" in table
    role = text[text.index('data-testid="approval-role"') :]
    assert role.startswith('data-testid="approval-role">Manager: every role (Apply, Pay,')
    seen = text[text.index('data-testid="approval-seen"') :]
    assert seen.startswith(
        'data-testid="approval-seen">7 permits (6 active) with $3,100.50 in fees due, through '
        "every license of Prairie Electric Co. (5)"
    )


def test_without_a_role_the_applicant_sees_only_the_license_asked_for(
    client, clerk, link, second_license
):
    MembershipFactory(contractor=link.license.holder, can_manage=True)
    text = review(client, link).text
    assert "No role until a Manager of the business grants one" in text
    seen = text[text.index('data-testid="approval-seen"') :]
    assert seen.startswith(
        'data-testid="approval-seen">5 permits (4 active) with $100.00 in fees due, through '
        "license EC100123 only"
    )


def test_with_a_manager_already_the_applicant_joins_without_a_role(client, clerk, link):
    manager = UserFactory(first_name="Lee", last_name="Park")
    MembershipFactory(user=manager, contractor=link.license.holder, can_manage=True)
    preview = review(client, link).text
    assert "becomes Manager" not in preview
    assert "joins Prairie Electric Co. with no role there" in preview
    assert "Lee Park" in preview


def test_an_unverified_address_is_said(client, clerk, link):
    link.user.emailaddress_set.update(verified=False)
    assert "not verified yet" in review(client, link).text


def test_approve_on_the_page_decides_and_emails(
    client, clerk, link, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:licenses_licenselink_approve", args=[link.pk]), follow=True
        )
    assert "Approved: " in response.text
    link.refresh_from_db()
    assert link.status == "approved" and link.decided_by == clerk
    assert Membership.objects.get(user=link.user, contractor=link.license.holder).can_manage
    assert mail.outbox[-1].to == ["dana@example.com"]
    # Decided: no buttons any more, the decision shown instead.
    again = review(client, link).text
    assert reverse("admin:licenses_licenselink_approve", args=[link.pk]) not in again
    assert "Decided: Approved by clerk" in again


def test_reject_on_the_page_needs_a_reason_and_sends_it(
    client, clerk, link, django_capture_on_commit_callbacks
):
    url = reverse("admin:licenses_licenselink_reject", args=[link.pk])
    response = client.post(url, {"reason": "  "}, follow=True)
    assert "Give the reason for the rejection" in response.text
    assert LicenseLink.objects.get(pk=link.pk).status == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"reason": "The license belongs to another Dana."}, follow=True)
    link.refresh_from_db()
    assert link.status == "rejected" and link.reason == "The license belongs to another Dana."
    assert "another Dana" in mail.outbox[-1].body


def test_a_decision_needs_the_permission_and_a_post(client, link):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_licenselink"))
    client.force_login(viewer)
    page = review(client, link)
    assert page.status_code == 200
    assert reverse("admin:licenses_licenselink_approve", args=[link.pk]) not in page.text
    url = reverse("admin:licenses_licenselink_approve", args=[link.pk])
    assert client.post(url).status_code == 403
    assert LicenseLink.objects.get(pk=link.pk).status == "pending"
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(url).status_code == 405


def test_on_a_fresh_install_the_staff_who_may_decide_are_told(
    link, settings, django_capture_on_commit_callbacks
):
    settings.LICENSE_REVIEWER_EMAILS = []
    UserFactory(email="admin@city.example", is_staff=True, is_superuser=True)
    decider = UserFactory(email="clerk@city.example", is_staff=True)
    decider.user_permissions.add(Permission.objects.get(codename="change_licenselink"))
    UserFactory(email="inspector@city.example", is_staff=True)  # may not decide
    UserFactory(email="gone@city.example", is_staff=True, is_superuser=True, is_active=False)
    UserFactory(email="contractor@example.com", is_superuser=True)  # not staff
    assert license_reviewer_addresses() == ["admin@city.example", "clerk@city.example"]
    notify_license_reviewers(event_record("license_link.requested", subject=link))
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "admin@city.example",
        "clerk@city.example",
    ]


def test_a_reviewers_group_or_the_setting_takes_precedence(link, settings):
    settings.LICENSE_REVIEWER_EMAILS = []
    UserFactory(email="admin@city.example", is_staff=True, is_superuser=True)
    reviewer = UserFactory(email="reviewer@city.example", is_staff=True)
    reviewer.groups.add(Group.objects.create(name="License Reviewers"))
    assert license_reviewer_addresses() == ["reviewer@city.example"]
    settings.LICENSE_REVIEWER_EMAILS = ["desk@city.example"]
    assert license_reviewer_addresses() == ["desk@city.example", "reviewer@city.example"]
