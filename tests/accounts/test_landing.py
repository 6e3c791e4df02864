"""Issue 23, requirement 6: after signing in, staff land on their work (clerks on the intake
queue, plan reviewers on My reviews, inspectors on My stops, other staff on admin), decided by
the policy (policy.staff.staff_landing); contractors on their dashboard, as before."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from tests.factories import TEST_PASSWORD, UserFactory, make_inspector, verify_email

pytestmark = pytest.mark.django_db


def with_permissions(*codenames, **fields):
    user = UserFactory(is_staff=True, **fields)
    verify_email(user)
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def contractor():
    user = UserFactory()
    verify_email(user)
    return user


def inspector():
    user = make_inspector("ivy").user
    verify_email(user)
    return user


KINDS = {
    "contractor": (contractor, "dashboard"),
    "clerk": (
        lambda: with_permissions("change_intakequeue", "view_myreview", "change_inspection"),
        "admin:applications_intakequeue_changelist",
    ),
    "reviewer": (lambda: with_permissions("view_myreview"), "admin:reviews_myreview_changelist"),
    "inspector": (inspector, "inspections:my_stops"),
    "other staff": (lambda: with_permissions("view_permit"), "admin:index"),
    "site administrator": (lambda: with_permissions(is_superuser=True), "admin:index"),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_of_user_lands_on_their_work(client, kind):
    make, landing = KINDS[kind]
    user = make()
    response = client.post(
        reverse("account_login"), {"login": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(landing)
    assert client.get(response["Location"]).status_code == 200


def test_a_next_page_still_wins(client):
    user = inspector()
    response = client.post(
        reverse("account_login") + "?next=/admin/",
        {"login": user.username, "password": TEST_PASSWORD},
    )
    assert response["Location"] == "/admin/"


def test_an_inspector_who_is_also_a_plan_reviewer_lands_on_my_reviews(client):
    user = with_permissions("view_myreview")
    user.groups.add(Group.objects.get_or_create(name="Inspectors")[0])
    response = client.post(
        reverse("account_login"), {"login": user.username, "password": TEST_PASSWORD}
    )
    assert response["Location"] == reverse("admin:reviews_myreview_changelist")


def test_the_header_has_my_stops_for_inspectors_only(client):
    client.force_login(inspector())
    page = client.get(reverse("dashboard"))
    assert f'href="{reverse("inspections:my_stops")}">My stops</a>' in page.text
    client.force_login(with_permissions("change_intakequeue"))
    assert "My stops" not in client.get(reverse("dashboard")).text
    client.force_login(contractor())
    assert "My stops" not in client.get(reverse("dashboard")).text
