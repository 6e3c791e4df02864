"""Issue 23, requirement 7: a user stopped from applying is told the reason that applies to them
(a pending license link is pending, not a missing role), on the guide, the type's page and by the
service."""

import html

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from applications import services
from applications.exceptions import ApplicationError
from policy.applications import start_application_refusal
from tests.factories import (
    ContractorFactory,
    LicenseFactory,
    LicenseLinkFactory,
    MembershipFactory,
    UserFactory,
    verify_email,
)

pytestmark = pytest.mark.django_db

PENDING = (
    "Your request to act for license {number} is waiting for the permit office's approval: you "
    "can apply online once it is approved."
)


def verified():
    user = UserFactory()
    verify_email(user)
    return user


def test_a_pending_license_link_is_told_as_pending_wherever_it_stops_the_user(client, form):
    user = verified()
    license = LicenseFactory(number="EC10002")
    LicenseLinkFactory(user=user, license=license)  # pending
    expected = PENDING.format(number="EC10002")
    assert start_application_refusal(user) == expected
    client.force_login(user)
    for url in (reverse("applications:guide"), reverse("applications:type", args=["RES"])):
        page = html.unescape(client.get(url).text)
        assert expected in page and "Apply role" not in page, url
    with pytest.raises(ApplicationError) as refused:
        services.application_start(template=form, applicant=user)
    assert str(refused.value) == expected


def test_each_kind_of_user_is_told_the_reason_that_applies_to_them():
    unverified = UserFactory()
    verify_email(unverified, verified=False)
    member = verified()
    MembershipFactory(user=member, contractor=ContractorFactory())  # no roles
    payer = verified()  # Pay, not Apply, at a business with an active license
    MembershipFactory(user=payer, contractor=LicenseFactory().holder, can_pay=True)
    waiting = verified()
    for number in ("GC20001", "EC10001"):
        LicenseLinkFactory(user=waiting, license=LicenseFactory(number=number))
    nobody = verified()
    applier = verified()
    license = LicenseFactory()
    MembershipFactory(user=applier, contractor=license.holder, can_apply=True)
    assert start_application_refusal(AnonymousUser()) == "Sign in to apply online."
    assert start_application_refusal(unverified) == (
        "Verify your email address first: follow the link in the email we sent you "
        "(Account Management sends a new one)."
    )
    for user in (member, payer):
        assert start_application_refusal(user) == (
            "Applying online needs the Apply role at your business: ask your business's manager."
        )
    assert start_application_refusal(waiting) == PENDING.format(number="EC10001, GC20001")
    assert start_application_refusal(nobody) == (
        "Applying online needs a contractor license on your account: add yours on Account "
        "Management, and the permit office approves it."
    )
    assert start_application_refusal(applier) == ""
