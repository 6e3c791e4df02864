"""The home page's quick search offers an example the search finds in this city (issue 23: it
offered "1200 Oak St", which no permit of the demo city has)."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_cached_example():
    cache.clear()
    yield
    cache.clear()


def placeholder(client) -> str | None:
    found = re.search(r'id="home-address"[^>]*placeholder="([^"]*)"', client.get("/").text)
    return found.group(1) if found else None


def test_the_example_is_the_latest_permits_street_and_the_search_finds_it(client):
    PermitFactory(street_number="12", street_name="Elm St", applied_on="2025-01-02")
    PermitFactory(street_number="1748", street_name="S 6th St", applied_on="2025-03-04")
    assert placeholder(client) == "e.g. 1748 S 6th St"
    found = client.get(reverse("permits:search"), {"address": "1748 S 6th St"}).text
    assert "1748 S 6th St" in found and "No permits" not in found


def test_a_city_without_permits_offers_no_made_up_example(client):
    assert placeholder(client) is None
