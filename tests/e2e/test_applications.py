"""A contractor applies for a Residential Building permit online across two sittings (a desktop,
then a phone), and the clerk accepts it at intake in admin."""

import re

import pytest
from playwright.sync_api import expect

from applications.models import Application, ApplicationStatus
from demo.seed import DEMO_PASSWORDS, seed_demo_city
from permits.models import Permit, PermitStatus
from tests.e2e.test_registration import messages_in, sign_in
from tests.e2e.test_staff_sign_in import sign_in_clerk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def test_apply_save_sign_out_resume_on_a_phone_submit_and_the_clerk_accepts(
    page,
    live_server,
    mail_folder,
    screenshot,
    tmp_path,
):
    seed_demo_city()
    site = Permit.objects.exclude(parcel_number="").order_by("number").first()
    drawings = tmp_path / "construction-drawings.pdf"
    drawings.write_bytes(PDF)
    site_plan = tmp_path / "site-plan.pdf"
    site_plan.write_bytes(PDF)
    page.set_viewport_size(DESKTOP)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server.url, "demo", DEMO_PASSWORDS["demo"])

    # The guide: the type, its documents and a fee estimate before applying.
    page.get_by_role("link", name="Apply for a Permit", exact=True).first.click()
    page.get_by_role("link", name=re.compile("^Residential Building")).first.click()
    page.get_by_label("Valuation of the work").fill("240000")
    page.get_by_role("button", name="Estimate fees").click()
    expect(page.get_by_text("Estimated total")).to_be_visible()
    screenshot(page, "apply-estimator")
    page.get_by_role("button", name="Apply for a Residential Building permit").click()

    # 1. Type is chosen; 2. Location: the city's addresses are offered as the street is typed;
    # picking one fills the ZIP and the parcel.
    expect(page.get_by_role("heading", name="2. Location")).to_be_visible()
    reference = re.search(r"A-[0-9A-Z]{8}", page.url).group(0)
    page.get_by_label("Street number").fill(site.street_number)
    street = page.get_by_label("Street name")
    street.press_sequentially(site.street_name[:6], delay=30)
    suggestions = page.locator("#address-suggestions option")
    expect(suggestions.first).to_have_attribute("value", re.compile(re.escape(site.street_name)))
    street.fill(suggestions.first.get_attribute("value"))
    expect(page.get_by_label("Parcel number")).not_to_have_value("")
    expect(street).to_have_value(re.compile(re.escape(site.street_name)))
    page.get_by_role("button", name="Save and continue").click()

    # 3. People: the license professional, the owner, and an architect by email.
    expect(page.get_by_role("heading", name="3. People")).to_be_visible()
    license_select = page.get_by_label("Business and license professional")
    license_select.select_option(index=1)
    page.get_by_label("Property owner's name").fill("Avery Quinn")
    page.get_by_label("Property owner's email").fill("avery.quinn@mail.example")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="4. Details")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^3\. People")).click()
    page.get_by_label("Contact's email").fill("architect@studio.example")
    page.get_by_label("Contact type").select_option(label="Contact")
    page.get_by_role("button", name="Add contact").click()
    expect(page.get_by_text("architect@studio.example was added as a contact.")).to_be_visible()
    page.get_by_role("button", name="Save and continue").click()

    # 4. Details: a mistake is kept as typed, shown beside its field; the amperage question
    # appears only once a new service is answered Yes.
    expect(page.get_by_role("heading", name="4. Details")).to_be_visible()
    page.get_by_role("radio", name="Addition").check()
    page.get_by_label("Describe the work").fill("One-story sunroom addition on the rear, 320 sq ft")
    page.get_by_label("Valuation of the work").fill("96,500")
    page.get_by_label("New or remodeled floor area").fill("three hundred")
    amps = page.get_by_label("New service size")
    expect(amps).to_be_hidden()
    page.locator("#new_service").get_by_role("radio", name="Yes").check()
    expect(amps).to_be_visible()
    amps.fill("200")
    page.locator("#hvac").get_by_role("radio", name="No").check()
    page.locator("#footprint").get_by_role("radio", name="No").check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Enter a number.", exact=True)).to_be_visible()
    expect(page.get_by_label("New or remodeled floor area")).to_have_value("three hundred")
    # The list of what to fix is at the top, focused, and links to the field.
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("New or remodeled floor area")
    page.get_by_label("New or remodeled floor area").fill("320")
    # A step of the list clicked with changes on the page saves them first.
    page.get_by_role("link", name=re.compile(r"^2\. Location")).click()
    expect(page.get_by_role("heading", name="2. Location")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^4\. Details")).click()
    expect(page.get_by_label("New or remodeled floor area")).to_have_value("320")
    # Save and finish later: the draft is in My Applications.
    page.get_by_role("button", name="Save and finish later").click()
    expect(
        page.get_by_text(f"Saved. Application {reference} is in My Applications")
    ).to_be_visible()
    page.get_by_role("button", name="Logout").click()
    expect(page.get_by_role("link", name="Contractor Login").first).to_be_visible()

    # The second sitting, on a phone: resume from the dashboard.
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "demo", DEMO_PASSWORDS["demo"])
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_role("link", name=f"Resume {reference}").click()
    # Back where it was left (issue 23), with what was typed.
    expect(page.get_by_role("heading", name="4. Details")).to_be_visible()
    expect(page.get_by_label("New or remodeled floor area")).to_have_value("320")
    page.get_by_role("link", name=re.compile(r"^7\. Review and Submit")).click()
    expect(page.get_by_role("heading", name="7. Review and Submit")).to_be_visible()
    missing = page.locator("#missing")
    expect(missing).to_contain_text("Site Plan")
    expect(missing).to_contain_text("Construction Drawings")
    expect(missing).not_to_contain_text("Energy Compliance")  # needed only before issuance
    page.get_by_role("checkbox").check()
    page.get_by_label("Type your full name to sign").fill("Dana Builder")
    page.get_by_role("button", name="Sign and submit").click()
    expect(page.get_by_text("Not submitted: 2 item(s) still missing")).to_be_visible()
    missing.get_by_role("link", name=re.compile("Site Plan")).click()

    # 5. Documents, uploaded from the phone.
    expect(page.get_by_role("heading", name="5. Documents")).to_be_visible()
    for name, path in (("Site Plan", site_plan), ("Construction Drawings", drawings)):
        page.get_by_label("Document", exact=True).select_option(label=name)
        page.get_by_label("File").set_input_files(str(path))
        page.get_by_role("button", name="Upload", exact=True).click()
        expect(page.get_by_text(f"{path.name} was uploaded")).to_be_visible()
    expect(page.locator(".document-checklist .badge", has_text="Missing")).to_have_count(0)
    screenshot(page, "apply-documents-phone")
    page.get_by_role("button", name="Save and continue").click()

    # 6. Fees, an estimate.
    expect(page.get_by_role("heading", name="6. Fees")).to_be_visible()
    expect(page.get_by_text("Estimated total")).to_be_visible()
    page.get_by_role("button", name="Save and continue").click()

    # 7. Review, sign and submit.
    expect(page.get_by_text("Everything the application needs is here")).to_be_visible()
    expect(page.get_by_text("One-story sunroom addition")).to_be_visible()
    expect(page.get_by_role("checkbox")).to_be_checked()  # signed in the first try, kept
    expect(page.get_by_label("Type your full name to sign")).to_have_value("Dana Builder")
    screenshot(page, "apply-review-phone")
    page.get_by_role("button", name="Sign and submit").click()
    expect(
        page.get_by_text(re.compile(r"Submitted: permit application RES\d{2}-\d{4}"))
    ).to_be_visible()

    application = Application.objects.get(reference=reference)
    permit = application.permit
    assert application.status == ApplicationStatus.SUBMITTED
    assert permit.status == PermitStatus.SUBMITTED
    assert (permit.owner_name, str(permit.valuation)) == ("Avery Quinn", "96500.00")
    assert permit.parcel_number == site.parcel_number
    snapshot = application.submissions.get().snapshot
    answers = {a["key"]: a["answer"] for part in snapshot["sections"] for a in part["answers"]}
    assert (answers["floor_area"], answers["service_amps"]) == ("320 sq ft", "200 amps")
    assert application.documents.filter(submitted=True).count() == 2
    mail = messages_in(mail_folder)
    assert mail.count(f"Application {permit.number} received") == 3
    for address in ("demo@", "avery.quinn@mail.example", "architect@studio.example"):
        assert f"To: {address}" in mail

    # The clerk: the intake queue, the snapshot and the documents, Accept for review.
    page.context.clear_cookies()
    page.set_viewport_size(DESKTOP)
    sign_in_clerk(page, live_server.url)
    page.goto(f"{live_server.url}/admin/applications/intakequeue/")
    page.get_by_role("link", name=reference).click()
    expect(
        page.get_by_role("heading", name=re.compile(f"Intake: application {reference}"))
    ).to_be_visible()
    expect(page.get_by_role("link", name="site-plan.pdf")).to_be_visible()
    screenshot(page, "apply-intake")
    page.get_by_role("button", name="Accept for review").click()
    expect(
        page.get_by_text(f"Accepted for review: permit {permit.number} is In Review")
    ).to_be_visible()
    permit.refresh_from_db()
    application.refresh_from_db()
    assert permit.status == PermitStatus.IN_REVIEW
    assert application.status == ApplicationStatus.ACCEPTED
    assert re.search(rf"Subject: .*{permit.number}.*accepted", messages_in(mail_folder), re.I)
