import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from permits.models import PermitStatus
from tests.factories import (
    FeeFactory,
    LicenseFactory,
    LicenseTypeFactory,
    PermitFactory,
    PermitTypeFactory,
)

pytestmark = pytest.mark.django_db

SEARCH = reverse("permits:search")
CSV = reverse("permits:search_csv")
TODAY = datetime.date.today()


def numbers(response) -> list[str]:
    page = response.context["page"]
    return [permit.number for permit in page.object_list] if page else []


def search(client, **params):
    response = client.get(SEARCH, params)
    assert response.status_code == 200
    return response


def days_ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def test_the_search_page_is_public_and_in_the_navigation(client):
    response = client.get(reverse("home"))
    assert f'href="{SEARCH}"' in response.text
    assert "Search Permits" in response.text
    response = client.get(SEARCH)
    assert response.status_code == 200
    assert response.context["page"] is None  # the empty form, no search yet


def test_permit_number_exact_and_prefix(client):
    PermitFactory(number="RES24-0150")
    PermitFactory(number="RES24-0151")
    PermitFactory(number="COM24-0150")
    assert numbers(search(client, permit_number="RES24-0150")) == ["RES24-0150"]
    assert sorted(numbers(search(client, permit_number="res24-015"))) == [
        "RES24-0150",
        "RES24-0151",
    ]
    assert numbers(search(client, permit_number="24-0150")) == []  # a prefix, not a substring


def test_address_is_a_case_insensitive_substring(client):
    PermitFactory(number="RES25-00001", street_number="1200", street_name="N Oak St")
    PermitFactory(number="RES25-00002", street_number="45", street_name="Oakland Ave")
    PermitFactory(number="RES25-00003", street_number="9", street_name="Elm St")
    assert sorted(numbers(search(client, address="oak"))) == ["RES25-00001", "RES25-00002"]
    assert numbers(search(client, address="1200  n OAK")) == ["RES25-00001"]
    assert numbers(search(client, address="springfield")) == []  # the street address only


def test_address_search_treats_like_wildcards_as_plain_text(client):
    PermitFactory(number="RES25-00001", street_name="Oak St")
    assert numbers(search(client, address="%")) == []
    assert numbers(search(client, address="O_k")) == []


def test_contractor_license_number_with_or_without_prefix(client):
    electrical = LicenseFactory(license_type=LicenseTypeFactory(prefix="EC"), number="EC12345")
    plumbing = LicenseFactory(license_type=LicenseTypeFactory(prefix="PC"), number="PC99999")
    PermitFactory(number="ELE25-00001", licenses=[electrical])
    PermitFactory(number="PLM25-00001", licenses=[plumbing])
    PermitFactory(number="PLM25-00002")
    assert numbers(search(client, license_number="ec12345")) == ["ELE25-00001"]
    assert numbers(search(client, license_number="12345")) == ["ELE25-00001"]
    assert numbers(search(client, license_number="EC-12345")) == ["ELE25-00001"]


def test_permit_type_and_status(client):
    electrical = PermitTypeFactory(code="ELE", name="Electrical")
    PermitFactory(number="ELE25-00001", permit_type=electrical, status=PermitStatus.ISSUED)
    PermitFactory(number="ELE25-00002", permit_type=electrical, status=PermitStatus.EXPIRED)
    PermitFactory(number="RES25-00001", status=PermitStatus.ISSUED)
    assert sorted(numbers(search(client, permit_type="ELE"))) == ["ELE25-00001", "ELE25-00002"]
    assert sorted(numbers(search(client, status="issued"))) == ["ELE25-00001", "RES25-00001"]
    assert numbers(search(client, permit_type="ELE", status="expired")) == ["ELE25-00002"]


def test_applied_date_range_is_inclusive(client):
    PermitFactory(number="RES25-00001", applied_on=datetime.date(2025, 1, 1))
    PermitFactory(number="RES25-00002", applied_on=datetime.date(2025, 1, 31))
    PermitFactory(number="RES25-00003", applied_on=datetime.date(2025, 2, 1))
    found = numbers(search(client, applied_from="2025-01-01", applied_to="2025-01-31"))
    assert sorted(found) == ["RES25-00001", "RES25-00002"]


