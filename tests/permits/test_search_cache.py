"""Public searches by visitors who are not signed in are kept in the cache for a short while:
the same page for everyone. Signed-in contractors always get their own, fresh page."""

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory
from django.urls import reverse

from permits.models import PermitStatus
from permits.views import without_csrf_token
from tests.factories import LicenseFactory, PermitFactory, contractor_user

pytestmark = pytest.mark.django_db

SEARCH = reverse("permits:search")


@pytest.fixture
def cached(settings):
    settings.PERMIT_SEARCH_CACHE_SECONDS = 60


def test_a_repeated_public_search_is_served_from_the_cache(
    client, cached, django_assert_num_queries
):
    permit = PermitFactory(street_name="Oak St")
    first = client.get(SEARCH, {"address": "oak", "status": ""})
    assert permit.number in first.text
    # The same search, its parameters in another order: no query at all.
    with django_assert_num_queries(0):
        again = client.get(SEARCH, {"status": "", "address": "oak"})
    assert again.status_code == 200
    # The same page, but for the language switch's CSRF token: each visitor's own
    # (tests/i18n/test_choosing.py posts the switch from a cached page).
    assert without_csrf_token(again.content) == without_csrf_token(first.content)


def test_the_cached_page_lasts_only_its_time(client, settings):
    settings.PERMIT_SEARCH_CACHE_SECONDS = 0
    PermitFactory(street_name="Oak St", number="BLD2025-00001")
    client.get(SEARCH, {"address": "oak"})
    PermitFactory(street_name="Oak St", number="BLD2025-00002")
    assert "BLD2025-00002" in client.get(SEARCH, {"address": "oak"}).text


def test_a_signed_in_contractor_never_gets_the_public_page(client, cached):
    license = LicenseFactory()
    permit = PermitFactory(street_name="Oak St", status=PermitStatus.ISSUED, licenses=[license])
    public = client.get(SEARCH, {"address": "oak", "scoped": "1"})
    assert permit.number in public.text and "One of your records" not in public.text
    client.force_login(contractor_user(license))
    own = client.get(SEARCH, {"address": "oak", "scoped": "1"})
    assert "One of your records" in own.text


def test_a_page_with_a_message_waiting_is_not_shared(client, cached):
    """A message meant for one visitor (e.g. "You have signed out.") must not be cached into
    everyone's page."""
    PermitFactory(street_name="Oak St")
    request = RequestFactory().get("/")
    storage = CookieStorage(request)
    storage.add(constants.INFO, "You have signed out.")
    response_cookies = {}

    class Response(dict):
        def set_cookie(self, key, value, **kwargs):
            response_cookies[key] = value

        def delete_cookie(self, key, **kwargs):
            pass

    storage.update(Response())
    client.cookies["messages"] = response_cookies["messages"]
    with_message = client.get(SEARCH, {"address": "oak"})
    assert "You have signed out." in with_message.text
    client.cookies.pop("messages", None)
    assert "You have signed out." not in client.get(SEARCH, {"address": "oak"}).text


def test_searches_that_differ_only_in_ignored_parameters_share_one_entry(client, cached):
    """A parameter the search does not read (a tracking tag, a random string) makes no new
    cache entry: one visitor cannot fill the cache (shared with sessions and rate limits)."""
    from django.core.cache import cache

    PermitFactory(street_name="Oak St")
    client.get(SEARCH, {"address": "oak"})
    keys_before = set(cache._cache)  # the tests' in-memory cache
    for index in range(20):
        response = client.get(
            SEARCH, {"address": "oak", f"utm_{index}": str(index), "x": "y" * index}
        )
        assert response.status_code == 200
    assert set(cache._cache) == keys_before
