"""Issue 12, finding 12: staff open uploaded documents through the admin (with the permission
for it); the admin's own pages pass the strict CSP; no staff member who is not a superuser can
grant privileges, themselves included, and the demo's clerks cannot edit users at all."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.urls import reverse

from permits.models import PermitDocument
from tests.factories import LicenseFactory, PermitFactory, UserFactory, contractor_user

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def staff_with(*codenames: str, **fields):
    user = UserFactory(is_staff=True, **fields)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def document(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    license = LicenseFactory()
    permit = PermitFactory(licenses=[license])
    document = PermitDocument(
        permit=permit, original_name="plans.html", content_type="application/pdf", size=len(PDF)
    )
    document.file.save("plans.html", ContentFile(PDF), save=False)
    document.save()
    return document


# Documents ------------------------------------------------------------------------------------


def test_staff_with_the_permission_open_a_document_in_admin(client, document):
    client.force_login(staff_with("view_permitdocument", "view_permit"))
    page = client.get(reverse("admin:permits_permitdocument_change", args=[document.pk]))
    download = reverse("admin:permits_permitdocument_download", args=[document.pk])
    assert page.status_code == 200 and f'href="{download}"' in page.text
    assert "/media/" not in page.text
    permit_page = client.get(reverse("admin:permits_permit_change", args=[document.permit.pk]))
    assert f'href="{download}"' in permit_page.text
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="plans.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]


def test_staff_without_the_permission_and_contractors_cannot_use_the_admin_download(
    client, document
):
    download = reverse("admin:permits_permitdocument_download", args=[document.pk])
    client.force_login(staff_with("view_permit"))
    assert client.get(download).status_code == 403
    contractor = contractor_user(document.permit.licenses.get(), can_manage=True)
    client.force_login(contractor)
    assert client.get(download).status_code == 302  # to the admin's sign-in
    # The contractor's own way in stays the portal's, through the policy.
    portal = reverse("permits:document_download", args=[document.permit.number, document.pk])
    assert client.get(portal).status_code == 200


# The strict CSP --------------------------------------------------------------------------------


def test_no_page_template_has_an_inline_style():
    """style-src 'self': a style attribute or element is refused by the browser. Emails are not
    pages (mail clients want their styles inline)."""
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if "email" not in path.relative_to(TEMPLATES).parts
        and re.search(r"\sstyle=|<style", path.read_text())
    ]
    assert offenders == []


def test_the_inspection_queue_and_route_use_the_portals_stylesheet(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for name in ("admin:inspections_inspection_queue", "admin:inspections_inspection_route"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert "portal/css/portal.css" in response.text
        assert not re.search(r"\sstyle=", response.text.split("</head>")[1]), name


# Who may grant privileges ----------------------------------------------------------------------


USER_ADMIN = ("view_user", "change_user", "add_user", "delete_user", "view_group", "change_group")


def test_staff_who_are_not_superusers_cannot_grant_themselves_anything(client):
    group = Group.objects.create(name="Everything")
    group.permissions.set(Permission.objects.all())
    clerk = staff_with(*USER_ADMIN)
    client.force_login(clerk)
    url = reverse("admin:accounts_user_change", args=[clerk.pk])
    form = client.get(url).context["adminform"].form
    for name in ("is_superuser", "groups", "user_permissions"):
        assert name not in form.fields, name
    response = client.post(
        url,
        {
            "username": clerk.username,
            "email": clerk.email,
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [group.pk],
            "user_permissions": list(Permission.objects.values_list("pk", flat=True)),
            "preferred_contact": "email",
            "date_joined_0": "2025-01-01",
            "date_joined_1": "00:00:00",
            "license_links-TOTAL_FORMS": "0",
            "license_links-INITIAL_FORMS": "0",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    clerk.refresh_from_db()
    assert not clerk.is_superuser
    assert not clerk.groups.exists()
    assert set(clerk.user_permissions.values_list("codename", flat=True)) == set(USER_ADMIN)
    # Nor through their group's permissions.
    group_page = client.get(reverse("admin:auth_group_change", args=[group.pk]))
    assert "permissions" not in group_page.context["adminform"].form.fields


def test_staff_who_are_not_superusers_cannot_change_a_superusers_account(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    admin.set_password("the admin's own password")
    admin.save()
    client.force_login(staff_with(*USER_ADMIN))
    password_url = reverse("admin:auth_user_password_change", args=[admin.pk])
    response = client.post(
        password_url,
        {"password1": "taken over now 12345", "password2": "taken over now 12345"},
    )
    assert response.status_code == 403
    admin.refresh_from_db()
    assert admin.check_password("the admin's own password")


def test_a_superuser_still_grants_privileges(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    clerk = UserFactory(is_staff=True)
    form = (
        client.get(reverse("admin:accounts_user_change", args=[clerk.pk])).context["adminform"].form
    )
    assert {"is_superuser", "groups", "user_permissions"} <= set(form.fields)


def test_the_demo_clerk_cannot_edit_users():
    from demo.seed import seed_demo_city

    seed_demo_city()
    clerks = Group.objects.get(name="Permit Clerks")
    granted = set(
        clerks.permissions.filter(content_type__app_label__in=["accounts", "auth"]).values_list(
            "codename", flat=True
        )
    )
    assert granted == {"view_user"}
    from django.contrib.auth import get_user_model

    clerk = get_user_model().objects.get(username="clerk")
    assert not clerk.has_perm("accounts.change_user")
    assert clerk.has_perm("permits.view_permitdocument")  # and opens documents in admin
