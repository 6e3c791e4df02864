"""The search page runs the same number of queries for 1 result or 25 with many fees each."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import FeeFactory, LicenseFactory, PermitFactory

pytestmark = pytest.mark.django_db


def make_permits(count: int, fees_each: int):
    license = LicenseFactory()
    for _ in range(count):
        permit = PermitFactory(licenses=[license])
        for _ in range(fees_each):
            FeeFactory(permit=permit, amount=Decimal("10.00"))
    return license


def count_queries(client, django_assert_max_num_queries, params) -> int:
    with django_assert_max_num_queries(10) as captured:
        response = client.get(reverse("permits:search"), params)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_search_queries_do_not_grow_with_the_page(client, django_assert_max_num_queries):
    make_permits(1, 1)
    count_queries(client, django_assert_max_num_queries, {"address": "oak"})  # warm the cache
    one = count_queries(client, django_assert_max_num_queries, {"address": "oak"})
    make_permits(25, 6)
    page = count_queries(client, django_assert_max_num_queries, {"address": "oak"})
    # The new permits' licenses are read once, then come from the cache like the first's.
    page = count_queries(client, django_assert_max_num_queries, {"address": "oak"})
    assert one == page
    response = client.get(reverse("permits:search"), {"address": "oak"})
    assert len(response.context["page"].object_list) == 25


def test_search_with_every_filter_runs_the_same_queries(client, django_assert_max_num_queries):
    license = make_permits(30, 3)
    params = {
        "address": "oak",
        "license_number": license.number,
        "permit_type": "RES",
        "status": "issued",
    }
    base = count_queries(client, django_assert_max_num_queries, {"address": "oak"})
    filtered = count_queries(client, django_assert_max_num_queries, params)
    # Each filter is a clause in the same query; validating the chosen permit type is one lookup
    # and a license number without its prefix one more, at most.
    assert filtered <= base + 2
    response = client.get(reverse("permits:search"), params)
    assert response.context["page"].paginator.count == 30


def test_a_search_that_finds_nothing_reads_once(client, django_assert_max_num_queries):
    """An empty first page is a total of none: the matches are not looked for a second time
    to count them (on PostgreSQL each look is a scan of the address index)."""
    make_permits(3, 1)
    with django_assert_max_num_queries(10) as captured:
        response = client.get(reverse("permits:search"), {"address": "no such street"})
    assert response.context["page"].paginator.count == 0
    assert list(response.context["page"].object_list) == []
    searches = [q for q in captured.captured_queries if "address_search" in q["sql"]]
    assert len(searches) == 1
    assert b"No permits match" in response.content


def test_an_empty_page_past_the_first_is_counted_for_the_last_page(client):
    make_permits(3, 1)
    response = client.get(reverse("permits:search"), {"address": "oak", "page": "9"})
    page = response.context["page"]
    assert page.paginator.count == 3
    assert page.number == 1
    assert len(page.object_list) == 3
