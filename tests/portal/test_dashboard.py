import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from permits.models import Collection, CollectionItem, PermitStatus
from tests.factories import (
    FeeFactory,
    InspectionFactory,
    LicenseFactory,
    PermitFactory,
    contractor_user,
)

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")


@pytest.fixture
def license():
    return LicenseFactory(holder__business_name="Lincoln Builders LLC")


def test_the_dashboard_has_three_sections_with_counts_and_a_greeting(client, license):
    user = contractor_user(license, can_manage=True)
    active = PermitFactory(status=PermitStatus.ISSUED, licenses=[license])
    PermitFactory(status=PermitStatus.IN_REVIEW, licenses=[license])
    expired = PermitFactory(
        status=PermitStatus.EXPIRED, licenses=[license], expires_on=datetime.date(2025, 5, 1)
    )
    FeeFactory(permit=expired, amount=Decimal("80.00"))
    FeeFactory(permit=active, amount=Decimal("12.50"))
    InspectionFactory(permit=active)
    InspectionFactory(permit=active, status="completed")
    PermitFactory(status=PermitStatus.ISSUED)  # not theirs
    client.force_login(user)
    response = client.get(DASHBOARD)
    text = response.text
    assert (
        "My Active Permits" in text
        and "My Active Inspections" in text
        and "My Expired Permits" in text
    )
    assert response.context["active"].paginator.count == 2
    assert response.context["inspections"].paginator.count == 1
    assert response.context["expired"].paginator.count == 1
    assert f"Welcome, {user.get_full_name()} · Lincoln Builders LLC" in text
    assert "05/01/2025" in text and "$80.00" in text and "$12.50" in text


def test_each_section_pages_on_its_own(client, license, settings):
    settings.DASHBOARD_PAGE_SIZE = 10
    user = contractor_user(license)
    for _ in range(23):
        PermitFactory(status=PermitStatus.ISSUED, licenses=[license])
    for _ in range(12):
        PermitFactory(status=PermitStatus.EXPIRED, licenses=[license])
    client.force_login(user)
    response = client.get(DASHBOARD, {"active_page": 3, "expired_page": 2})
    assert (
        response.context["active"].number == 3 and len(response.context["active"].object_list) == 3
    )
    assert (
        response.context["expired"].number == 2
        and len(response.context["expired"].object_list) == 2
    )
    assert "active_page=2" in response.text and "expired_page=1" in response.text


def test_fees_due_link_only_for_the_pay_role(client, license):
    permit = PermitFactory(status=PermitStatus.ISSUED, licenses=[license])
    FeeFactory(permit=permit, amount=Decimal("12.50"))
    client.force_login(contractor_user(license))
    assert "Pay Fees Due on" not in client.get(DASHBOARD).text
    client.force_login(contractor_user(license, can_pay=True))
    assert f"Pay Fees Due on {permit.number}" in client.get(DASHBOARD).text


def test_the_dashboard_needs_sign_in(client):
    assert client.get(DASHBOARD).status_code == 302


def make_records(
    license, count: int, status: str, fees_each: int = 3, inspections_each: int = 2
) -> list:
    permits = []
    for _ in range(count):
        permit = PermitFactory(status=status, licenses=[license])
        for _ in range(fees_each):
            FeeFactory(permit=permit)
        for _ in range(inspections_each):
            InspectionFactory(permit=permit)
        InspectionFactory(
            permit=permit,
            status="completed",
            result="passed",
            completed_on=datetime.date(2025, 1, 2),
        )
        permits.append(permit)
    return permits


def queries(client, django_assert_max_num_queries, url) -> int:
    client.get(url)  # warm: the holiday list is read through the cache
    with django_assert_max_num_queries(40) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("url_name", ["dashboard", "permits:my_records", "permits:collection"])
@pytest.mark.parametrize("status", [PermitStatus.ISSUED, PermitStatus.EXPIRED])
def test_pages_run_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, license, url_name, status
):
    """1 permit or 50, each with fees and inspections: the same queries. (Each dashboard
    section's rows are read only when it has some, so the guard keeps the sections' shape.)"""
    user = contractor_user(license, can_manage=True)
    client.force_login(user)
    collection = Collection.objects.create(owner=user, name="All")
    url = (
        reverse(url_name, args=[collection.pk])
        if url_name == "permits:collection"
        else reverse(url_name)
    )
    for permit in make_records(license, 1, status):
        CollectionItem.objects.create(collection=collection, permit=permit)
    one = queries(client, django_assert_max_num_queries, url)
    for permit in make_records(license, 49, status):
        CollectionItem.objects.create(collection=collection, permit=permit)
    fifty = queries(client, django_assert_max_num_queries, url)
    assert one == fifty, (one, fifty)
