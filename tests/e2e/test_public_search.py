"""An anonymous visitor finds a permit by its address and reads its fees, in a real browser."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.factories import FeeFactory, InspectionFactory, LicenseFactory, PermitFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def city():
    license = LicenseFactory(number="EC10001", holder__business_name="Prairie Electric Co.")
    permit = PermitFactory(
        number="ELE25-0150",
        permit_type__code="ELE",
        street_number="1200",
        street_name="E Cook St",
        description="200A service upgrade",
        applied_on=datetime.date.today() - datetime.timedelta(days=1),
        licenses=[license],
    )
    FeeFactory(permit=permit, description="Building Permit Fee", amount=Decimal("312.50"))
    FeeFactory(permit=permit, description="Technology Fee", amount=Decimal("15.00"), status="paid")
    InspectionFactory(permit=permit, result_comments="")
    for n in range(30):
        PermitFactory(street_name="E Cook St", street_number=str(1300 + n))
    PermitFactory(street_name="W Monroe St")
    return permit


def test_a_visitor_searches_by_address_and_reads_a_permits_fees(
    page, live_server, city, screenshot
):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url)
    screenshot(page, "home")
    page.get_by_role("link", name="Search Permits").first.click()
    expect(page.get_by_role("heading", name="Search Permits")).to_be_visible()

    page.get_by_label("Address").fill("1200 e cook")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 permit found")).to_be_visible()

    page.get_by_label("Address").fill("cook st")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="31 permits found")).to_be_visible()
    expect(page.get_by_role("navigation", name="Result pages")).to_be_visible()
    screenshot(page, "search-results")

    page.get_by_role("link", name="ELE25-0150").click()
    expect(page.get_by_role("heading", name="Permit ELE25-0150")).to_be_visible()
    fees = page.get_by_role("table", name="Fees assessed on permit ELE25-0150")
    expect(fees.get_by_role("row", name="Building Permit Fee")).to_contain_text("$312.50")
    expect(page.get_by_test_id("fees-due")).to_have_text("$312.50")
    expect(page.get_by_text("Prairie Electric Co.")).to_be_visible()
    screenshot(page, "permit-detail")


def test_bad_dates_show_a_message_in_the_browser(page, live_server, city):
    page.goto(f"{live_server.url}/permits/search/")
    page.get_by_label("Applied from").fill("2025-05-01")
    page.get_by_label("Applied to").fill("2025-01-01")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("alert")).to_contain_text("is after the")


def test_the_search_page_works_on_a_phone(page, live_server, city, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/permits/search/?address=cook")
    # The navigation folds behind its button and opens from the keyboard.
    toggle = page.get_by_role("button", name="Show navigation")
    expect(toggle).to_be_visible()
    toggle.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Search Permits").first).to_be_visible()
    # No sideways scrolling of the page itself.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    screenshot(page, "search-phone")


def test_the_skip_link_takes_a_keyboard_user_to_the_content(page, live_server, city):
    page.goto(live_server.url)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
