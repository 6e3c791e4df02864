import re

import pytest
from django.urls import reverse
from django.utils import timezone

from licenses.models import LicenseLink, LicenseStatus
from tests.factories import LicenseFactory, LicenseLinkFactory, UserFactory

pytestmark = pytest.mark.django_db

MANAGE = reverse("accounts:manage")


@pytest.fixture
def user(client):
    user = UserFactory(username="sparky", phone="(217) 555-0100", business_address="1 Main St")
    client.force_login(user)
    return user


def test_account_management_is_in_the_header_when_signed_in(client, user):
    text = client.get(reverse("home")).text
    link = re.search(rf'<a class="nav-link" href="{MANAGE}">(.*?)</a>', text)
    # "Management" may be for screen readers only on a laptop's width (issue 23): the link's
    # name is the whole label.
    assert link and re.sub(r"<[^>]+>", "", link.group(1)) == "Account Management"
    assert "Contractor Registration" not in text


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(MANAGE)
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_summary_shows_the_account_and_its_licenses_with_their_status(client, user):
    LicenseLinkFactory(user=user, license=LicenseFactory(number="EC11111"))
    LicenseLinkFactory(
        user=user,
        license=LicenseFactory(number="EC22222"),
        status="approved",
        decided_at=timezone.now(),
    )
    LicenseLinkFactory(
        user=user,
        license=LicenseFactory(number="EC33333"),
        status="rejected",
        decided_at=timezone.now(),
        reason="Unknown employee",
    )
    text = client.get(MANAGE).text
    assert "sparky" in text and "cannot be changed" in text
    for expected in (
        "EC11111",
        "Pending",
        "EC22222",
        "Approved",
        "EC33333",
        "Rejected",
        "Unknown employee",
        "Login Info",
        "Add a License",
        "Change password",
    ):
        assert expected in text, expected


def test_edit_contact_details_but_not_the_user_name(client, user):
    url = reverse("accounts:profile")
    data = {
        "first_name": "Sam",
        "last_name": "Sparks",
        "phone": "217-555-0199",
        "preferred_contact": "phone",
        "business_address": "2 Main St",
        "business_city": "Springfield",
        "business_state": "IL",
        "business_zip": "62701",
        "mailing_address": "PO Box 9",
        "mailing_city": "Springfield",
        "mailing_state": "IL",
        "mailing_zip": "62705",
        "username": "hacker",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.phone == "217-555-0199" and user.preferred_contact == "phone"
    assert user.mailing_address == "PO Box 9"
    assert user.username == "sparky"


def test_bad_contact_details_get_messages_and_nothing_is_lost(client, user):
    response = client.post(
        reverse("accounts:profile"), {"first_name": "Sam", "phone": "nope", "business_zip": "1"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "phone" in errors and "business_zip" in errors and "last_name" in errors
    user.refresh_from_db()
    assert user.phone == "(217) 555-0100"


def test_add_a_license_uses_the_same_lookup_and_asks_staff_again(client, user):
    license = LicenseFactory(number="EC44444")
    url = reverse("accounts:license_add")
    found = client.get(url, {"license_type": "EC", "license_number": "EC44444"})
    assert "Add to My Licenses" in found.text
    digits = client.get(url, {"license_type": "EC", "license_number": "44444"})
    assert "Add to My Licenses" in digits.text  # the type's prefix is meant
    response = client.post(url, {"license": license.pk}, follow=True)
    assert "was requested" in response.text
    assert LicenseLink.objects.get(user=user, license=license).status == "pending"
    again = client.post(url, {"license": license.pk}, follow=True)
    assert "already on your account" in again.text


def test_an_inactive_license_cannot_be_added_from_account_management(client, user):
    license = LicenseFactory(status=LicenseStatus.REVOKED)
    response = client.post(reverse("accounts:license_add"), {"license": license.pk}, follow=True)
    assert "cannot be added" in response.text
    assert not LicenseLink.objects.filter(user=user).exists()


def test_remove_my_license_is_refused_for_the_only_one(client, user):
    only = LicenseLinkFactory(user=user, status="approved", decided_at=timezone.now())
    response = client.post(reverse("accounts:license_remove", args=[only.pk]), follow=True)
    assert "only license on your account" in response.text
    only.refresh_from_db()
    assert only.status == "approved"


def test_remove_my_license_when_there_is_another(client, user):
    first = LicenseLinkFactory(user=user, status="approved", decided_at=timezone.now())
    LicenseLinkFactory(user=user)
    response = client.post(reverse("accounts:license_remove", args=[first.pk]), follow=True)
    assert "was removed" in response.text
    first.refresh_from_db()
    assert first.status == "removed" and first.removed_at
    assert first.license.number not in client.get(MANAGE).text


def test_someone_elses_link_is_a_404(client, user):
    theirs = LicenseLinkFactory()
    LicenseLinkFactory(user=theirs.user)
    assert client.post(reverse("accounts:license_remove", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "pending"


def test_a_forged_license_id_is_a_404(client, user):
    assert client.post(reverse("accounts:license_add"), {"license": "999999"}).status_code == 404
    assert client.post(reverse("accounts:license_add"), {"license": "abc"}).status_code == 404


def test_removing_needs_post(client, user):
    link = LicenseLinkFactory(user=user)
    assert client.get(reverse("accounts:license_remove", args=[link.pk])).status_code == 405
