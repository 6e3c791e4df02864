"""Issue 23, requirement 12: My Records filters as the search does (the search's own form:
address, status, type, applied and issued date ranges), its CSV follows the filters, bad input
gets a message (never a 500), and a filtered page's queries do not grow with its rows."""

import datetime
from dataclasses import replace

import pytest
from django.urls import reverse
from django.utils import timezone

from permits.forms import PermitSearchForm
from permits.models import PermitContact, PermitStatus
from permits.record_filters import record_search_rows
from permits.scopes import permits_visible_to
from permits.selectors import permit_search
from tests.factories import (
    LicenseFactory,
    LicenseLinkFactory,
    PermitFactory,
    PermitTypeFactory,
    contractor_user,
)

pytestmark = pytest.mark.django_db

MY_RECORDS = reverse("permits:my_records")
MY_CSV = reverse("permits:my_records_csv")
SEARCH = reverse("permits:search")
DAY = datetime.date(2026, 6, 15)


def on(days: int) -> datetime.date:
    return DAY + datetime.timedelta(days=days)


@pytest.fixture
def records(client):
    """Four records of one contractor (two types, three statuses, applied and issued on
    different days), the same address on someone else's permit, and the user signed in."""
    license = LicenseFactory()
    residential = PermitTypeFactory(code="RES", name="Residential Building")
    electrical = PermitTypeFactory(code="ELE", name="Electrical")
    rows = [
        # name, number, type, street, license (none: someone else's), status, applied, issued
        ("oak_issued", "RES26-00001", residential, "Oak St", license, "issued", -60, -30),
        ("oak_review", "RES26-00002", residential, "Oak St", license, "in_review", -5, None),
        ("elm_issued", "ELE26-00003", electrical, "Elm Ave", license, "issued", -20, -2),
        ("elm_old", "ELE20-00004", electrical, "Elm Ave", license, "finaled", -2000, -1990),
        ("theirs", "RES26-00099", residential, "Oak St", None, "issued", -1, -1),
    ]
    made = {
        name: PermitFactory(
            number=number,
            permit_type=permit_type,
            street_name=street,
            licenses=[holder] if holder else [],
            status=status,
            applied_on=on(applied),
            issued_on=on(issued) if issued is not None else None,
        )
        for name, number, permit_type, street, holder, status, applied, issued in rows
    }
    user = contractor_user(license)
    client.force_login(user)
    made["user"] = user
    return made


def numbers(response) -> list[str]:
    return [permit.number for permit in response.context["page"].object_list]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["RES26-00002", "ELE26-00003", "RES26-00001", "ELE20-00004"]),
        ({"address": "oak"}, ["RES26-00002", "RES26-00001"]),
        ({"status": "issued"}, ["ELE26-00003", "RES26-00001"]),
        ({"permit_type": "ELE"}, ["ELE26-00003", "ELE20-00004"]),
        ({"applied_from": on(-30).isoformat()}, ["RES26-00002", "ELE26-00003"]),
        ({"applied_to": on(-30).isoformat()}, ["RES26-00001", "ELE20-00004"]),
        ({"issued_from": on(-40).isoformat(), "issued_to": on(-10).isoformat()}, ["RES26-00001"]),
        ({"issued_from": on(-3).isoformat()}, ["ELE26-00003"]),
        ({"status": "issued", "permit_type": "RES", "address": "oak"}, ["RES26-00001"]),
        ({"status": "cancelled"}, []),
    ],
)
def test_my_records_filter_by_the_searchs_fields(client, records, params, expected):
    response = client.get(MY_RECORDS, params)
    assert response.status_code == 200
    assert numbers(response) == expected
    assert response.context["page"].paginator.count == len(expected)
    assert "RES26-00099" not in response.text  # someone else's, whatever matches


def test_the_filters_show_what_was_asked_and_say_when_nothing_matches(client, records):
    response = client.get(MY_RECORDS, {"address": "Pine", "status": "issued"})
    text = response.text
    assert 'aria-label="Filter my records"' in text
    assert 'value="Pine"' in text
    assert '<option value="issued" selected>' in text
    assert "None of your records match these filters." in text
    assert "No records yet" not in text


def test_the_csv_follows_the_filters(client, records):
    def rows(params) -> list[str]:
        response = client.get(MY_CSV, params)
        assert response.status_code == 200
        body = b"".join(response.streaming_content).decode()
        return [line.split(",")[0] for line in body.splitlines()[1:]]

    assert sorted(rows({})) == ["ELE20-00004", "ELE26-00003", "RES26-00001", "RES26-00002"]
    assert rows({"permit_type": "ELE", "issued_from": on(-3).isoformat()}) == ["ELE26-00003"]
    assert rows({"address": "oak", "status": "in_review"}) == ["RES26-00002"]


