"""A search by one license's number reads that license's rows in date order on PostgreSQL
(permits.selectors.license_search_rows): the same permits, total and order as the general
search, without sorting every match."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from permits.models import PermitStatus
from permits.scopes import permits_visible_to
from permits.selectors import PermitSearch, license_search_rows, permit_search
from tests.factories import (
    LicenseFactory,
    LicenseTypeFactory,
    PermitFactory,
    PermitTypeFactory,
    contractor_user,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SEARCH = reverse("permits:search")


@pytest.fixture
def licensed(settings):
    settings.PERMIT_SEARCH_PAGE_SIZE = 4
    today = timezone.localdate()
    license = LicenseFactory(number="EC40001")
    other = LicenseFactory(number="PC40002", license_type=LicenseTypeFactory(prefix="PC"))
    commercial = PermitTypeFactory(code="COM", name="Commercial")
    for days in (0, 3, 3, 3, 10, 30, 200, 400, 2000):
        PermitFactory(licenses=[license], applied_on=today - datetime.timedelta(days=days))
    PermitFactory(licenses=[license, other], status=PermitStatus.EXPIRED, applied_on=today)
    PermitFactory(licenses=[license], permit_type=commercial, applied_on=today)
    PermitFactory(licenses=[other], applied_on=today)
    return license, commercial


def numbers_of(page) -> list[str]:
    return [permit.number for permit in page.object_list]


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"status": "expired"},
        {"permit_type": "COM"},
        {"applied_from": "", "applied_to": ""},
        {"applied_to": (timezone.localdate() - datetime.timedelta(days=5)).isoformat()},
    ],
)
def test_the_license_rows_agree_with_the_general_search_page_by_page(client, licensed, extra):
    license, _ = licensed
    params = {"license_number": license.number, **extra}
    first = client.get(SEARCH, params)
    total = first.context["page"].paginator.count
    assert total, "the search should find something for this test to mean anything"
    for number in range(1, (total - 1) // 4 + 2):
        page = client.get(SEARCH, {**params, "page": number}).context["page"]
        form = page_form(client, params)
        general = list(permit_search(search=form)[(number - 1) * 4 : number * 4])
        assert page.paginator.count == permit_search(search=form).count() == total
        assert numbers_of(page) == [permit.number for permit in general]


def page_form(client, params) -> PermitSearch:
    response = client.get(SEARCH, params)
    return response.context["form"].to_search()


def test_the_search_page_reads_the_license_rows(client, licensed):
    license, _ = licensed
    form = page_form(client, {"license_number": license.number})
    assert license_search_rows(search=form) is not None
    # Without its prefix the number could be any type's, and name several licenses.
    assert license_search_rows(search=page_form(client, {"license_number": "40001"})) is None


def test_my_records_only_is_implied_for_my_own_license(client, licensed):
    license, _ = licensed
    user = contractor_user(license)
    client.force_login(user)
    response = client.get(SEARCH, {"license_number": license.number})
    form = response.context["form"]
    assert form.cleaned_data["mine"]
    search = form.to_search(within=permits_visible_to(user))
    assert license_search_rows(search=search, record_license_ids=frozenset({license.pk}))
    assert response.context["page"].paginator.count == 10  # three years back by default
    # Someone else's license within my records: the general search intersects them.
    assert license_search_rows(search=search, record_license_ids=frozenset()) is None


def test_an_address_too_takes_the_general_search(client, licensed):
    license, _ = licensed
    with_address = page_form(client, {"license_number": license.number, "address": "oak"})
    assert license_search_rows(search=with_address) is None


def test_a_license_nobody_holds_finds_nothing(client, licensed):
    response = client.get(SEARCH, {"license_number": "EC99999"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
