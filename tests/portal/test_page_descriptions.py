"""Every public page describes itself to search engines (issue 23, requirement 15: Lighthouse's
SEO audit found no meta description): a page's own on the five pages Lighthouse measures, the
portal's on every other."""

import re

import pytest
from django.urls import reverse

from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db


def description(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    found = re.findall(r'<meta name="description" content="([^"]*)">', response.text)
    assert len(found) == 1, found
    return found[0]


def test_the_measured_pages_describe_themselves(client):
    permit = PermitFactory(number="RES25-00042", street_number="12", street_name="Elm St")
    pages = {
        reverse("home"): "apply for a permit online",
        reverse("permits:search") + "?address=elm": "Search every",
        reverse("permits:detail", args=[permit.number]): f"permit {permit.number} at 12 Elm St",
        reverse("applications:guide"): "can be applied for online",
        reverse("account_login"): "Sign in to the",
    }
    seen = set()
    for path, words in pages.items():
        text = description(client, path)
        assert words in text, (path, text)
        assert 50 <= len(text) <= 160, (path, len(text))  # what a results page shows
        seen.add(text)
    assert len(seen) == len(pages)  # each its own


def test_any_other_page_has_the_portals_description(client):
    text = description(client, reverse("accounts:register"))
    assert "Permit Portal" in text and "search building permits" in text
