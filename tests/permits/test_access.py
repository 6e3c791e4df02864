"""policy.permits: who may do what with a permit, from approved links and membership roles."""

import pytest
from django.utils import timezone

from policy import permits as permit_rules
from tests.factories import (
    LicenseFactory,
    LicenseLinkFactory,
    MembershipFactory,
    PermitFactory,
    UserFactory,
    contractor_user,
    verify_email,
)

pytestmark = pytest.mark.django_db

ACTIONS = ("can_view_private", "can_pay", "can_request_inspection", "can_upload", "can_apply")


def allowed(user, permit) -> set[str]:
    fresh = type(user).objects.get(pk=user.pk)  # no cached scope between checks
    return {name for name in ACTIONS if getattr(permit_rules, name)(fresh, permit)}


@pytest.fixture
def license():
    return LicenseFactory()


@pytest.fixture
def permit(license):
    return PermitFactory(licenses=[license])


def test_anonymous_and_unrelated_users_may_do_nothing(permit):
    from django.contrib.auth.models import AnonymousUser

    assert allowed(UserFactory(), permit) == set()
    assert not permit_rules.can_view_private(AnonymousUser(), permit)


def test_an_approved_verified_license_lets_a_user_view_and_request_inspections(license, permit):
    user = contractor_user(license)
    assert allowed(user, permit) == {"can_view_private", "can_request_inspection"}


def test_a_pending_or_rejected_link_gives_nothing(license, permit):
    pending = UserFactory()
    verify_email(pending)
    LicenseLinkFactory(user=pending, license=license)
    rejected = UserFactory()
    verify_email(rejected)
    LicenseLinkFactory(user=rejected, license=license, status="rejected", decided_at=timezone.now())
    assert allowed(pending, permit) == set()
    assert allowed(rejected, permit) == set()


def test_an_unverified_email_gives_nothing(license, permit):
    user = contractor_user(license, verified=False, can_manage=True)
    assert allowed(user, permit) == set()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("can_pay", {"can_view_private", "can_pay"}),
        ("can_inspect", {"can_view_private", "can_request_inspection"}),
        ("can_upload", {"can_view_private", "can_upload"}),
        ("can_apply", {"can_view_private", "can_apply"}),
        ("can_manage", set(ACTIONS)),
    ],
)
def test_each_role_at_the_license_holder_grants_its_action(license, permit, role, expected):
    user = UserFactory()
    verify_email(user)
    MembershipFactory(user=user, contractor=license.holder, **{role: True})
    assert allowed(user, permit) == expected


def test_a_member_with_no_roles_sees_only_the_public_page(license, permit):
    user = UserFactory()
    verify_email(user)
    MembershipFactory(user=user, contractor=license.holder)
    assert allowed(user, permit) == set()


def test_roles_at_another_business_do_not_count(permit):
    user = UserFactory()
    verify_email(user)
    MembershipFactory(user=user, can_manage=True)
    assert allowed(user, permit) == set()


def test_a_permit_with_several_licenses_answers_for_each(license):
    other = LicenseFactory()
    permit = PermitFactory(licenses=[license, other])
    user = contractor_user(other)
    assert "can_view_private" in allowed(user, permit)


def test_a_removed_link_gives_nothing(license, permit):
    user = contractor_user(license)
    user.license_links.update(status="removed")
    assert allowed(user, permit) == set()


def test_the_scope_is_read_once_per_request(license, permit, django_assert_num_queries):
    user = contractor_user(license, can_manage=True)
    fresh = type(user).objects.get(pk=user.pk)
    permit_rules.can_view_private(fresh, permit)
    with django_assert_num_queries(0):
        for name in ACTIONS:
            getattr(permit_rules, name)(fresh, permit)