def test_the_date_range_defaults_to_the_last_three_years_and_can_be_cleared(client):
    PermitFactory(number="RES25-00001", applied_on=days_ago(30))
    PermitFactory(number="RES20-00001", applied_on=days_ago(4 * 365))
    # A link that does not mention the range gets the default.
    assert numbers(search(client, address="oak")) == ["RES25-00001"]
    # The form as the page first shows it carries the default too.
    form = search(client).context["form"]
    assert form["applied_from"].value() == TODAY.replace(year=TODAY.year - 3)
    # Clearing "Applied from" searches every year.
    assert numbers(search(client, address="oak", applied_from="")) == ["RES25-00001", "RES20-00001"]


def test_filters_combine(client):
    electrical_type = PermitTypeFactory(code="ELE", name="Electrical")
    license = LicenseFactory(license_type=LicenseTypeFactory(prefix="EC"), number="EC55555")
    match = PermitFactory(
        number="ELE25-00001",
        permit_type=electrical_type,
        street_name="Maple Ave",
        status=PermitStatus.ISSUED,
        licenses=[license],
    )
    PermitFactory(
        number="ELE25-00002",
        permit_type=electrical_type,
        street_name="Maple Ave",
        status=PermitStatus.FINALED,
        licenses=[license],
    )
    PermitFactory(
        number="ELE25-00003",
        permit_type=electrical_type,
        street_name="Birch Ave",
        status=PermitStatus.ISSUED,
        licenses=[license],
    )
    PermitFactory(
        number="RES25-00004",
        street_name="Maple Ave",
        status=PermitStatus.ISSUED,
        licenses=[license],
    )
    PermitFactory(
        number="ELE25-00005",
        permit_type=electrical_type,
        street_name="Maple Ave",
        status=PermitStatus.ISSUED,
    )
    found = numbers(
        search(
            client,
            permit_number="ELE",
            address="maple",
            license_number="EC55555",
            permit_type="ELE",
            status="issued",
            applied_from=days_ago(365).isoformat(),
            applied_to=TODAY.isoformat(),
        )
    )
    assert found == [match.number]


def test_results_show_fees_due_newest_first(client):
    older = PermitFactory(number="RES25-00001", applied_on=days_ago(10))
    newer = PermitFactory(number="RES25-00002", applied_on=days_ago(2))
    FeeFactory(permit=older, amount=Decimal("10.50"))
    FeeFactory(permit=older, amount=Decimal("4.25"))
    FeeFactory(permit=older, amount=Decimal("100.00"), status="paid")
    response = search(client, address="oak")
    assert numbers(response) == [newer.number, older.number]
    assert "$14.75" in response.text
    assert "2 permits found" in response.text


def test_pagination_25_a_page_with_total_and_no_cap(client):
    for day in range(130):
        PermitFactory(number=f"RES25-{day:05d}", applied_on=days_ago(day))
    first = search(client, address="oak")
    assert len(numbers(first)) == 25
    assert "130 permits found" in first.text
    assert first.context["page"].paginator.num_pages == 6
    last = search(client, address="oak", page=6)
    assert numbers(last) == [f"RES25-{day:05d}" for day in range(125, 130)]
    assert 'aria-label="Page 5"' in last.text


