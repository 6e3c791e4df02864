"""Issue 24, requirement 8, as a person walks it: on the Text messages page they add a mobile
number, mistype it, read the code texted to it (the offline provider's file), mistype the code,
enter it, and the number shows Verified; then they remove it. Each state of the page passes axe
at both widths and fits a phone."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from playwright.sync_api import expect

from notifications.models import PhoneNumber
from tests.e2e.test_registration import sign_in
from tests.e2e.test_security_pages import problems_of
from tests.factories import TEST_PASSWORD, UserFactory, verify_email

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_contractor_verifies_a_number_for_texts(page, live_server, settings, tmp_path):
    settings.SMS_PROVIDER = "offline"
    settings.SMS_FILE_PATH = str(tmp_path)
    cache.clear()
    user = UserFactory(username="texter")
    verify_email(user)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server.url, "texter", TEST_PASSWORD)
    page.goto(live_server.url + reverse("notifications:list"))
    page.get_by_role("link", name="Text messages").click()
    expect(page.get_by_role("heading", name="Add a mobile number")).to_be_visible()
    problems = problems_of(page, "no number")

    page.get_by_role("textbox", name=re.compile("^Mobile number")).fill("555-0123")
    page.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_text("Enter a mobile number, like (217) 555-0123")).to_be_visible()
    problems += problems_of(page, "bad number")

    page.get_by_role("textbox", name=re.compile("^Mobile number")).fill("(217) 555-0123")
    page.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_text("We texted a code to (217) 555-0123")).to_be_visible()
    expect(page.get_by_text("Not verified")).to_be_visible()
    problems += problems_of(page, "code sent")

    code = re.search(r"code is (\d{6})", next(tmp_path.iterdir()).read_text()).group(1)
    page.get_by_role("textbox", name=re.compile("^Code from the text")).fill(
        f"{(int(code) + 1) % 10**6:06d}"
    )
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code is not right. 4 tries left.")).to_be_visible()
    problems += problems_of(page, "wrong code")

    page.get_by_role("textbox", name=re.compile("^Code from the text")).fill(code)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("(217) 555-0123 is verified.")).to_be_visible()
    expect(page.get_by_text("Verified", exact=True)).to_be_visible()
    assert PhoneNumber.objects.get(user=user).verified_at is not None
    problems += problems_of(page, "verified")

    page.get_by_role("button", name="Remove this number").click()
    expect(page.get_by_text("Your mobile number was removed")).to_be_visible()
    assert not PhoneNumber.objects.filter(user=user).exists()
    assert not problems, "\n".join(problems)
