"""The header and the sign-in page's title (issue 23, requirements 6 and 14): My Applications is in
the header of a contractor who may apply, and the sign-in page that Django admin sends staff to is
the city staff's, not the contractors'."""

import re

import pytest
from django.urls import reverse

from tests.factories import LicenseFactory, UserFactory, contractor_user

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


def links_of(header_html: str) -> list[str]:
    """The header's links and buttons, as their words read."""
    found = re.findall(
        r'<(?:a|button)[^>]*class="[^"]*nav-link[^"]*"[^>]*>(.*?)</(?:a|button)>', header_html, re.S
    )
    return [" ".join(re.sub(r"<[^>]+>", "", text).split()) for text in found]


def staff_with(*permissions: str, groups: tuple[str, ...] = ()):
    from django.contrib.auth.models import Group, Permission

    user = UserFactory(is_staff=True)
    for codename in permissions:
        app_label, codename = codename.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


CONTRACTOR_ONLY = ["Dashboard", "My Records", "My Applications", "View Cart (0)"]


@pytest.mark.parametrize(
    ("who", "work"),
    [
        ("inspector", ["My stops"]),
        ("intake clerk", ["Intake queue"]),
        ("plan reviewer", ["My reviews"]),
        ("other staff", []),
    ],
)
def test_staff_see_the_links_of_their_work_not_a_contractors(client, who, work):
    """(From the newcomer walk: an inspector's header offered Dashboard, My Records and the
    cart, which being staff passes none of.)"""
    user = {
        "inspector": lambda: staff_with(groups=("Inspectors",)),
        "intake clerk": lambda: staff_with("applications.change_intakequeue"),
        "plan reviewer": lambda: staff_with("reviews.view_myreview"),
        "other staff": lambda: staff_with(),
    }[who]()
    client.force_login(user)
    links = links_of(header(client))
    assert links == [
        "Search Permits",
        "Apply for a Permit",
        *work,
        "Collections (0)",
        "Notifications",
        "Account Management",
        "Staff admin",
        "Logout",
    ]
    work_pages = {
        "My stops": reverse("inspections:my_stops"),
        "Intake queue": reverse("admin:applications_intakequeue_changelist"),
        "My reviews": reverse("admin:reviews_myreview_changelist"),
    }
    for name in work:
        assert f'href="{work_pages[name]}">{name}</a>' in header(client)


def test_a_contractor_keeps_the_contractors_links(client):
    client.force_login(contractor_user(LicenseFactory(), can_apply=True))
    assert links_of(header(client)) == [
        "Search Permits",
        "Apply for a Permit",
        "My Records",
        "My Applications",
        "Collections (0)",
        "Notifications",
        "Dashboard",
        "View Cart (0)",
        "Account Management",
        "Logout",
    ]
