"""The whole review loop in the browser (issue 15, requirement 10): the clerk accepts demo's
submitted application; Building approves, Zoning asks for corrections; the contractor answers and
uploads version 2 of the site plan, and resubmits; Zoning approves with a condition; the fees are
assessed and paid from the trust account; the dashboard says the energy compliance is still
needed (at its top, in "Needs your action") and its Upload button's form, on the permit page, issues the permit (issue 23); the
contractor answers the condition on the permit page and the clerk marks it met from the Answered
conditions queue; its card downloads and the QR code's page says Issued."""

import re

import pytest
from playwright.sync_api import expect

from applications.models import Application, ApplicationDocument
from demo.seed import DEMO_PASSWORDS, seed_demo_city
from permits.models import PermitStatus
from reviews.models import ReviewCycle
from tests.e2e.test_registration import sign_in
from tests.e2e.test_staff_sign_in import sign_in_clerk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DESKTOP = {"width": 1280, "height": 900}


def staff(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    sign_in_clerk(page, base, username)


def contractor(page, base: str) -> None:
    page.context.clear_cookies()
    sign_in(page, base, "demo", DEMO_PASSWORDS["demo"])
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def open_review(page, base: str, discipline: str, permit_number: str) -> None:
    page.goto(f"{base}/admin/reviews/myreview/")
    row = page.get_by_role("row", name=re.compile(discipline)).filter(has_text=permit_number)
    row.get_by_role("link").first.click()
    expect(page.locator("#review-heading")).to_contain_text(f"{discipline} review")


def test_apply_review_correct_approve_pay_issue_and_check_the_card(
    page, live_server, screenshot, tmp_path
):
    seed_demo_city()
    base = live_server.url
    application = Application.objects.get(street_name="S Walnut St")
    number = application.permit.number
    page.set_viewport_size(DESKTOP)
    page.on("dialog", lambda dialog: dialog.accept())

    # Intake: the clerk accepts; cycle 1 opens with Building and Zoning.
    staff(page, base, "clerk")
    page.goto(f"{base}/admin/applications/intakequeue/")
    page.get_by_role("link", name=application.reference).click()
    page.get_by_role("button", name="Accept for review").click()
    expect(page.get_by_text(f"Accepted for review: permit {number} is In Review")).to_be_visible()

    # Building approves.
    staff(page, base, "plans")
    open_review(page, base, "Building", number)
    screenshot(page, "review-reviewer")
    # The reviewer's work (the comments inline, its empty row included) fits a 1366 px laptop:
    # it was 1,869 px wide, the comment's text cut and its response off the screen.
    page.set_viewport_size({"width": 1366, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_text("The Building review is Approved.")).to_be_visible()

    # Zoning writes a correction and asks for it.
    staff(page, base, "zoning")
    open_review(page, base, "Zoning", number)
    page.get_by_text("Add another Review comment").click()
    page.locator("#id_comments-0-reference").fill("Sheet A-1")
    page.locator("#id_comments-0-text").fill("Show the deck's distance to the rear lot line.")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    page.get_by_role("button", name="Request Corrections").click()
    expect(page.get_by_text("That was the cycle's last review")).to_be_visible()

    # The contractor: Reviews, Corrections, a response and version 2 of the site plan.
    contractor(page, base)
    page.goto(f"{base}/permits/{number}/")
    page.get_by_role("link", name="Reviews").click()
    expect(page.get_by_text("1 item still needs your response.")).to_be_visible()
    screenshot(page, "reviews-tab")
    page.get_by_role("link", name="Corrections").click()
    page.get_by_label(re.compile("Your response")).fill("Added on A-1: 26 ft to the rear line.")
    page.get_by_role("button", name="Save responses").click()
    expect(page.get_by_text("Your responses are saved.")).to_be_visible()
    revised = tmp_path / "site-plan-rev2.pdf"
    revised.write_bytes(PDF)
    page.get_by_label("This file is").select_option(
        label="A new version of site-plan.pdf (Site Plan)"
    )
    page.locator("#id_file").set_input_files(str(revised))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("site-plan-rev2.pdf was uploaded as version 2")).to_be_visible()
    screenshot(page, "corrections")
    page.get_by_role("button", name="Resubmit").click()
    expect(page.get_by_text("Resubmitted: review cycle 2 has started.")).to_be_visible()
    assert ReviewCycle.objects.filter(application=application).count() == 2
    assert ApplicationDocument.objects.get(original_name="site-plan-rev2.pdf").version == 2

    # Zoning approves cycle 2 with a condition.
    staff(page, base, "zoning")
    open_review(page, base, "Zoning", number)
    page.get_by_text("Add another Review condition").click()
    page.locator("#id_conditions-0-text").fill("Deck stays 5 ft from the alley easement.")
    page.get_by_role("button", name="Save and continue editing").click()
    page.get_by_role("button", name="Approve with Conditions").click()
    expect(page.get_by_text("The Zoning review is Approved with Conditions.")).to_be_visible()
    application.permit.refresh_from_db()
    assert application.permit.status == PermitStatus.READY_TO_ISSUE

    # The contractor: the fees from the trust account; the permit page then says what it still
    # needs (issue 23), and its Upload button and the page's own Upload Files issue it.
    contractor(page, base)
    page.goto(f"{base}/permits/{number}/")
    page.get_by_role("button", name="Pay Fees Due").click()
    page.goto(f"{base}/payments/cart/")
    page.get_by_role("link", name="Checkout").click()
    page.get_by_label(re.compile("Trust Account")).check()
    page.get_by_role("button", name="Pay").click()
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name=re.compile(r"Receipt R\d{4}-\d{7}"))).to_be_visible()
    application.permit.refresh_from_db()
    assert application.permit.status == PermitStatus.READY_TO_ISSUE  # paid, a document missing
    page.goto(f"{base}/dashboard/")
    # At the top of the dashboard, "Needs your action" (issue 23), as in My Active Permits.
    for section in ("Needs your action", "My Active Permits"):
        row = (
            page.get_by_role("region", name=re.compile(f"^{section}"))
            .get_by_role("row")
            .filter(has_text=number)
        )
        expect(row).to_contain_text("Needed before issuance: Energy Compliance (REScheck)")
    row.get_by_role("link", name=re.compile("Upload Energy Compliance")).click()
    expect(page.get_by_label("This file is")).to_have_value("Energy Compliance (REScheck)")
    energy = tmp_path / "rescheck.pdf"
    energy.write_bytes(PDF)
    page.locator("#id_file").set_input_files(str(energy))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(
        page.get_by_text("was uploaded as the Energy Compliance (REScheck). The permit is issued.")
    ).to_be_visible()
    application.permit.refresh_from_db()
    assert application.permit.status == PermitStatus.ISSUED

    # The condition: on the permit page, answered online; the clerk marks it met in the queue.
    page.get_by_role("link", name=re.compile("^Answer")).click()
    page.get_by_label("How the condition is met").fill("Alley side kept clear: see the survey.")
    survey = tmp_path / "survey.pdf"
    survey.write_bytes(PDF)
    page.get_by_label("Document (optional)").set_input_files(str(survey))
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_text("Your answer is sent")).to_be_visible()
    expect(page.locator("#conditions")).to_contain_text("Answered")
    staff(page, base, "clerk")
    page.goto(f"{base}/admin/reviews/answeredcondition/")
    page.get_by_role("row").filter(has_text="Alley side kept clear").get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option("mark_met")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("1 condition(s) marked met.")).to_be_visible()
    contractor(page, base)
    page.goto(f"{base}/permits/{number}/")
    expect(page.locator("#conditions")).to_contain_text("Met")

    # The permit card, and the page its QR code opens.
    page.goto(f"{base}/permits/{number}/")
    card_link = page.get_by_role("link", name=re.compile(r"Permit card \(Rev \d+, PDF\)"))
    expect(card_link).to_be_visible()
    screenshot(page, "permit-issued")
    response = page.request.get(base + card_link.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")
    page.context.clear_cookies()
    page.goto(f"{base}/permits/verify/{application.permit.check_code}/")
    expect(page.locator(".badge", has_text="Issued")).to_have_text("Issued")
    expect(page.get_by_text("Deck stays 5 ft from the alley easement.")).to_be_visible()
    screenshot(page, "permit-check")
