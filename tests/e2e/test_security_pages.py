"""The pages of issue 23's requirement 13 pass axe at both widths and fit a phone: the one-time
authenticator set-up link, the page that tells a staff member with no app to ask for one, and
the check page's "too many checks" answer (429)."""

import json
import re
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.test_accessibility import AXE, RUN_AXE, WIDER_THAN_THE_SCREEN, WIDTHS
from tests.e2e.test_staff_sign_in import password_step
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def problems_of(page, who: str) -> list[str]:
    problems = []
    for name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate(AXE)
        problems += [f"{who} {name}: {json.dumps(v)}" for v in page.evaluate(RUN_AXE)]
        if name == "phone" and (wider := page.evaluate(WIDER_THAN_THE_SCREEN)) > 0:
            problems.append(f"{who} phone: {wider}px wider than the screen")
    return problems


def test_the_staff_set_up_pages_and_the_check_limit_pass_axe(
    page, live_server, settings, monkeypatch
):
    from accounts.services import authenticator_link_send

    settings.STAFF_REQUIRE_MFA = True
    cache.clear()
    staff = UserFactory(username="newclerk", email="newclerk@city.example", is_staff=True)
    problems = []

    # The password alone: told that an administrator sends the set-up link.
    page.goto(live_server.url + reverse("account_login") + "?next=/admin/")
    password_step(page, "newclerk", TEST_PASSWORD)
    expect(page.get_by_text(re.compile("set-up link", re.I)).first).to_be_visible()
    problems += problems_of(page, "link needed")

    authenticator_link_send(user=staff, by=None)
    link = re.search(r"http://\S+/staff/authenticator/\S+/", mail.outbox[-1].body).group(0)
    page.context.clear_cookies()
    page.goto(live_server.url + "/" + link.split("/", 3)[3])
    expect(page.get_by_role("button")).not_to_have_count(0)
    problems += problems_of(page, "set-up link")

    # The check page after the limit: a page that says so, not a bare error.
    verify = live_server.url + reverse("permits:verify", args=["ZZZZ2222"])
    # The limit's clock held inside one minute: the checks cannot straddle a minute's turn.
    monkeypatch.setattr("core.ratelimit.time", SimpleNamespace(time=lambda: 1_800_000_005.0))
    for _ in range(settings.PERMIT_CHECK_LIMIT_PER_MINUTE):
        page.request.get(verify)
    response = page.goto(verify)
    assert response.status == 429
    problems += problems_of(page, "check limit")
    assert not problems, "\n".join(problems)
