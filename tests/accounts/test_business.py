"""Company users, as Ottawa's portal does for contractors: a PIN to associate, roles granted by
managers, and always a Manager."""

import pytest
from django.urls import reverse

from accounts.services import (
    contractor_regenerate_pin,
    membership_associate,
    membership_remove,
    membership_set_roles,
)
from licenses.exceptions import LicenseError
from licenses.models import Contractor, Membership, Role
from tests.factories import ContractorFactory, MembershipFactory, UserFactory, verify_email

pytestmark = pytest.mark.django_db

ASSOCIATE = reverse("accounts:business_associate")


@pytest.fixture
def business():
    return ContractorFactory(business_name="Lincoln Builders LLC")


@pytest.fixture
def manager(business):
    user = UserFactory(username="boss")
    verify_email(user)
    MembershipFactory(user=user, contractor=business, can_manage=True)
    return user


def roles_url(business, membership):
    return reverse("accounts:membership_roles", args=[business.pk, membership.pk])


def test_pins_are_random_unique_and_unambiguous():
    pins = {ContractorFactory().pin for _ in range(50)}
    assert len(pins) == 50
    assert all(len(pin) == 8 and not set(pin) & set("01OIL") for pin in pins)


def test_managers_see_the_pin_and_can_regenerate_it(client, business, manager):
    client.force_login(manager)
    page = client.get(reverse("accounts:business", args=[business.pk]))
    assert business.pin in page.text
    old = business.pin
    client.post(reverse("accounts:business_pin_regenerate", args=[business.pk]))
    business.refresh_from_db()
    assert business.pin != old


def test_members_without_manage_do_not_see_the_pin(client, business, manager):
    member = UserFactory()
    verify_email(member)
    MembershipFactory(user=member, contractor=business, can_pay=True)
    client.force_login(member)
    page = client.get(reverse("accounts:business", args=[business.pk]))
    assert page.status_code == 200
    assert business.pin not in page.text
    old = business.pin
    response = client.post(
        reverse("accounts:business_pin_regenerate", args=[business.pk]), follow=True
    )
    assert "Only a manager" in response.text
    business.refresh_from_db()
    assert business.pin == old


def test_associate_by_pin_joins_with_no_permissions(client, business, manager):
    colleague = UserFactory()
    client.force_login(colleague)
    response = client.post(
        ASSOCIATE, {"pin": business.pin.lower()[:4] + "-" + business.pin[4:].lower()}, follow=True
    )
    assert "You are now associated with Lincoln Builders LLC" in response.text
    membership = Membership.objects.get(user=colleague, contractor=business)
    assert membership.roles == frozenset()


def test_a_wrong_pin_gets_a_clear_message(client, business):
    client.force_login(UserFactory())
    response = client.post(ASSOCIATE, {"pin": "ZZZZ9999"})
    assert "No business has that PIN" in response.text
    assert not Membership.objects.exists()


def test_pin_guesses_are_rate_limited_per_user(client, business):
    client.force_login(UserFactory())
    for _ in range(10):
        client.post(ASSOCIATE, {"pin": "ZZZZ9999"})
    response = client.post(ASSOCIATE, {"pin": business.pin})
    assert response.status_code == 429
    assert "Too many PIN attempts" in response.text
    assert not Membership.objects.exists()


def test_pin_guesses_are_rate_limited_per_address(client, business):
    for n in range(30):
        client.force_login(UserFactory(username=f"guesser{n}"))
        client.post(ASSOCIATE, {"pin": "ZZZZ9999"})
    client.force_login(UserFactory(username="fresh"))
    assert client.post(ASSOCIATE, {"pin": business.pin}).status_code == 429


def test_managers_grant_and_revoke_roles(client, business, manager):
    member = MembershipFactory(contractor=business)
    client.force_login(manager)
    client.post(roles_url(business, member), {f"m{member.pk}-roles": ["pay", "inspections"]})
    member.refresh_from_db()
    assert member.roles == {Role.PAY, Role.INSPECTIONS}
    client.post(roles_url(business, member), {f"m{member.pk}-roles": ["pay"]})
    member.refresh_from_db()
    assert member.roles == {Role.PAY}


def test_manage_brings_every_role(business):
    membership = MembershipFactory(contractor=business, can_manage=True)
    assert membership.roles == frozenset(Role.values)


def test_only_managers_change_roles(client, business, manager):
    member = MembershipFactory(contractor=business, can_pay=True)
    verify_email(member.user)
    client.force_login(member.user)
    response = client.post(
        roles_url(business, member), {f"m{member.pk}-roles": ["manage"]}, follow=True
    )
    assert "Only a manager" in response.text
    member.refresh_from_db()
    assert not member.can_manage


