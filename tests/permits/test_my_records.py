import datetime

import pytest
from django.urls import reverse

from permits.models import PermitContact, PermitStatus
from permits.scopes import permits_visible_to
from tests.factories import (
    LicenseFactory,
    MembershipFactory,
    PermitFactory,
    UserFactory,
    contractor_user,
    verify_email,
)

pytestmark = pytest.mark.django_db

MY_RECORDS = reverse("permits:my_records")


def days_ago(days):
    return datetime.date.today() - datetime.timedelta(days=days)


@pytest.fixture
def license():
    return LicenseFactory()


def numbers(response):
    return [permit.number for permit in response.context["page"].object_list]


def test_my_records_lists_permits_of_my_licenses_businesses_and_contacts(client, license):
    user = contractor_user(license)
    other_license_same_business = LicenseFactory(holder=license.holder)
    MembershipFactory(user=user, contractor=license.holder, can_pay=True)
    mine = PermitFactory(number="RES25-00001", licenses=[license], applied_on=days_ago(3))
    via_business = PermitFactory(
        number="RES25-00002", licenses=[other_license_same_business], applied_on=days_ago(2)
    )
    as_contact = PermitFactory(number="RES25-00003", applied_on=days_ago(1))
    PermitContact.objects.create(permit=as_contact, user=user, contact_type="contact")
    PermitFactory(number="RES25-00004")  # someone else's
    client.force_login(user)
    response = client.get(MY_RECORDS)
    assert numbers(response) == [as_contact.number, via_business.number, mine.number]
    assert "3 records" in response.text


def test_a_member_without_roles_has_only_their_own_licenses_records(license):
    user = UserFactory()
    verify_email(user)
    MembershipFactory(user=user, contractor=license.holder)
    PermitFactory(licenses=[license])
    assert not permits_visible_to(user).exists()


def test_ten_a_page_with_no_cap(client, license):
    user = contractor_user(license)
    for day in range(123):
        PermitFactory(number=f"RES25-{day:05d}", licenses=[license], applied_on=days_ago(day))
    client.force_login(user)
    first = client.get(MY_RECORDS)
    assert len(numbers(first)) == 10 and numbers(first)[0] == "RES25-00000"
    assert first.context["page"].paginator.num_pages == 13
    last = client.get(MY_RECORDS, {"page": 13})
    assert numbers(last) == ["RES25-00120", "RES25-00121", "RES25-00122"]
    assert "123 records" in last.text


def test_my_records_and_collections_are_in_the_header(client, license):
    client.force_login(contractor_user(license))
    text = client.get(reverse("home")).text
    assert f'href="{MY_RECORDS}"' in text
    assert "Collections (0)" in text


def test_my_records_needs_sign_in(client):
    assert client.get(MY_RECORDS).status_code == 302


def test_an_unverified_user_has_no_records(client, license):
    user = contractor_user(license, verified=False)
    PermitFactory(licenses=[license])
    client.force_login(user)
    assert "0 records" in client.get(MY_RECORDS).text


# Search my records only ----------------------------------------------------------------------

SEARCH = reverse("permits:search")


@pytest.fixture
def two_permits(license):
    mine = PermitFactory(number="RES25-00001", street_name="Oak St", licenses=[license])
    theirs = PermitFactory(number="RES25-00002", street_name="Oak St")
    return mine, theirs


def search_numbers(response):
    return sorted(p.number for p in response.context["page"].object_list)


def test_the_checkbox_is_offered_to_contractors_only(client, license, two_permits):
    assert "Search my records only" not in client.get(SEARCH).text
    client.force_login(UserFactory())
    assert "Search my records only" not in client.get(SEARCH).text
    client.force_login(contractor_user(license))
    page = client.get(SEARCH)
    assert "Search my records only" in page.text
    assert page.context["form"]["mine"].value() is True


def test_searching_by_address_or_license_defaults_to_my_records(client, license, two_permits):
    client.force_login(contractor_user(license))
    assert search_numbers(client.get(SEARCH, {"address": "oak"})) == ["RES25-00001"]
    assert search_numbers(client.get(SEARCH, {"license_number": license.number})) == ["RES25-00001"]
    # By permit number alone, the default is every permit.
    assert search_numbers(client.get(SEARCH, {"permit_number": "RES25"})) == [
        "RES25-00001",
        "RES25-00002",
    ]


