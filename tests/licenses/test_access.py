"""The contractor scope: one hand-written query read once per request (licenses.access)."""

import pytest
from django.utils import timezone

from licenses.access import contractor_scope
from licenses.models import ROLE_FIELDS, Role
from permits.access import is_a_contact, record_license_ids
from permits.models import PermitContact
from tests.factories import (
    ContractorFactory,
    LicenseFactory,
    LicenseLinkFactory,
    MembershipFactory,
    PermitFactory,
    UserFactory,
    verify_email,
)

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as a new request sees them (nothing cached on the object)."""
    return type(user).objects.get(pk=user.pk)


@pytest.mark.parametrize("role", [role for role in Role.values if role != Role.MANAGE])
def test_each_role_column_reads_as_its_own_role(role):
    user = UserFactory()
    verify_email(user)
    business = ContractorFactory(business_name="Acme Electric")
    MembershipFactory(user=user, contractor=business, **{ROLE_FIELDS[role]: True})

    scope = contractor_scope(fresh(user))

    assert scope.roles == {business.pk: frozenset({role})}
    assert scope.business_names == {business.pk: "Acme Electric"}


def test_manage_brings_every_role():
    user = UserFactory()
    verify_email(user)
    business = ContractorFactory()
    MembershipFactory(user=user, contractor=business, can_manage=True)

    assert contractor_scope(fresh(user)).roles == {business.pk: frozenset(Role.values)}


def test_scope_reads_approved_links_held_licenses_and_the_contact_flag_in_one_query(
    django_assert_num_queries,
):
    user = UserFactory(email="Pat@Example.com")
    verify_email(user)
    approved, pending = LicenseFactory(), LicenseFactory()
    LicenseLinkFactory(user=user, license=approved, status="approved", decided_at=timezone.now())
    LicenseLinkFactory(user=user, license=pending)
    business = ContractorFactory()
    held = [LicenseFactory(holder=business), LicenseFactory(holder=business)]
    MembershipFactory(user=user, contractor=business, can_pay=True)
    # A business where the user holds no role: its licenses are not the user's records.
    MembershipFactory(user=user, contractor=LicenseFactory().holder)
    PermitContact.objects.create(permit=PermitFactory(), user=user, contact_type="owner")

    user = fresh(user)
    with django_assert_num_queries(1):
        scope = contractor_scope(user)
        assert scope.verified
        assert scope.license_ids == {approved.pk}
        assert scope.held_license_ids == {license.pk for license in held}
        assert is_a_contact(user)
        assert record_license_ids(user) == {approved.pk, *(license.pk for license in held)}


def test_without_a_verified_address_nothing_counts():
    user = UserFactory()
    verify_email(user, verified=False)
    license = LicenseFactory()
    LicenseLinkFactory(user=user, license=license, status="approved", decided_at=timezone.now())
    MembershipFactory(user=user, contractor=license.holder, can_manage=True)

    scope = contractor_scope(fresh(user))

    assert not scope.verified
    assert not scope.license_ids and not scope.roles and not scope.held_license_ids


def test_a_user_named_on_no_permit_is_not_a_contact():
    user = UserFactory()
    verify_email(user)
    PermitContact.objects.create(permit=PermitFactory(), user=UserFactory(), contact_type="owner")

    assert not is_a_contact(fresh(user))
