from decimal import Decimal

import pytest
from django.urls import reverse

from inspections.models import InspectionResult, InspectionStatus
from tests.factories import (
    ContractorFactory,
    FeeFactory,
    InspectionFactory,
    LicenseFactory,
    PermitFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def permit():
    holder = ContractorFactory(
        business_name="Prairie Electric Co.", phone="(217) 555-0172", email="secret@prairie.example"
    )
    license = LicenseFactory(number="EC10001", holder=holder)
    permit = PermitFactory(number="RES24-0150", description="Rewire dwelling", licenses=[license])
    FeeFactory(permit=permit, description="Building Permit Fee", amount=Decimal("312.50"))
    FeeFactory(
        permit=permit, description="Plan Review Fee", amount=Decimal("109.38"), status="paid"
    )
    InspectionFactory(
        permit=permit,
        inspection_type__name="Framing",
        status=InspectionStatus.COMPLETED,
        result=InspectionResult.FAILED,
        result_comments="Missing nail plates at the kitchen wall.",
        inspector_notes="Dog in yard; owner hostile. Private.",
    )
    return permit


def test_the_public_detail_page_shows_the_permit(client, permit):
    response = client.get(reverse("permits:detail", args=["res24-0150"]))
    assert response.status_code == 200
    text = response.text
    for expected in (
        "RES24-0150",
        "Residential Building",
        "Issued",
        "Rewire dwelling",
        "Oak St",
        "Prairie Electric Co.",
        "EC10001",
        "Building Permit Fee",
        "$312.50",
        "Plan Review Fee",
        "$421.88",  # total assessed
        "Framing",
        "Failed",
        "Missing nail plates at the kitchen wall.",
    ):
        assert expected in text, expected
    assert response.context["totals"].due == Decimal("312.50")


def test_nothing_private_on_the_public_page(client, permit):
    text = client.get(reverse("permits:detail", args=[permit.number])).text
    assert "Dog in yard" not in text  # inspector notes
    assert "555-0172" not in text  # the contractor's phone
    assert "secret@prairie.example" not in text


def test_nothing_private_in_search_results_or_csv(client, permit):
    text = client.get(reverse("permits:search"), {"address": "oak"}).text
    csv_body = b"".join(
        client.get(reverse("permits:search_csv"), {"address": "oak"}).streaming_content
    ).decode()
    for body in (text, csv_body):
        assert "Dog in yard" not in body
        assert "555-0172" not in body


def test_the_detail_page_runs_a_fixed_number_of_queries(client, django_assert_num_queries, permit):
    url = reverse("permits:detail", args=[permit.number])
    client.get(url)  # warm up anything cached per process
    with django_assert_num_queries(5) as small:
        client.get(url)
    big = PermitFactory(number="RES24-0999", licenses=[LicenseFactory(), LicenseFactory()])
    for n in range(40):
        FeeFactory(permit=big, description=f"Fee {n}")
        InspectionFactory(permit=big)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("permits:detail", args=[big.number]))
    assert response.text.count("Fee 3") >= 10