def test_unticking_searches_every_permit(client, license, two_permits):
    client.force_login(contractor_user(license))
    response = client.get(SEARCH, {"address": "oak", "scoped": "1"})  # the form, box unticked
    assert search_numbers(response) == ["RES25-00001", "RES25-00002"]
    ticked = client.get(
        SEARCH, {"address": "oak", "scoped": "1", "mine": "on", "permit_number": "RES"}
    )
    assert search_numbers(ticked) == ["RES25-00001"]


def test_my_records_only_works_with_every_filter_and_the_default_dates(client, license):
    PermitFactory(
        number="RES20-00001", street_name="Oak St", licenses=[license], applied_on=days_ago(4 * 365)
    )
    PermitFactory(number="RES25-00001", street_name="Oak St", licenses=[license], status="expired")
    PermitFactory(number="RES25-00002", street_name="Oak St", licenses=[license], status="issued")
    client.force_login(contractor_user(license))
    assert search_numbers(client.get(SEARCH, {"address": "oak", "status": "issued"})) == [
        "RES25-00002"
    ]
    assert search_numbers(client.get(SEARCH, {"address": "oak"})) == ["RES25-00001", "RES25-00002"]
    assert "RES20-00001" in search_numbers(
        client.get(SEARCH, {"address": "oak", "applied_from": ""})
    )


def test_the_csv_follows_my_records_only(client, license, two_permits):
    client.force_login(contractor_user(license))
    body = b"".join(
        client.get(reverse("permits:search_csv"), {"address": "oak"}).streaming_content
    ).decode()
    assert "RES25-00001" in body and "RES25-00002" not in body


@pytest.mark.postgres
def test_my_records_total_comes_from_the_per_license_counts(client, license):
    """On PostgreSQL, a one-license contractor's total is read from LicensePermitCount (kept by
    triggers): it must equal the records counted one by one, whatever their statuses."""
    from permits.scopes import record_total
    from permits.selectors import my_records

    user = contractor_user(license)
    for status in (PermitStatus.ISSUED, PermitStatus.EXPIRED, PermitStatus.FINALED):
        PermitFactory(status=status, licenses=[license])
    PermitFactory(status=PermitStatus.ISSUED)  # someone else's
    client.force_login(user)
    fresh = type(user).objects.get(pk=user.pk)
    assert record_total(fresh) == my_records(user=fresh).count() == 3
    assert client.get(reverse("permits:my_records")).context["page"].paginator.count == 3
    PermitContact.objects.create(permit=PermitFactory(), user=user, contact_type="owner")
    assert record_total(type(user).objects.get(pk=user.pk)) is None  # counted one by one


def test_my_records_and_the_search_filter_by_fees_due(client):
    """Issue 13, requirement 3: "What do I owe?": My Records and the search keep only permits
    with a fee due, for a contractor and for a contact alike."""
    from decimal import Decimal

    from permits.models import FeeStatus, PermitContact
    from tests.factories import (
        FeeFactory,
        LicenseFactory,
        PermitFactory,
        contractor_user,
        set_status,
    )

    license = LicenseFactory()
    owing = PermitFactory(licenses=[license], street_name="Oak St")
    FeeFactory(permit=owing, amount=Decimal("10.00"))
    paid_up = PermitFactory(licenses=[license], street_name="Oak St")
    set_status(FeeFactory(permit=paid_up, amount=Decimal("5.00")), FeeStatus.PAID)
    no_fees = PermitFactory(licenses=[license], street_name="Oak St")
    user = contractor_user(license)
    client.force_login(user)
    all_numbers = {p.number for p in client.get(reverse("permits:my_records")).context["page"]}
    assert all_numbers == {owing.number, paid_up.number, no_fees.number}
    page = client.get(reverse("permits:my_records"), {"fees_due": "1"}).context["page"]
    assert [p.number for p in page] == [owing.number] and page.paginator.count == 1
    # A contact's records (a UNION of two reads) filter the same way.
    named = PermitFactory(street_name="Elm St")
    FeeFactory(permit=named, amount=Decimal("7.00"))
    PermitContact.objects.create(permit=named, user=user, contact_type="owner")
    page = client.get(reverse("permits:my_records"), {"fees_due": "1"}).context["page"]
    assert {p.number for p in page} == {owing.number, named.number}
    found = client.get(reverse("permits:search"), {"address": "oak", "fees_due": "on"})
    assert [p.number for p in found.context["page"]] == [owing.number]
