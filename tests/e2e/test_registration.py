"""A newcomer becomes a verified, approved contractor using only the portal, the mail folder and
Django admin; a colleague joins the business by PIN and is given the Pay role."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from demo.seed import DEMO_PASSWORDS, seed_demo_city
from licenses.models import Contractor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long pass phrase for permits"


def messages_in(folder: Path) -> str:
    """Every message written to the folder, each header on one line (a long subject is folded
    onto the next line when written)."""
    text = "\n".join(path.read_text() for path in sorted(folder.glob("*.log")))
    return re.sub(r"\n[ \t]+", " ", text)


def link_from_mail(folder: Path, pattern: str) -> str:
    found = re.findall(pattern, messages_in(folder))
    assert found, f"no link matching {pattern} in the mail folder"
    return found[-1]


def nav(page, name: str) -> None:
    """Follow a link in the header's main navigation."""
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name=name).click()


def sign_in(page, base_url: str, login: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("User name or email").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()


def test_a_newcomer_registers_verifies_and_is_approved(
    page, browser, live_server, mail_folder, screenshot
):
    seed_demo_city()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(live_server.url)
    page.get_by_role("link", name="Contractor Registration").click()

    # 1. Terms: cannot be skipped.
    page.get_by_role("button", name="Continue Registration").click()
    expect(page.get_by_text("to continue")).to_be_visible()
    page.get_by_label("I have read and accepted the above terms").check()
    page.get_by_role("button", name="Continue Registration").click()

    # 2. License lookup: the number as the contractor types it, without its prefix (the chosen
    # type's is meant).
    page.get_by_label("License Type").select_option(label="Electrical (EC)")
    page.get_by_label("License Number").fill("10002")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="License EC10002")).to_be_visible()
    expect(page.get_by_text("Prairie Electric Co.").first).to_be_visible()
    screenshot(page, "registration-license-lookup")
    page.get_by_role("button", name="Add to My Licenses").click()
    expect(page.get_by_text("was added to My Licenses")).to_be_visible()
    page.get_by_role("link", name="Continue").click()

    # 3. Account information, with the address auto-filled from the license's record.
    page.get_by_label("User name").fill("sparky")
    page.get_by_label("Email address").fill("sparky@example.com")
    page.get_by_label(re.compile(r"^\s*Password\*?\s*$")).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_label("First name").fill("Sam")
    page.get_by_label("Last name").fill("Sparks")
    page.get_by_label("Phone number").fill("(217) 555-0123")
    page.get_by_label("Auto-fill with").check()
    expect(page.get_by_role("textbox", name="Business address")).to_have_value("1200 E Cook St")
    screenshot(page, "registration-account")
    page.get_by_role("button", name="Submit Registration").click()
    # The page a taken address gets too: nothing here says whether it was registered before.
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    expect(page.get_by_text("Registration received")).to_be_visible()

    # The mail folder: the verification link, followed; then the newcomer signs in.
    assert "Registration received" in messages_in(mail_folder)
    verify = link_from_mail(mail_folder, r"https?://[^\s\"<>]+/accounts/confirm-email/[^\s\"<>/]+/")
    page.goto(verify)
    page.get_by_role("button", name="Confirm").click()
    sign_in(page, live_server.url, "sparky", PASSWORD)
    nav(page, "Account Management")
    expect(page.get_by_role("row", name=re.compile("EC10002"))).to_contain_text("Pending")
    page.get_by_role("button", name="Logout").click()

    # Staff approve the link in Django admin.
    staff = browser.new_context().new_page()
    staff.goto(f"{live_server.url}/admin/")
    staff.get_by_label("Username").fill("clerk")
    staff.get_by_label("Password").fill(DEMO_PASSWORDS["clerk"])
    staff.get_by_role("button", name="Log in").click()
    staff.get_by_role("link", name="License link requests").click()
    row = staff.get_by_role("row", name=re.compile("sparky"))
    expect(row).to_contain_text("Pending")
    row.get_by_role("checkbox").check()
    staff.get_by_label("Action:").select_option(label="Approve selected requests")
    staff.get_by_role("button", name="Go").click()
    expect(staff.get_by_text("Approved 1 request")).to_be_visible()
    screenshot(staff, "admin-license-links")
    assert "License EC10002 approved" in messages_in(mail_folder)

    # The contractor signs in and sees the license approved.
    sign_in(page, live_server.url, "sparky", PASSWORD)
    nav(page, "Account Management")
    expect(page.get_by_role("row", name=re.compile("EC10002"))).to_contain_text("Approved")
    expect(page.get_by_text("Verified").first).to_be_visible()
    screenshot(page, "account-management")


