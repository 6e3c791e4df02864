"""The demo contractor's "Needs your action" in the browser (issue 23, from a newcomer's walk):
a Ready to Issue permit that still needs its fees and its Energy Compliance offers both Pay and
Upload; the section says how many permits its rows leave out, and each kind's total opens My
Records filtered to all of them, the one not shown among them; at a desktop's width and a
phone's."""

import re

import pytest
from playwright.sync_api import expect

from applications.models import Application
from demo.seed import DEMO_PASSWORDS, seed_demo_city
from tests.e2e.test_registration import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_permit_that_needs_action_is_reachable_with_what_it_needs(page, live_server, width):
    seed_demo_city()
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    base = live_server.url
    sign_in(page, base, "demo", DEMO_PASSWORDS["demo"])
    approved = Application.objects.get(applicant__username="demo", street_name="S Glenwood Ave")
    number = approved.permit.number
    page.goto(f"{base}/dashboard/")
    section = page.get_by_role("region", name=re.compile("^Needs your action"))

    # Its fees and its Energy Compliance, each with its button.
    row = section.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text(
        re.compile(r"Needed before issuance: the fees due, \$[\d,.]+; Energy Compliance")
    )
    pay = row.get_by_role("button", name=f"Pay Fees Due on {number}")
    upload = row.get_by_role("link", name=f"Upload Energy Compliance (REScheck) for {number}")
    for button in (pay, upload):
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTHS[width][0], (width, box)

    # What the rows leave out is said, and each kind's total lists all of its permits.
    shown = {
        text.split()[0]
        for text in section.get_by_role("rowheader").all_inner_texts()
        if re.match(r"[A-Z]{3}\d{2}-\d{4}", text)
    }
    totals = section.get_by_test_id("needs-action-totals")
    expect(totals).to_contain_text(re.compile(r"Showing \d+ of \d+\."))
    expect(totals).to_contain_text(re.compile(r"Ready to Issue: \d+ \(\d+ not shown above\)"))
    text = totals.inner_text()
    ready = int(re.search(r"Ready to Issue: (\d+)", text)[1])
    not_shown = int(re.search(r"\((\d+) not shown above\)", text)[1])
    totals.get_by_role("link", name=f"Ready to Issue: {ready}").click()
    expect(page.get_by_role("heading", name="My Records")).to_be_visible()
    expect(page.get_by_label("Needs my action")).to_have_value("ready")
    expect(page.get_by_text(f"{ready} records")).to_be_visible()
    listed = {
        label.removeprefix("Select ")
        for label in page.get_by_role(
            "checkbox", name=re.compile(r"^Select [A-Z]{3}\d{2}-\d{4}$")
        ).evaluate_all("(boxes) => boxes.map((box) => box.getAttribute('aria-label'))")
    }
    assert len(listed) == ready and len(listed - shown) == not_shown, (listed, shown)
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
