"""Issue 23, requirements 5 and 6, in the browser: the demo inspector signs in on a 390 px
phone (password and authenticator code), lands on My stops, opens today's stop, records a
failed result and requests the re-inspection with its fee; My stops and the stop page pass axe
and fit the phone; admin's inspection list fits 1366 px."""

import json
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from demo.seed import DEMO_PASSWORDS, load_city, seed_demo_city
from inspections.models import Inspection, Inspector
from permits.models import Permit, PermitStatus
from tests.e2e.test_accessibility import AXE, RUN_AXE, WIDER_THAN_THE_SCREEN
from tests.e2e.test_staff_sign_in import current_code, password_step
from tests.factories import InspectionFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def staff_need_mfa(settings):
    settings.STAFF_REQUIRE_MFA = True


def todays_stop() -> Inspection:
    """A stop of today on the demo inspector's day, on an issued permit without an open one."""
    from inspections.selectors import inspection_types_for

    inspector = Inspector.objects.get(user__username="inspector1")
    permit = next(
        p
        for p in Permit.objects.filter(status=PermitStatus.ISSUED).order_by("number")
        if not p.inspections.filter(status="scheduled").exists()
    )
    kind = inspection_types_for(permit.permit_type_id).filter(is_final=False).first()
    kind.reinspection_fee = "75.00"
    kind.save()
    return InspectionFactory(
        permit=permit,
        inspection_type=kind,
        inspector=inspector,
        scheduled_for=timezone.localdate(),
        time_preference="am",
        contact_name="Site Boss",
        contact_phone="(217) 555-0199",
        request_notes="Gate code 4411",
    )


def axe_problems(page, where: str) -> list[str]:
    page.evaluate(AXE)
    problems = [f"{where}: {json.dumps(v)}" for v in page.evaluate(RUN_AXE)]
    if (wider := page.evaluate(WIDER_THAN_THE_SCREEN)) > 0:
        problems.append(f"{where}: {wider}px wider than the screen")
    return problems


def test_an_inspector_records_a_failed_result_from_my_stops_on_a_phone(page, live_server):
    seed_demo_city()
    stop = todays_stop()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    password_step(page, "inspector1", DEMO_PASSWORDS["inspector1"])
    page.get_by_label("Code").fill(current_code(load_city()["staff_authenticator_key"]))
    page.get_by_role("button", name="Sign In").click()
    # Landed on My stops, not the contractor dashboard.
    expect(page.get_by_role("heading", name="My stops", exact=True)).to_be_visible()
    problems = axe_problems(page, "My stops")
    card = page.locator(".stop-card", has_text=stop.number)
    expect(card.get_by_role("link", name=stop.permit.number)).to_be_visible()
    expect(card.get_by_role("link", name="(217) 555-0199")).to_be_visible()
    # The header's link, behind the phone's menu button.
    page.get_by_role("button", name="Show navigation").click()
    page.get_by_role("link", name="My stops").click()
    page.get_by_role("link", name=f"Record the result of {stop.number}").click()
    expect(page.get_by_text("Gate code 4411")).to_be_visible()
    problems += axe_problems(page, "stop")
    page.get_by_role("radio", name="Failed").check()
    page.get_by_label("Comments for the contractor").fill("Missing hold-downs at the east wall.")
    page.get_by_role("button", name="Record result").click()
    expect(page.get_by_text(f"{stop.number}: Failed recorded.")).to_be_visible()
    problems += axe_problems(page, "failed stop")
    page.get_by_role("button", name="Request re-inspection ($75.00)").click()
    expect(page.get_by_text(re.compile(r"Re-inspection INS-\d{6} requested for"))).to_be_visible()
    again = Inspection.objects.get(reinspection_of=stop)
    assert again.status == "scheduled" and again.inspection_type == stop.inspection_type
    assert stop.permit.fees.filter(description="Re-inspection Fee", amount="75.00").exists()
    # Admin's inspection list fits a 1366 px screen.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/admin/inspections/inspection/")
    expect(page.get_by_role("link", name=again.number)).to_be_visible()
    assert page.evaluate(WIDER_THAN_THE_SCREEN) <= 0, "admin's inspection list scrolls sideways"
    # Nor does its table scroll inside its box (the status column was off the screen).
    box = page.evaluate(
        "(() => { const r = document.querySelector('#changelist .results');"
        " return [r.scrollWidth, r.clientWidth]; })()"
    )
    assert box[0] <= box[1], f"admin's inspection table is {box[0]} px in {box[1]}"
    assert not problems, "\n".join(problems)
