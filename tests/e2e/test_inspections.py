"""The demo contractor requests an inspection online, sees it in Upcoming, and cancels it."""

import re

import pytest
from playwright.sync_api import expect

from demo.seed import DEMO_PASSWORDS, seed_demo_city
from inspections.models import Inspection
from permits.models import PermitStatus
from permits.scopes import permits_visible_to
from tests.e2e.test_registration import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def demo_permits(status):
    from django.contrib.auth import get_user_model

    demo = get_user_model().objects.get(username="demo")
    return permits_visible_to(demo).filter(status=status).order_by("number")


def test_request_view_and_cancel_an_inspection(page, live_server, screenshot):
    seed_demo_city()
    permit = next(
        p
        for p in demo_permits(PermitStatus.ISSUED)
        if not p.inspections.filter(status="scheduled").exists()
    )
    unissued = demo_permits(PermitStatus.IN_REVIEW).first()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server.url, "demo", DEMO_PASSWORDS["demo"])

    page.goto(f"{live_server.url}/permits/{permit.number}/")
    page.get_by_role("link", name="Request an Inspection").click()
    # 1. The inspection.
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name="Continue").click()
    # 2. The date: the next available day is chosen already; ask for the morning.
    expect(page.get_by_text("The next available day is")).to_be_visible()
    page.get_by_role("radio", name="AM", exact=True).check()
    screenshot(page, "inspection-date")
    page.get_by_role("button", name="Continue").click()
    # 3. Contact: changed for this inspection only.
    expect(page.get_by_text("Dana Builder")).to_be_visible()
    page.get_by_role("link", name="Change Contact").click()
    page.get_by_label("Contact name").fill("Site Boss")
    page.get_by_label("Contact phone").fill("217-555-0999")
    page.get_by_role("button", name="Continue").click()
    # 4. Notes for the inspector, and Finish.
    expect(page.get_by_text("not shown on the portal again")).to_be_visible()
    page.get_by_label("Include Additional Notes").fill("Gate code 4411; dog in the yard.")
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_text(re.compile(r"Your request number is INS-\d{6}"))).to_be_visible()
    inspection = Inspection.objects.get(permit=permit, status="scheduled")
    assert (inspection.contact_name, inspection.time_preference) == ("Site Boss", "am")
    assert inspection.request_notes == "Gate code 4411; dog in the yard."
    assert inspection.inspector is not None
    screenshot(page, "inspection-confirmation")

    # Upcoming on the permit page; cancel it.
    page.get_by_role("link", name=f"Permit {permit.number}").click()
    row = page.get_by_role("row", name=re.compile(inspection.number))
    expect(row).to_contain_text("Scheduled")
    expect(page.get_by_text("Gate code 4411")).to_have_count(0)
    row.get_by_role("button", name=f"Cancel {inspection.number}").click()
    expect(page.get_by_text(f"Inspection {inspection.number} was cancelled")).to_be_visible()
    inspection.refresh_from_db()
    assert inspection.status == "cancelled"

    # A permit that is not issued yet: the rule, in words.
    page.goto(f"{live_server.url}/inspections/request/{unissued.number}/")
    expect(page.get_by_role("alert")).to_contain_text(
        "inspections can be requested only on an issued permit"
    )
    screenshot(page, "inspection-refused")