def test_the_pages_csv_link_carries_the_filters(client, records):
    text = client.get(MY_RECORDS, {"address": "oak", "status": "issued"}).text
    assert f'href="{MY_CSV}?address=oak&amp;status=issued"' in text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"applied_from": "2026-13-45"}, "Enter the date as YYYY-MM-DD"),
        ({"issued_to": "yesterday"}, "Enter the date as YYYY-MM-DD"),
        ({"issued_from": "1850-01-01"}, "Enter a date after 1900."),
        (
            {"issued_from": "2026-06-01", "issued_to": "2026-05-01"},
            "The “Issued from” date is after the “Issued to” date.",
        ),
        (
            {"applied_from": "2026-06-01", "applied_to": "2026-05-01"},
            "The “Applied from” date is after the “Applied to” date.",
        ),
        ({"status": "archived"}, "Choose a status from the list."),
        ({"permit_type": "NOPE"}, "Choose a permit type from the list."),
        ({"needs": "everything"}, "Choose what needs your action from the list."),
        ({"address": "x" * 300}, "Ensure this value has at most 100 characters"),
    ],
)
def test_bad_filters_get_a_message_never_a_500(client, records, params, message):
    page = client.get(MY_RECORDS, params)
    assert page.status_code == 200
    assert message in page.text
    assert "Correct the filters above to see your records." in page.text
    for name, value in params.items():
        if name not in ("status", "permit_type", "needs"):  # a list offers only its choices
            assert f'value="{value}"' in page.text  # what was typed is kept
    csv = client.get(MY_CSV, params)
    assert csv.status_code == 400 and message in csv.text


def test_the_public_search_filters_by_issued_date_too(client, records):
    client.logout()
    found = client.get(
        SEARCH,
        {"address": "oak", "issued_from": on(-3).isoformat(), "applied_from": ""},
    )
    assert numbers(found) == ["RES26-00099"]
    reversed_range = client.get(SEARCH, {"issued_from": "2026-06-01", "issued_to": "2026-05-01"})
    assert "The “Issued from” date is after the “Issued to” date." in reversed_range.text


@pytest.mark.parametrize(
    "params",
    [{"status": "issued"}, {"address": "oak", "issued_from": "2020-01-01"}, {"permit_type": "RES"}],
)
def test_a_filtered_page_runs_the_same_queries_for_one_record_or_twelve(
    client, django_assert_max_num_queries, params
):
    license = LicenseFactory()
    residential = PermitTypeFactory(code="RES", name="Residential Building")
    client.force_login(contractor_user(license, can_pay=True))

    def make(count: int) -> None:
        for _ in range(count):
            PermitFactory(
                permit_type=residential,
                street_name="Oak St",
                licenses=[license],
                status=PermitStatus.ISSUED,
                issued_on=DAY,
            )

    def queries() -> int:
        client.get(MY_RECORDS, params)  # warm: the permit types are read through the cache
        with django_assert_max_num_queries(40) as captured:
            assert client.get(MY_RECORDS, params).status_code == 200
        return len(captured.captured_queries)

    make(1)
    one = queries()
    make(11)
    assert queries() == one


def test_a_contacts_records_filter_too(client, records):
    named = PermitFactory(
        number="RES26-00050", street_name="Oak St", status=PermitStatus.ISSUED, applied_on=on(-1)
    )
    PermitContact.objects.create(permit=named, user=records["user"], contact_type="owner")
    response = client.get(MY_RECORDS, {"address": "oak", "status": "issued"})
    assert numbers(response) == ["RES26-00050", "RES26-00001"]


@pytest.mark.postgres
@pytest.mark.parametrize(
    "params",
    [
        {"status": "issued"},
        {"permit_type": "ELE"},
        {"applied_from": on(-30).isoformat(), "status": "in_review"},
        {"applied_to": on(-30).isoformat(), "permit_type": "ELE"},
    ],
)
@pytest.mark.parametrize("licenses", [1, 2])
def test_on_postgresql_status_type_and_dates_are_read_from_the_license_rows(
    client, records, params, licenses
):
    """PermitLicense's copies of status and applied date (kept by triggers) answer as the
    permits themselves do, for one license and for two naming the same permit."""
    user = records["user"]
    if licenses == 2:
        second = LicenseFactory(holder=records["oak_issued"].licenses.first().holder)
        records["oak_issued"].licenses.add(second)
        LicenseLinkFactory(user=user, license=second, status="approved", decided_at=timezone.now())
    user = type(user).objects.get(pk=user.pk)
    form = PermitSearchForm(params)
    assert form.is_valid()
    search = replace(form.to_search(), within=permits_visible_to(user))
    rows = record_search_rows(user=user, search=search)
    assert rows is not None
    expected = [permit.pk for permit in permit_search(search=search)]
    assert [row["permit_id"] for row in rows] == expected
    client.force_login(user)
    page = client.get(MY_RECORDS, params).context["page"]
    assert [permit.pk for permit in page.object_list] == expected
