"""Issue 24, requirement 3 (and 2), walked on a phone: the bell in the header's menu, the
Notifications page, opening a notification (read, and on its permit's page), the preferences
saved; and a Manager reaching the business's defaults from Account Management."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from demo.seed import DEMO_PASSWORDS, seed_demo_city
from tests.e2e.test_registration import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BELL = re.compile(r"^Notifications, (\d+) unread$")


def tell_demo(event_type: str, permit) -> None:
    from django.contrib.auth import get_user_model

    from core.events import event_record
    from notifications.services import notify

    event = event_record(event_type, subject=permit)
    notify(
        event,
        to=[get_user_model().objects.get(username="demo")],
        permit=permit,
        template="permit_status_changed",
        context={
            "permit": permit,
            "what": event_type.split(".")[-1],
            "note": "",
            "url": reverse("permits:detail", args=[permit.number]),
        },
    )


def bell_count(page) -> int:
    bell = page.locator("header").get_by_role("link", name=BELL, include_hidden=True)
    name = bell.get_attribute("aria-label")
    return int(BELL.match(name).group(1))


def test_a_contractor_opens_a_notification_from_the_bell_on_a_phone(page, live_server):
    from notifications.models import Preference
    from permits.models import Permit

    seed_demo_city()
    permit = Permit.objects.filter(licenses__holder__business_name__icontains="Lincoln").first()
    tell_demo("permit.finaled", permit)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, "demo", DEMO_PASSWORDS["demo"])
    page.goto(live_server.url + reverse("permits:search"))
    before = bell_count(page)
    assert before >= 1
    header = page.locator("header")
    header.get_by_role("button", name="Show navigation").click()
    header.get_by_role("link", name=BELL).click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    page.get_by_role("link", name=re.compile(rf"Permit {permit.number} finaled")).click()
    expect(page).to_have_url(re.compile(re.escape(reverse("permits:detail", args=[permit.number]))))
    assert bell_count(page) == before - 1

    page.goto(live_server.url + reverse("notifications:list"))
    page.get_by_role("link", name="Notification preferences").click()
    page.get_by_label("Permit status and expiry: Email").select_option(label="Daily digest")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Your notification preferences were saved.")).to_be_visible()
    assert list(Preference.objects.values_list("group", "channel", "timing")) == [
        ("permits", "email", "digest")
    ]
    expect(page.get_by_label("Permit status and expiry: Email")).to_have_value("digest")


def test_a_manager_sets_the_business_defaults_from_account_management(page, live_server):
    from notifications.models import BusinessDefault

    seed_demo_city()
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server.url, "demo", DEMO_PASSWORDS["demo"])
    page.goto(live_server.url + reverse("accounts:manage"))
    page.get_by_role("link", name="Notification defaults for Lincoln Builders LLC").click()
    expect(
        page.get_by_role("heading", name="Notification defaults for Lincoln Builders LLC")
    ).to_be_visible()
    page.get_by_label("Fees and payments: Text message").select_option(label="At once")
    page.get_by_role("button", name="Save defaults").click()
    expect(page.get_by_text("were saved")).to_be_visible()
    assert list(BusinessDefault.objects.values_list("group", "channel", "timing")) == [
        ("fees", "sms", "now")
    ]
    # Each line says where its value comes from, read with its choice; texts have no digest.
    texts = page.get_by_label("Fees and payments: Text message")
    expect(texts).to_have_accessible_description("Chosen for the business")
    expect(texts.locator("option")).to_have_text(["At once", "Off"])
    expect(page.get_by_label("Fees and payments: In the portal").locator("option")).to_have_text(
        ["On", "Off"]
    )
    # The Manager's own page: the business's default, marked as such, until they choose.
    page.goto(live_server.url + reverse("notifications:preferences"))
    mine = page.get_by_label("Fees and payments: Text message")
    expect(mine).to_have_value("now")
    expect(mine).to_have_accessible_description(
        re.compile(r"Business default \(Lincoln Builders LLC\)$")
    )
    mine.select_option(label="Off")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_label("Fees and payments: Text message")).to_have_accessible_description(
        re.compile(r"Your choice$")
    )