def test_a_colleague_joins_by_pin_and_the_manager_grants_pay(
    page, browser, live_server, screenshot
):
    seed_demo_city()
    from tests.factories import UserFactory, verify_email

    colleague = UserFactory(username="pat", first_name="Pat", last_name="Payer", password=PASSWORD)
    verify_email(colleague)
    pin = Contractor.objects.get(business_name="Lincoln Builders LLC").pin

    # The colleague associates with the business by its PIN: no roles yet.
    sign_in(page, live_server.url, "pat", PASSWORD)
    nav(page, "Account Management")
    page.get_by_role("link", name="Associate with a business").click()
    page.get_by_label("Business PIN").fill("WRONG123")
    page.get_by_role("button", name="Associate").click()
    expect(page.get_by_text("No business has that PIN")).to_be_visible()
    page.get_by_label("Business PIN").fill(pin)
    page.get_by_role("button", name="Associate").click()
    expect(page.get_by_text("You are now associated with Lincoln Builders LLC")).to_be_visible()

    # The manager (the demo contractor) sees the PIN and grants Pay.
    manager = browser.new_context().new_page()
    manager.on("dialog", lambda dialog: dialog.accept())
    sign_in(manager, live_server.url, "demo", DEMO_PASSWORDS["demo"])
    nav(manager, "Account Management")
    manager.get_by_role("link", name="Lincoln Builders LLC", exact=True).click()
    expect(manager.get_by_test_id("business-pin")).to_have_text(pin)
    roles = manager.get_by_role("form", name="Roles of Pat Payer")
    roles.get_by_label("Pay").check()
    roles.get_by_role("button", name="Save roles").click()
    expect(manager.get_by_text("Roles of Pat Payer were saved")).to_be_visible()
    screenshot(manager, "business-users")

    page.reload()
    expect(page.get_by_role("row", name=re.compile("Pat Payer"))).to_contain_text("Pay")


def test_on_a_phone_registration_errors_are_listed_first_and_lead_to_their_fields(
    page, live_server
):
    """Issue 23, requirement 14: the list of what to fix is where the phone's screen is, it is
    read first (focus moves to it), and each item leads to its field."""
    seed_demo_city()
    page.set_viewport_size({"width": 390, "height": 844})
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(live_server.url + reverse("accounts:register"))
    page.get_by_label("I have read and accepted the above terms").check()
    page.get_by_role("button", name="Continue Registration").click()
    page.get_by_label("License Type").select_option(label="Electrical (EC)")
    page.get_by_label("License Number").fill("10002")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Add to My Licenses").click()
    expect(page.get_by_text("was added to My Licenses")).to_be_visible()
    page.get_by_role("link", name="Continue").click()
    page.get_by_label("User name").fill("sparky")
    page.get_by_label("Email address").fill("sparky@example")
    page.get_by_role("button", name="Submit Registration").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    assert summary.bounding_box()["y"] < 844  # on the first screen, no scrolling
    expect(summary).to_contain_text("things to fix")
    summary.get_by_role("link", name=re.compile("^Email address")).click()
    expect(page.get_by_label("Email address")).to_be_focused()
    expect(page.get_by_label("User name")).to_have_value("sparky")  # nothing typed is lost
