"""The portal's icon everywhere (issue 23's newcomer walk: admin's pages asked for /favicon.ico
and got a 404): admin's pages link the icon the portal's pages link, and /favicon.ico answers."""

import re

import pytest
from django.templatetags.static import static
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ICON = re.compile(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">')


def test_admin_pages_link_the_portals_favicon(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    portal_icon = ICON.search(client.get(reverse("permits:search")).text).group(1)
    for path in [reverse("admin:index"), reverse("admin:permits_permit_changelist")]:
        page = client.get(path)
        assert page.status_code == 200
        assert ICON.findall(page.text) == [portal_icon], path
    assert client.get(portal_icon).status_code == 200


def test_favicon_ico_is_the_portals_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("portal/favicon.svg")
    assert "max-age=86400" in response["Cache-Control"]
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/svg+xml"
