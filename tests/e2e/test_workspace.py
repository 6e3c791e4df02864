"""The demo contractor's workspace: dashboard, collections, and a document upload."""

import re

import pytest
from playwright.sync_api import expect

from demo.seed import DEMO_PASSWORDS, seed_demo_city
from permits.models import Collection, PermitDocument
from tests.e2e.test_registration import nav, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_the_demo_contractor_works_with_their_permits(page, live_server, tmp_path, screenshot):
    seed_demo_city()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server.url, "demo", DEMO_PASSWORDS["demo"])

    # The dashboard, right after sign-in.
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    for section in ("My Active Permits", "My Active Inspections", "My Expired Permits"):
        expect(page.get_by_role("heading", name=re.compile(section))).to_be_visible()
    expect(page.get_by_text("Lincoln Builders LLC").first).to_be_visible()
    screenshot(page, "dashboard")

    # Three permits from My Records into a new collection.
    nav(page, "My Records")
    boxes = page.get_by_role("checkbox", name=re.compile(r"^Select [A-Z]{3}\d{2}-\d{4}$"))
    numbers = []
    for index in range(3):
        box = boxes.nth(index)
        numbers.append(box.get_attribute("aria-label").removeprefix("Select "))
        box.check()
    page.get_by_role("button", name="Add to Collection").click()
    page.get_by_label("Or create a new collection named").fill("Cook St jobs")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_text("3 permits added to “Cook St jobs”")).to_be_visible()
    for number in numbers:
        expect(page.get_by_role("link", name=number)).to_be_visible()

    # A second collection, and one permit moved into it.
    nav(page, "Collections (1)")
    page.get_by_label("Collection name").fill("Follow-up")
    page.get_by_role("button", name="New collection").click()
    page.get_by_role("link", name="Cook St jobs").click()
    page.get_by_role("checkbox", name=f"Select {numbers[0]}").check()
    page.get_by_label("Collection to move or copy to").select_option(label="Follow-up")
    page.get_by_role("button", name="Move to...").click()
    expect(page.get_by_text("1 permit moved to “Follow-up”")).to_be_visible()
    expect(page.get_by_role("link", name=numbers[0])).to_have_count(0)
    screenshot(page, "collection")

    # Rename one, delete the other.
    page.get_by_label("New name").fill("Cook St (active)")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", name="Cook St (active)")).to_be_visible()
    nav(page, "Collections (2)")
    page.get_by_role("button", name="Delete Follow-up").click()
    expect(page.get_by_text("Collection “Follow-up” was deleted")).to_be_visible()
    assert list(Collection.objects.values_list("name", flat=True)) == ["Cook St (active)"]

    # Upload a PDF to a permit.
    pdf = tmp_path / "framing-plan.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.get_by_role("link", name="Cook St (active)").click()
    page.get_by_role("link", name=numbers[1]).click()
    expect(page.get_by_text("One of your records")).to_be_visible()
    page.get_by_label("Upload Files").set_input_files(str(pdf))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_text("framing-plan.pdf was uploaded")).to_be_visible()
    expect(page.get_by_role("link", name="framing-plan.pdf")).to_be_visible()
    screenshot(page, "permit-private")
    assert PermitDocument.objects.get(original_name="framing-plan.pdf").permit.number == numbers[1]


def test_the_signed_in_navigation_fits_a_1280_pixel_laptop(page, live_server):
    seed_demo_city()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server.url, "demo", DEMO_PASSWORDS["demo"])
    page.goto(f"{live_server.url}/dashboard/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    expect(page.get_by_role("button", name="Logout")).to_be_visible()
