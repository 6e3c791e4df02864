"""Issue 25, requirements 3 and 8: the language switch, in a browser. On every page, at a phone's
width and a laptop's, reachable and named by the language it offers; the choice keeps the same
address and stays for the next page and the next sign-in; the French header still fits; axe finds
nothing serious in French; the scripts' catalogue loads under the Content Security Policy."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import expect

from demo.seed import DEMO_PASSWORDS, seed_demo_city
from tests.e2e.test_accessibility import AXE, RUN_AXE, WIDER_THAN_THE_SCREEN, WIDTHS
from tests.e2e.test_header import HEADER_WIDTH, UNCOVERED
from tests.e2e.test_registration import sign_in
from tests.e2e.test_staff_sign_in import sign_in_clerk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def axe_problems(page, what: str) -> list[str]:
    page.evaluate(AXE)
    return [f"{what}: {json.dumps(violation)}" for violation in page.evaluate(RUN_AXE)]


def test_a_visitor_switches_to_french_on_a_phone_and_stays_on_the_same_page(page, live_server):
    seed_demo_city()
    page.set_viewport_size({"width": 390, "height": 844})
    search = f"{live_server.url}{reverse('permits:search')}?address=wabash"
    page.goto(search)
    switch = page.get_by_role("button", name="Français")
    expect(switch).to_be_visible()  # not hidden in the collapsed menu
    assert switch.evaluate(UNCOVERED)
    assert switch.bounding_box()["height"] >= 24  # WCAG 2.2 target size
    assert switch.get_attribute("lang") == "fr-ca"
    switch.click()
    page.wait_for_url(search)
    expect(page.locator("html")).to_have_attribute("lang", "fr-ca")
    expect(page.get_by_role("link", name="Passer au contenu principal")).to_be_attached()
    assert page.evaluate(WIDER_THAN_THE_SCREEN) <= 0
    # The next page too, and the scripts' words come from the French catalogue.
    page.goto(live_server.url + reverse("home"))
    expect(page.locator("html")).to_have_attribute("lang", "fr-ca")
    assert page.evaluate("() => gettext('(parcel %s)')") == "(lot %s)"
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.evaluate("() => gettext('(parcel %s)')") == "(parcel %s)"


def test_a_contractor_in_french_has_a_header_that_fits_and_passes_axe(page, live_server):
    seed_demo_city()
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server.url, "demo", DEMO_PASSWORDS["demo"])
    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr-ca")
    assert get_user_model().objects.get(username="demo").language == "fr-ca"
    problems = []
    paths = [reverse("dashboard"), reverse("permits:search"), reverse("accounts:manage")]
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        for path in paths:
            page.goto(live_server.url + path)
            expect(page.locator("html")).to_have_attribute("lang", "fr-ca")
            problems += axe_problems(page, f"{width_name} {path}")
            header = page.locator("header")
            assert page.evaluate(HEADER_WIDTH) <= width, f"{width_name} {path}: header too wide"
            if width_name == "phone":
                header.get_by_role("button", name="Afficher la navigation").click()
            logout = header.get_by_role("button", name="Déconnexion")
            logout.scroll_into_view_if_needed()
            assert logout.evaluate(UNCOVERED), f"{width_name} {path}: Déconnexion is covered"
            # The shortened words keep their whole name for screen readers.
            expect(header.get_by_role("link", name="Gestion du compte")).to_be_visible()
            expect(header.get_by_role("link", name=re.compile(r"^Voir le panier"))).to_be_visible()
    assert not problems, "\n".join(problems)

    # Signing in again on another browser: French at once, from the account.
    page.context.clear_cookies()
    page.goto(live_server.url + reverse("home"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    sign_in(page, live_server.url, "demo", DEMO_PASSWORDS["demo"])
    expect(page.locator("html")).to_have_attribute("lang", "fr-ca")


def test_a_clerk_switches_admin_to_french(page, live_server):
    seed_demo_city()
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in_clerk(page, live_server.url)
    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr-ca")
    expect(page.get_by_role("link", name="Modifier le mot de passe")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_be_visible()
    problems = axe_problems(page, "admin index")
    page.set_viewport_size({"width": 390, "height": 844})
    problems += axe_problems(page, "admin index, phone")
    assert not problems, "\n".join(problems)
