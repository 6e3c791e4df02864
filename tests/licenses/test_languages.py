"""Licenses and their review in the reader's language (issue 25): the roles, statuses and what
approving a request does come through the catalogue, and the roles are named in a sentence as
the reader's language names them."""

import pytest
from django.urls import reverse

from licenses.exceptions import LicenseError
from licenses.models import LicenseStatus, Membership
from licenses.selectors import approval_preview
from licenses.services import license_link_request
from permits.models import PermitStatus
from tests.catalogue_words import not_from_the_catalogue, pseudo_french_active
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


@pytest.fixture
def pseudo_french():
    with pseudo_french_active():
        yield


@pytest.fixture
def link():
    business = ContractorFactory(business_name="Prairie Electric Co.")
    license = LicenseFactory(holder=business, number="EC100123")
    PermitFactory(licenses=[license], status=PermitStatus.ISSUED)
    applicant = UserFactory(first_name="Dana", last_name="Ruiz", email="dana@example.com")
    verify_email(applicant)
    return LicenseLinkFactory(user=applicant, license=license)


ROLES = "⟦Apply⟧, ⟦Pay⟧, ⟦Inspections⟧, ⟦Upload Files⟧"


def test_the_role_approval_brings_is_named_in_the_readers_words(link, pseudo_french):
    assert approval_preview(link).role == f"⟦Manager: every role ({ROLES})⟧"
    manager = UserFactory()
    MembershipFactory(user=manager, contractor=link.license.holder, can_manage=True)
    member = MembershipFactory(user=link.user, contractor=link.license.holder, can_pay=True)
    assert approval_preview(link).role == "⟦⟦Pay⟧, as now⟧"
    assert member.role_labels == ["⟦Pay⟧"]
    assert Membership._meta.get_field("can_upload").verbose_name == "⟦Upload Files⟧"


def test_a_license_status_is_said_in_the_readers_words(pseudo_french):
    license = LicenseFactory(number="EC100999", status=LicenseStatus.SUSPENDED)
    with pytest.raises(LicenseError) as refused:
        license_link_request(user=UserFactory(), license=license)
    assert str(refused.value).startswith("⟦License EC100999 is ⟦suspended⟧ and cannot be added.")


def test_every_word_of_the_review_page_comes_from_the_catalogue(client, link, pseudo_french):
    clerk = UserFactory(username="clerk", is_staff=True, is_superuser=True)
    client.force_login(clerk)
    MembershipFactory(
        user=UserFactory(first_name="Mo", last_name="Ng"),
        contractor=link.license.holder,
        can_manage=True,
    )
    page = client.get(reverse("admin:licenses_licenselink_change", args=[link.pk])).text
    start = page.index('<section class="module aligned"')
    review = page[start : page.index("</section>", start) + len("</section>")]
    data = [
        "Dana Ruiz",
        link.user.username,
        "dana@example.com",
        "Prairie Electric Co.",
        "Mo Ng",
        link.license.number,
        link.license.license_type.name,
        link.license.holder.contact_name,
        link.license.holder.address,
        link.license.holder.city,
        link.license.holder.state,
        link.license.holder.email,
        # Another app's fact about the license (payments): its words are its own.
        "Prairie Electric Co. has no trust account.",
    ]
    assert not_from_the_catalogue(review, data, container="section") == []
    assert "⟦Every license of Prairie Electric Co.⟧" in review


def test_the_admin_counts_requests_decided_at_once(client, link):
    clerk = UserFactory(username="clerk", is_staff=True, is_superuser=True)
    client.force_login(clerk)
    other = LicenseLinkFactory(license=link.license)
    verify_email(other.user)
    response = client.post(
        reverse("admin:licenses_licenselink_changelist"),
        {"action": "approve", "_selected_action": [link.pk, other.pk]},
        follow=True,
    )
    assert "Approved 2 requests; each user is emailed." in response.text
