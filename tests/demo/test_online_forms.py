"""Requirement 10 of issue 23: the demo city's guide lists all seven permit types, and
Commercial, Demolition, Mechanical and Plumbing are open online with their own questions,
documents and fee schedules."""

import re

import pytest
from django.urls import reverse

from applications.models import Application
from demo.seed import load_city, seed_demo_city
from licenses.models import License
from permits.models import PermitType
from tests.factories import contractor_user

pytestmark = pytest.mark.django_db

# Each newly opened type: questions and documents its page must show, estimator answers, and
# the total the city's schedule gives for them.
OPENED = {
    "COM": (
        ["Occupancy group", "Is the building protected by an automatic sprinkler system?"],
        ["Sealed Construction Drawings", "Energy Compliance (COMcheck)"],
        {"q_valuation": "200000", "q_fire_alarm": "Yes"},
        # 1,370 + 100 x 8 building; 200 x 3.25 plan review; 125 fire alarm; 4.50.
        "$2,949.50",
    ),
    "DEM": (
        [
            "Has a licensed asbestos inspector surveyed the structure?",
            "Have the gas, electric and water utilities disconnected their services?",
        ],
        ["Asbestos Survey Report", "Utility Disconnect Letters"],
        {"q_floor_area": "1800", "q_sewer_cap": "Yes"},
        # 1,800 sq ft x 0.10; 75 sewer cap; 4.50.
        "$259.50",
    ),
    "MEC": (
        ["Equipment installed or replaced", "Total cooling capacity"],
        ["Equipment Specification Sheets", "Load Calculation (Manual J)"],
        {"q_appliances": "2", "q_cooling": "Yes", "q_tonnage": "3", "q_gas_piping": "Yes"},
        # 45 base; 2 x 15 appliances; 3 tons x 10; 35 gas piping; 4.50.
        "$144.50",
    ),
    "PLM": (
        ["Fixtures installed", "Is a water heater installed or replaced?"],
        ["Plumbing Riser Diagram", "Backflow Preventer Test Report"],
        {"q_fixtures": "6", "q_water_heater": "Yes", "q_sewer_water": "No", "q_backflow": "Yes"},
        # 45 base; 6 x 12 fixtures; 40 water heater; 30 backflow; 4.50.
        "$191.50",
    ),
}


def test_the_guide_lists_every_type_of_the_demo_city_and_four_more_are_open_online(client):
    seed_demo_city()
    assert PermitType.objects.count() == len(load_city()["permit_types"]) == 7
    page = client.get(reverse("applications:guide")).content.decode()
    for permit_type in PermitType.objects.all():
        assert reverse("applications:type", args=[permit_type.code]) in page, permit_type.name
    # All seven are open online, so none is sent to the office.
    assert 'id="offline-types"' not in page

    for code, (questions, documents, answers, total) in OPENED.items():
        type_page = client.get(reverse("applications:type", args=[code]), answers)
        assert type_page.status_code == 200, code
        text = type_page.content.decode()
        for label in questions + documents:
            assert label in text, (code, label)
        assert re.search(r'data-testid="estimated-total">\$[\d,.]+<', text)
        assert f'data-testid="estimated-total">{total}<' in text, code
        assert "(so far)" not in text, code

        # Someone with Apply at a business whose license may apply for the type.
        license = License.objects.filter(
            license_type__in=PermitType.objects.get(code=code).license_types.all()
        ).first()
        applicant = contractor_user(license, can_apply=True)
        client.force_login(applicant)
        response = client.post(reverse("applications:start", args=[code]))
        application = Application.objects.filter(
            applicant=applicant, template__permit_type__code=code
        ).get()
        assert response.url == reverse(
            "applications:step", args=[application.reference, "location"]
        )
        details = client.get(reverse("applications:step", args=[application.reference, "details"]))
        assert details.status_code == 200
        for label in questions:
            assert label in details.content.decode(), (code, label)
        client.logout()


def test_the_opened_types_are_reviewed_by_a_discipline_with_a_reviewer():
    from reviews.models import ReviewDiscipline

    seed_demo_city()
    for code in OPENED:
        disciplines = ReviewDiscipline.objects.filter(permit_types__code=code)
        assert disciplines.exists(), code
        for discipline in disciplines:
            assert discipline.group.user_set.filter(is_staff=True).exists(), discipline.name


def test_plan_reviewers_have_comment_reasons_to_choose_from():
    from reviews.models import ReviewReason

    seed_demo_city()
    reasons = set(ReviewReason.objects.filter(active=True).values_list("name", flat=True))
    assert reasons == set(load_city()["review_reasons"])
    assert {"Setback", "Missing dimension", "Code section"} <= reasons


def test_every_inspection_type_of_the_demo_city_has_its_re_inspection_fee():
    from decimal import Decimal

    from inspections.models import InspectionType

    seed_demo_city()
    fees = set(InspectionType.objects.values_list("reinspection_fee", flat=True))
    assert fees == {Decimal("75.00")}


def test_each_demo_inspector_has_a_stop_today_to_result():
    """A newcomer signing in as an inspector finds a stop due today (a result is refused
    before the inspection's day), so My stops' results and re-inspection can be tried."""
    import datetime

    from django.utils import timezone

    from inspections.models import Holiday, Inspection
    from inspections.scheduling import is_business_day

    seed_demo_city()
    today = timezone.localdate()  # or, seeded on a day nobody inspects, the next working day
    holidays = set(Holiday.objects.values_list("date", flat=True))
    while not is_business_day(today, holidays):
        today += datetime.timedelta(days=1)
    for username in ("inspector1", "inspector2"):
        assert Inspection.objects.filter(
            inspector__user__username=username, scheduled_for=today, status="scheduled"
        ).exists(), username


def test_the_returned_demo_application_says_when_it_was_returned():
    from applications.models import Submission

    seed_demo_city()
    returned = Submission.objects.get(application__street_name="E Lawrence Ave")
    assert returned.reasons and returned.decided_at is not None