def test_page_links_keep_the_search(client):
    for day in range(30):
        PermitFactory(number=f"RES25-{day:05d}", applied_on=days_ago(day))
    response = search(client, address="oak", status="issued")
    assert "address=oak" in response.text
    assert "status=issued" in response.text and "page=2" in response.text


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_csv_download_streams_the_whole_result_set(client):
    for day in range(60):
        permit = PermitFactory(number=f"RES25-{day:05d}", applied_on=days_ago(day))
        FeeFactory(permit=permit, amount=Decimal("1.25"))
    PermitFactory(number="RES25-99999", street_name="Elm St")
    response = client.get(CSV, {"address": "oak", "page": "2"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][0] == "Permit Number"
    assert len(rows) == 61  # every match, not one page
    assert rows[1][0] == "RES25-00000"
    header = rows[0]
    assert rows[1][header.index("Fees Due")] == "1.25"
    assert rows[1][header.index("Status")] == "Issued"


def test_csv_neutralises_spreadsheet_formulas(client):
    PermitFactory(number="RES25-00001", description='=HYPERLINK("http://evil")')
    rows = read_csv(client.get(CSV, {"permit_number": "RES25-00001"}))
    assert rows[1][rows[0].index("Description")].startswith("'=")


def test_the_search_results_link_to_the_csv_with_the_same_search(client):
    PermitFactory()
    response = search(client, address="oak", page=1)
    assert 'href="/permits/search/permits.csv?address=oak' in response.text
    assert "page=1" not in response.text.split("permits.csv")[1].split('"')[0]


def test_results_and_the_csv_show_the_license_professional(client):
    """Issue 13, requirement 11: who the contractor is, as the commercial portals show it."""
    holder_license = LicenseFactory(number="EC10002", holder__business_name="Prairie Electric Co.")
    permit = PermitFactory(street_name="Oak St", licenses=[holder_license])
    bare = PermitFactory(street_name="Oak St", licenses=[])
    page = search(client, address="oak")
    assert "License professional" in page.text
    assert "Prairie Electric Co." in page.text and "(EC10002)" in page.text
    rows = {row[0]: row for row in read_csv(client.get(CSV, {"address": "oak"}))}
    header = rows.pop("Permit Number")
    assert header[-2:] == ["Contractor", "License Number"]
    assert rows[permit.number][-2:] == ["Prairie Electric Co.", "EC10002"]
    assert rows[bare.number][-2:] == ["", ""]


def test_the_address_example_is_a_setting(client, settings):
    settings.PERMIT_SEARCH_ADDRESS_EXAMPLE = "12 Elm or Elm St"
    assert "e.g. 12 Elm or Elm St" in client.get(SEARCH).text


def test_a_pages_professionals_answer_as_the_orm_definition(django_assert_num_queries):
    """The two hand-written reads behind a page's license professionals agree with the ORM."""
    from permits.models import PermitLicense
    from permits.selectors import attach_professionals

    first, second = LicenseFactory(number="EC20001"), LicenseFactory(number="GC20002")
    permits = [
        PermitFactory(licenses=[first, second]),
        PermitFactory(licenses=[second]),
        PermitFactory(licenses=[]),
    ]
    with django_assert_num_queries(2):
        attach_professionals(permits)
    for permit in permits:
        by_orm = sorted(
            PermitLicense.objects.filter(permit=permit).values_list(
                "license__holder__business_name", "license__number"
            ),
            key=lambda pair: pair[1],
        )
        assert permit.professionals == by_orm
    with django_assert_num_queries(0):
        attach_professionals([])
    # The labels come from the cache the next time: the page's licenses only.
    with django_assert_num_queries(1):
        attach_professionals(permits)
    assert permits[0].professionals == sorted(
        [(first.holder.business_name, "EC20001"), (second.holder.business_name, "GC20002")],
        key=lambda pair: pair[1],
    )


def test_a_renamed_business_shows_under_its_new_name(client):
    """The licenses' labels are read through the cache, which forgets a changed license or
    business."""
    from permits.selectors import attach_professionals

    license = LicenseFactory(number="EC30003", holder__business_name="Old Name LLC")
    permit = PermitFactory(licenses=[license])
    attach_professionals([permit])
    assert permit.professionals == [("Old Name LLC", "EC30003")]
    license.holder.business_name = "New Name LLC"
    license.holder.save()
    attach_professionals([permit])
    assert permit.professionals == [("New Name LLC", "EC30003")]
    license.number = "EC30004"
    license.save()
    attach_professionals([permit])
    assert permit.professionals == [("New Name LLC", "EC30004")]


def test_the_search_forms_permit_types_follow_a_change(client):
    """The list of permit types is read through the cache, which forgets it when one changes."""
    PermitTypeFactory(code="RES", name="Residential")
    assert ">Residential</option>" in client.get(SEARCH).text
    PermitTypeFactory(code="SGN", name="Sign")
    assert ">Sign</option>" in client.get(SEARCH).text