def test_there_must_always_be_a_manager(client, business, manager):
    boss = Membership.objects.get(user=manager)
    client.force_login(manager)
    response = client.post(roles_url(business, boss), {f"m{boss.pk}-roles": ["pay"]}, follow=True)
    assert "There must always be a Manager." in response.text
    response = client.post(
        reverse("accounts:membership_remove", args=[business.pk, boss.pk]), follow=True
    )
    assert "There must always be a Manager." in response.text
    boss.refresh_from_db()
    assert boss.can_manage


def test_a_manager_may_step_down_when_another_manager_remains(business, manager):
    other = MembershipFactory(contractor=business, can_manage=True)
    verify_email(other.user)
    boss = Membership.objects.get(user=manager)
    membership_set_roles(membership=boss, by=manager, roles={Role.PAY})
    boss.refresh_from_db()
    assert not boss.can_manage and boss.can_pay
    with pytest.raises(LicenseError, match="always be a Manager"):
        membership_remove(membership=other, by=other.user)


def test_managers_remove_members_and_members_may_leave(client, business, manager):
    member = MembershipFactory(contractor=business)
    leaver = MembershipFactory(contractor=business)
    verify_email(leaver.user)
    client.force_login(manager)
    client.post(reverse("accounts:membership_remove", args=[business.pk, member.pk]))
    assert not Membership.objects.filter(pk=member.pk).exists()
    client.force_login(leaver.user)
    response = client.post(
        reverse("accounts:membership_remove", args=[business.pk, leaver.pk]), follow=True
    )
    assert "You left Lincoln Builders LLC" in response.text


def test_the_business_page_lists_licenses_and_members_with_roles(client, business, manager):
    from tests.factories import LicenseFactory

    LicenseFactory(holder=business, number="GC20001")
    member = MembershipFactory(
        contractor=business, can_pay=True, user=UserFactory(first_name="Pat", last_name="Payer")
    )
    verify_email(member.user)
    client.force_login(member.user)
    text = client.get(reverse("accounts:business", args=[business.pk])).text
    assert "GC20001" in text and "Pat Payer" in text and "Pay" in text
    assert "Professionals/Contractors" in text


def test_another_business_or_membership_is_a_404(client, business, manager):
    other = ContractorFactory()
    theirs = MembershipFactory(contractor=other, can_manage=True)
    client.force_login(manager)
    assert client.get(reverse("accounts:business", args=[other.pk])).status_code == 404
    assert (
        client.post(reverse("accounts:business_pin_regenerate", args=[other.pk])).status_code == 404
    )
    assert client.post(roles_url(other, theirs), {}).status_code == 404
    # A membership of another business through this business's URL.
    assert client.post(roles_url(business, theirs), {}).status_code == 404
    assert (
        client.post(
            reverse("accounts:membership_remove", args=[business.pk, theirs.pk])
        ).status_code
        == 404
    )
    assert Membership.objects.filter(pk=theirs.pk).exists()


def test_business_pages_need_sign_in_and_csrf(business, manager):
    from django.test import Client

    assert Client().get(reverse("accounts:business", args=[business.pk])).status_code == 302
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(manager)
    assert (
        strict.post(reverse("accounts:business_pin_regenerate", args=[business.pk])).status_code
        == 403
    )
    assert Contractor.objects.get(pk=business.pk).pin == business.pin


def test_a_manager_whose_address_is_not_verified_cannot_act_as_one(client, business, manager):
    verify_email(manager, verified=False)
    client.force_login(manager)
    old = business.pin
    client.post(reverse("accounts:business_pin_regenerate", args=[business.pk]))
    business.refresh_from_db()
    assert business.pin == old


def test_a_member_whose_address_is_not_verified_does_not_see_the_business(client, business):
    """Being a member is a contractor right like every other: it needs a verified address. The
    business page (its members, its licenses) and leaving it were open to any member."""
    colleague = MembershipFactory(
        contractor=business, user=UserFactory(first_name="Una", last_name="Verified")
    )
    MembershipFactory(contractor=business, user=UserFactory(first_name="Mo", last_name="Member"))
    client.force_login(colleague.user)

    page = client.get(reverse("accounts:business", args=[business.pk]))
    assert page.status_code == 404
    assert "Mo Member" not in page.text
    leave = reverse("accounts:membership_remove", args=[business.pk, colleague.pk])
    assert client.post(leave).status_code == 404
    assert Membership.objects.filter(pk=colleague.pk).exists()
    # Account Management lists the business, without a link to a page that would refuse them.
    manage = client.get(reverse("accounts:manage")).text
    assert "Lincoln Builders LLC" in manage
    assert reverse("accounts:business", args=[business.pk]) not in manage

    verify_email(colleague.user)
    page = client.get(reverse("accounts:business", args=[business.pk]))
    assert page.status_code == 200 and "Mo Member" in page.text


