"""The contractor scope: one hand-written query read once per request (licenses.scope), held
to its plain ORM definition."""

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from licenses.models import (
    ROLE_FIELDS,
    License,
    LicenseLink,
    LicenseLinkStatus,
    LicenseStatus,
    Membership,
    Role,
)
from licenses.scope import NO_SCOPE, ContractorScope, contractor_scope
from permits.models import PermitContact
from permits.scopes import CONTACT_FLAG, is_a_contact, record_license_ids
from tests.factories import (
    ContractorFactory,
    LicenseFactory,
    LicenseLinkFactory,
    MembershipFactory,
    PermitFactory,
    UserFactory,
    set_status,
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


def scope_by_orm(user) -> ContractorScope:
    """The scope by its plain definition, through the ORM: what the hand-written query
    (licenses.selectors.scope_rows, with the flags other apps register) must answer."""
    verified = EmailAddress.objects.filter(
        user=user, email__iexact=user.email, verified=True
    ).exists()
    if not verified:
        return NO_SCOPE
    memberships = list(Membership.objects.filter(user=user).select_related("contractor"))
    with_a_role = [membership.contractor_id for membership in memberships if membership.roles]
    links = LicenseLink.objects.filter(user=user, status=LicenseLinkStatus.APPROVED)
    held = License.objects.filter(holder_id__in=with_a_role)
    held_by: dict[int, set[int]] = {}
    for license in held:
        held_by.setdefault(license.holder_id, set()).add(license.pk)
    linked = License.objects.filter(pk__in=links.values("license_id"))
    return ContractorScope(
        verified=True,
        license_ids=frozenset(links.values_list("license_id", flat=True)),
        roles={membership.contractor_id: membership.roles for membership in memberships},
        business_names={
            membership.contractor_id: membership.contractor.business_name
            for membership in memberships
        },
        held_by={holder: frozenset(ids) for holder, ids in held_by.items()},
        license_statuses={license.pk: license.status for license in [*linked, *held]},
        flags=frozenset(
            {CONTACT_FLAG} if PermitContact.objects.filter(user=user).exists() else set()
        ),
    )


@pytest.fixture
def crowded_city():
    """A user with a bit of everything, and a neighbour whose rows must not leak into theirs."""
    user = UserFactory(email="Pat@Example.com")
    # Verified under another case; a second address, unverified, changes nothing.
    EmailAddress.objects.create(user=user, email="pat@example.com", verified=True, primary=True)
    EmailAddress.objects.create(user=user, email="pat@elsewhere.example", verified=False)
    neighbour = UserFactory()
    verify_email(neighbour)
    approved = [LicenseFactory(), LicenseFactory()]
    for license in approved:
        LicenseLinkFactory(user=user, license=license, status="approved", decided_at=timezone.now())
    LicenseLinkFactory(user=user, license=LicenseFactory())  # pending
    LicenseLinkFactory(
        user=user, license=LicenseFactory(), status="rejected", decided_at=timezone.now()
    )
    LicenseLinkFactory(
        user=neighbour, license=LicenseFactory(), status="approved", decided_at=timezone.now()
    )
    # A business holding two licenses, one of them the user's own approved one.
    paying = ContractorFactory(business_name="Acme Electric")
    LicenseFactory(holder=paying)
    approved[0].holder = paying
    approved[0].save()
    MembershipFactory(user=user, contractor=paying, can_pay=True, can_upload=True)
    managed = ContractorFactory(business_name="Birch Builders")
    LicenseFactory(holder=managed)
    MembershipFactory(user=user, contractor=managed, can_manage=True)
    # A license of each status but active: each is in the scope with its status.
    set_status(approved[1], LicenseStatus.SUSPENDED)
    set_status(LicenseFactory(holder=managed), LicenseStatus.REVOKED)
    set_status(LicenseFactory(holder=paying), LicenseStatus.EXPIRED)
    # A business where the user holds no role: a name on the page, no records.
    idle = ContractorFactory(business_name="Cedar Co")
    LicenseFactory(holder=idle)
    MembershipFactory(user=user, contractor=idle)
    MembershipFactory(user=neighbour, contractor=ContractorFactory(), can_manage=True)
    PermitContact.objects.create(permit=PermitFactory(), user=neighbour, contact_type="owner")
    return user, neighbour


def test_the_scope_query_answers_as_the_orm_definition(crowded_city):
    user, neighbour = crowded_city
    assert contractor_scope(fresh(user)) == scope_by_orm(user)
    assert contractor_scope(fresh(neighbour)) == scope_by_orm(neighbour)
    assert contractor_scope(fresh(user)).flags == frozenset()

    PermitContact.objects.create(permit=PermitFactory(), user=user, contact_type="owner")
    PermitContact.objects.create(permit=PermitFactory(), user=user, contact_type="applicant")
    scope = contractor_scope(fresh(user))
    assert scope == scope_by_orm(user)
    assert scope.flags == {CONTACT_FLAG}
    assert len(scope.held_license_ids) == 5 and len(scope.roles) == 3
    assert len(scope.inactive_license_ids()) == 3


def test_without_a_verified_address_both_answer_nothing(crowded_city):
    user, _ = crowded_city
    EmailAddress.objects.filter(user=user).update(verified=False)
    assert contractor_scope(fresh(user)) == scope_by_orm(user) == NO_SCOPE
