"""The header and the sign-in page's title (issue 23, requirements 6 and 14): My Applications is in
the header of a contractor who may apply, and the sign-in page that Django admin sends staff to is
the city staff's, not the contractors'."""

import re

import pytest
from django.urls import reverse

from tests.factories import LicenseFactory, contractor_user

pytestmark = pytest.mark.django_db

MINE = reverse("applications:mine")


def header(client) -> str:
    text = client.get(reverse("home")).text
    return text[text.index("<header>") : text.index("</header>")]


def test_a_contractor_who_may_apply_finds_my_applications_in_the_header(client):
    client.force_login(contractor_user(LicenseFactory(), can_apply=True))
    assert re.search(rf'<a class="nav-link" +href="{MINE}">My Applications</a>', header(client))


def test_on_my_applications_the_header_link_is_the_current_page(client):
    client.force_login(contractor_user(LicenseFactory(), can_apply=True))
    text = client.get(MINE).text
    assert f'class="nav-link active" aria-current="page" href="{MINE}"' in text


@pytest.mark.parametrize(
    "who", ["visitor", "member without the Apply role", "unverified applicant"]
)
def test_who_may_not_apply_has_no_my_applications_link(client, who):
    if who == "member without the Apply role":
        client.force_login(contractor_user(LicenseFactory(), can_pay=True))
    elif who == "unverified applicant":
        client.force_login(contractor_user(LicenseFactory(), verified=False, can_apply=True))
    assert "My Applications" not in header(client)


def test_admin_sends_staff_to_a_sign_in_page_titled_for_staff(client, settings):
    settings.STAFF_REQUIRE_MFA = True
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("account_login") + "?next=%2Fadmin%2F"
    text = response.text
    assert re.search(r"<title>City Staff Sign In ·", text)
    assert '<h1 class="h2 mb-3">City Staff Sign In</h1>' in text
    assert "Contractor Login</h1>" not in text and "<title>Contractor Login" not in text


def test_the_contractors_sign_in_page_keeps_its_title(client):
    text = client.get(reverse("account_login") + "?next=/dashboard/").text
    assert re.search(r"<title>Contractor Login ·", text)
    assert "City Staff Sign In" not in text
