""" "Needs your action" drops nothing unsaid (issue 23: it said "Showing 10 of 11" and, of 8
Ready to Issue permits, showed 7, the eighth reachable nowhere from it): each kind's total says
how many of its permits the rows leave out and links to all of them, My Records filtered by
"Needs my action" to exactly that kind's permits. On PostgreSQL both ways: by license for a
contractor (the dashboard's UNIONs, My Records read from the license rows) and through the ORM
for a contact."""

import csv
import io
from collections import Counter

import pytest
from django.urls import reverse

from permits.models import Permit, PermitContact
from portal.actions import ACTION_ROWS, KIND_LABELS
from tests.factories import LicenseFactory, PermitFactory, contractor_user

from .action_permits import ActionPermits, acting_business, expected_actions
from .test_dashboard import section_words

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")
MY_RECORDS = reverse("permits:my_records")
MY_CSV = reverse("permits:my_records_csv")


@pytest.fixture
def acting(settings):
    settings.MY_RECORDS_PAGE_SIZE = 100  # each whole list on one page
    return acting_business()


@pytest.mark.parametrize("as_contact", [False, True])
@pytest.mark.parametrize("who", ["manager", "colleague", "payer", "registered"])
def test_each_kinds_total_links_to_exactly_its_permits(client, acting, who, as_contact):
    user = acting[who]
    if as_contact:  # named on someone else's permit: their records are read through the ORM
        PermitContact.objects.create(permit=PermitFactory(), user=user, contact_type="owner")
    want = expected_actions(user)
    if who == "manager":
        assert all(want.values()) and len(want["ready"]) > ACTION_ROWS
    client.force_login(user)
    section = client.get(DASHBOARD).context["actions"]
    shown = Counter(row.kind for row in section.rows)
    totals = {kind.label: kind for kind in section.kinds}
    assert sum(kind.count for kind in totals.values()) == section.total
    for name, ids in want.items():
        label = KIND_LABELS[name]
        if not ids:
            assert label not in totals, (who, name)
            continue
        kind = totals[label]
        assert (kind.count, kind.not_shown) == (len(ids), len(ids) - shown[name]), (who, name)
        page = client.get(kind.url).context["page"]
        assert page.paginator.count == len(ids), (who, name)
        assert [permit.pk for permit in page.object_list] == ids, (who, name)
        numbers = {permit.number for permit in page.object_list}
        body = b"".join(client.get(MY_CSV, {"needs": name}).streaming_content).decode()
        assert {row[0] for row in list(csv.reader(io.StringIO(body)))[1:]} == numbers


def test_the_totals_say_how_many_are_not_shown_and_link_each_list(client, acting):
    """The newcomer's case, in words: more Ready to Issue permits than the rows show."""
    user = acting["manager"]
    want = expected_actions(user)
    client.force_login(user)
    response = client.get(DASHBOARD)
    section = response.context["actions"]
    ready_shown = sum(row.kind == "ready" for row in section.rows)
    total = sum(len(ids) for ids in want.values())
    assert len(section.rows) == ACTION_ROWS < total
    assert (
        f"Showing {ACTION_ROWS} of {total}. Each in full in My Records: Ready to Issue: "
        f"{len(want['ready'])} ({len(want['ready']) - ready_shown} not shown above) · Returned "
        f"for Correction: {len(want['returned'])} · Corrections asked: "
        f"{len(want['corrections'])} · Conditions to answer: {len(want['conditions'])}."
    ) in section_words(response.text)
    for name in KIND_LABELS:
        assert f'href="{MY_RECORDS}?needs={name}"' in response.text


def test_needs_my_action_narrows_the_other_filters_too(client):
    """My Records' "Needs my action" is one of its filters: with the others, and kept as chosen
    in the form."""
    license = LicenseFactory()
    user = contractor_user(license, can_manage=True)
    make = ActionPermits(license)
    on_oak = make.ready(3)
    on_elm = make.ready(4)
    Permit.objects.filter(pk=on_oak.pk).update(street_name="Oak St")
    Permit.objects.filter(pk=on_elm.pk).update(street_name="Elm St")
    PermitFactory(licenses=[license], street_name="Oak St")  # issued: nothing to do
    client.force_login(user)
    response = client.get(MY_RECORDS, {"needs": "ready", "address": "oak"})
    assert [permit.pk for permit in response.context["page"].object_list] == [on_oak.pk]
    assert client.get(MY_RECORDS, {"address": "oak"}).context["page"].paginator.count == 2
    assert '<option value="ready" selected>Ready to Issue</option>' in response.text
    assert 'aria-label="Filter my records"' in response.text


def test_the_public_search_has_no_needs_my_action(client):
    client.force_login(contractor_user(LicenseFactory()))
    assert 'name="needs"' not in client.get(reverse("permits:search"), {"address": "x"}).text
    assert 'name="needs"' in client.get(MY_RECORDS).text


@pytest.mark.parametrize("name", list(KIND_LABELS))
def test_a_kinds_list_runs_the_same_queries_for_one_permit_or_many(
    client, django_assert_max_num_queries, name
):
    license = LicenseFactory()
    user = contractor_user(license, can_manage=True)
    make = ActionPermits(license)
    made = {
        "ready": make.ready,
        "returned": lambda days: make.returned(user, days),
        "corrections": make.in_review,
        "conditions": make.with_condition,
    }[name]
    client.force_login(user)

    def queries() -> tuple[int, int]:
        client.get(MY_RECORDS, {"needs": name})  # warm: the permit types are cached
        with django_assert_max_num_queries(40) as captured:
            response = client.get(MY_RECORDS, {"needs": name})
        assert response.status_code == 200
        return len(captured.captured_queries), response.context["page"].paginator.count

    made(1)
    one, count = queries()
    assert count == 1
    for days in range(2, 8):
        made(days)
    assert queries() == (one, 7)
