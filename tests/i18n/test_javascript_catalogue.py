"""Issue 25, requirement 1: the scripts' words come from a cached JavaScript catalogue, one per
language, linked before portal.js on every page (portal.javascript_catalogue)."""

import re

import pytest
from django.urls import reverse

from portal.javascript_catalogue import catalogue_url, catalogue_version

pytestmark = pytest.mark.django_db

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-CA"}


def scripts(html: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"', html)


@pytest.mark.parametrize(("headers", "language"), [({}, "en"), (FRENCH, "fr-ca")])
def test_every_page_links_its_language_s_catalogue_before_the_portal_s_script(
    client, headers, language
):
    page = client.get(reverse("home"), **headers)
    assert scripts(page.text) == [catalogue_url(language), "/static/portal/js/portal.js"]
    assert f"/jsi18n/{language}/{catalogue_version(language)}.js" == catalogue_url(language)


def test_the_french_catalogue_holds_the_scripts_words_and_french_formats(client):
    response = client.get(catalogue_url("fr-ca"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    script = response.content.decode()
    assert '"(parcel %s)": "(lot %s)"' in script
    assert '"DECIMAL_SEPARATOR": ","' in script
    # Only the portal's words: not the admin's, which no portal page's script shows.
    assert "Available %s" not in script


def test_a_browser_keeps_a_catalogue_a_year_until_its_words_change(client):
    kept = client.get(catalogue_url("fr-ca"))
    assert kept["Cache-Control"] == "public, max-age=31536000, immutable"
    # An address from before a deploy gets today's words, not to be kept.
    stale = client.get(reverse("javascript_catalogue", args=["fr-ca", "0123456789ab"]))
    assert stale.status_code == 200 and "Cache-Control" not in stale
    assert stale.content == kept.content
    assert catalogue_version("fr-ca") != catalogue_version("en")


def test_a_language_the_portal_does_not_offer_has_no_catalogue(client):
    response = client.get(reverse("javascript_catalogue", args=["de", "0123456789ab"]))
    assert response.status_code == 404