def test_a_verified_member_without_roles_sees_the_business_and_may_leave(client, business, manager):
    member = MembershipFactory(contractor=business)
    verify_email(member.user)
    client.force_login(member.user)
    assert client.get(reverse("accounts:business", args=[business.pk])).status_code == 200
    assert (
        reverse("accounts:business", args=[business.pk])
        in client.get(reverse("accounts:manage")).text
    )
    client.post(reverse("accounts:membership_remove", args=[business.pk, member.pk]))
    assert not Membership.objects.filter(pk=member.pk).exists()


# The services ask the policy themselves, whoever calls them ------------------------------------


def test_only_a_verified_manager_changes_roles_removes_members_or_makes_a_pin(business, manager):
    payer = MembershipFactory(contractor=business, can_pay=True)
    verify_email(payer.user)
    unverified_boss = MembershipFactory(contractor=business, can_manage=True)
    outsider = MembershipFactory(can_manage=True)  # a manager of another business
    verify_email(outsider.user)
    member = MembershipFactory(contractor=business)
    old_pin = business.pin
    for by in (payer.user, unverified_boss.user, outsider.user):
        with pytest.raises(LicenseError, match="Only a manager"):
            membership_set_roles(membership=member, by=by, roles={Role.PAY})
        with pytest.raises(LicenseError, match="Only a manager"):
            membership_remove(membership=member, by=by)
        with pytest.raises(LicenseError, match="Only a manager"):
            contractor_regenerate_pin(contractor=business, by=by)
    member.refresh_from_db()
    assert member.roles == frozenset()
    assert Contractor.objects.get(pk=business.pk).pin == old_pin


def test_a_member_whose_address_is_not_verified_cannot_leave_through_the_service(business):
    member = MembershipFactory(contractor=business)
    with pytest.raises(LicenseError, match="Verify your email address"):
        membership_remove(membership=member, by=member.user)
    assert Membership.objects.filter(pk=member.pk).exists()


def test_joining_by_pin_needs_a_signed_in_user(business):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(LicenseError, match="Sign in"):
        membership_associate(user=AnonymousUser(), pin=business.pin)
    assert not Membership.objects.exists()


def test_a_managers_row_shows_every_role_granted(client, business, manager):
    """Issue 13, requirement 8: Manage includes every role, and the page says so (Ottawa's
    portal shows it the same way), to the manager's form and to a member's read-only view."""
    membership = Membership.objects.get(user=manager)
    client.force_login(manager)
    page = client.get(reverse("accounts:business", args=[business.pk]))
    form = dict(page.context["members"])[membership]
    assert sorted(form.initial["roles"]) == sorted(Role.values)
    for role in Role.values:
        assert f'name="m{membership.pk}-roles" value="{role}"' in page.text
    checked = page.text.count("checked")
    assert checked >= len(Role.values)

    member = UserFactory()
    verify_email(member)
    MembershipFactory(user=member, contractor=business, can_pay=True)
    client.force_login(member)
    text = client.get(reverse("accounts:business", args=[business.pk])).text
    assert "Manage, Apply, Pay, Inspections, Upload Files" in text


def test_a_business_whose_name_ends_in_a_period_ends_a_sentence_once(client, manager):
    """Issue 23: "Prairie Electric Co.." on the pages and in the messages."""
    from core.text import with_period

    business = ContractorFactory(business_name="Prairie Electric Co.")
    MembershipFactory(user=manager, contractor=business, can_manage=True)
    colleague = UserFactory()
    verify_email(colleague)
    client.force_login(colleague)
    joined = client.post(ASSOCIATE, {"pin": business.pin}, follow=True).text
    again = client.post(ASSOCIATE, {"pin": business.pin}, follow=True).text
    client.force_login(manager)
    page = client.get(reverse("accounts:business", args=[business.pk])).text
    membership = Membership.objects.get(user=colleague)
    removed = client.post(
        reverse("accounts:membership_remove", args=[business.pk, membership.pk]), follow=True
    ).text
    for text in (joined, again, page, removed):
        assert "Prairie Electric Co." in text and "Co.." not in text
    assert with_period("Acme Builders") == "Acme Builders."
