"""The header fits the screen (issue 23, requirements 6 and 14): a signed-in staff member's at a
1366 px laptop (it was 1,394 px wide, its Logout clipped), a contractor's with My Applications at
1366 px and in its collapsed menu on a 390 px phone; with the notifications bell (issue 24)."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from demo.seed import DEMO_PASSWORDS, seed_demo_city
from tests.e2e.test_registration import sign_in
from tests.e2e.test_staff_sign_in import sign_in_clerk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HEADER_WIDTH = "() => document.querySelector('header').scrollWidth"
PAGE_WIDTH = "() => document.documentElement.scrollWidth"
# The bell (issue 24): its name says what it is and how many are unread.
BELL = re.compile(r"^Notifications, \d+ unread$")
# Whether the element is drawn where it is and nothing covers or clips it: the point at its
# centre belongs to it.
UNCOVERED = """(e) => { const r = e.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return r.width > 0 && r.right <= window.innerWidth && (hit === e || e.contains(hit)); }"""


def header_links(page) -> list[str]:
    return [
        name.strip()
        for name in page.locator("header").get_by_role("link").all_inner_texts()
        + page.locator("header").get_by_role("button").all_inner_texts()
        if name.strip()
    ]


def assert_fits(page, width: int) -> None:
    assert page.evaluate(HEADER_WIDTH) <= width, header_links(page)
    assert page.evaluate(PAGE_WIDTH) <= width
    logout = page.locator("header").get_by_role("button", name="Logout")
    expect(logout).to_be_visible()
    logout.scroll_into_view_if_needed()
    assert logout.evaluate(UNCOVERED), "Logout is clipped or covered"


def test_the_staff_header_fits_1366_px_with_logout_on_screen(page, live_server):
    """The admin: city staff with every permission, so the most work links (Staff admin among
    them)."""
    seed_demo_city()
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in_clerk(page, live_server.url, "admin")
    for path in [reverse("permits:search"), reverse("accounts:manage"), reverse("dashboard")]:
        page.goto(live_server.url + path)
        header = page.locator("header")
        expect(header.get_by_role("link", name="Staff admin")).to_be_visible()
        # Their work's links, not a contractor's (the newcomer walk's inspector had Dashboard,
        # My Records and the cart).
        expect(header.get_by_role("link", name="Intake queue")).to_be_visible()
        expect(header.get_by_role("link", name="My reviews")).to_be_visible()
        for contractors in ["Dashboard", "My Records", "View Cart (0)"]:
            expect(header.get_by_role("link", name=contractors)).to_have_count(0)
        expect(header.get_by_role("link", name=BELL)).to_be_visible()
        assert_fits(page, 1366)


def test_the_contractor_header_fits_1366_px_and_a_phone_with_my_applications(page, live_server):
    seed_demo_city()
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server.url, "demo", DEMO_PASSWORDS["demo"])
    page.goto(live_server.url + reverse("permits:search"))
    header = page.locator("header")
    expect(header.get_by_role("link", name="My Applications")).to_be_visible()
    # The words shortened on a laptop keep their whole name for screen readers.
    expect(header.get_by_role("link", name="Account Management")).to_be_visible()
    expect(header.get_by_role("link", name="View Cart (0)")).to_be_visible()
    expect(header.get_by_role("link", name=BELL)).to_be_visible()
    assert_fits(page, 1366)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(header.get_by_role("link", name="My Applications")).to_be_hidden()
    assert page.evaluate(HEADER_WIDTH) <= 390
    header.get_by_role("button", name="Show navigation").click()
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"(^| )show( |$)"))
    expect(header.get_by_role("link", name="My Applications")).to_be_visible()
    expect(header.get_by_role("link", name=BELL)).to_be_visible()
    assert_fits(page, 390)
    header.get_by_role("link", name="My Applications").click()
    expect(page.get_by_role("heading", name="My Applications", level=1)).to_be_visible()


def test_admin_s_header_has_the_bell_and_fits_1366_px(page, live_server):
    """From the newcomer walk: staff working in admin saw no bell (a small "Notifications (n)"
    among the user links). Admin's header has the portal's bell, named with the count, on the
    header's one line at 1366 px, and opens the Notifications page."""
    from django.contrib.auth import get_user_model

    seed_demo_city()
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in_clerk(page, live_server.url, "clerk")
    page.goto(live_server.url + reverse("admin:applications_intakequeue_changelist"))
    header = page.locator("#header")
    clerk = get_user_model().objects.get(username="clerk")
    unread = clerk.notices.filter(in_portal=True, read_at__isnull=True).count()
    bell = header.get_by_role("link", name=f"Notifications, {unread} unread")
    expect(bell).to_be_visible()
    assert bell.evaluate(UNCOVERED), "the bell is clipped or covered"
    assert unread, "the demo city's clerk has submissions to take in"
    expect(bell.locator(".admin-bell-count")).to_have_text(str(unread))
    # One line: the bell sits level with the other user links, and nothing is pushed off.
    logout = header.get_by_role("button", name="Log out")
    expect(logout).to_be_visible()
    assert logout.evaluate(UNCOVERED), "Log out is clipped or covered"
    bell_box, logout_box = bell.bounding_box(), logout.bounding_box()
    assert (
        abs((bell_box["y"] + bell_box["height"] / 2) - (logout_box["y"] + logout_box["height"] / 2))
        < 6
    )
    assert bell_box["height"] >= 24  # a target a finger or a shaky hand can hit
    assert page.evaluate(PAGE_WIDTH) <= 1366
    bell.click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
