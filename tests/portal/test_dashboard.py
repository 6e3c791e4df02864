import datetime
import re
from decimal import Decimal
from html import unescape

import pytest
from django.db import connection
from django.urls import reverse

from applications.models import Application
from permits.models import Collection, CollectionItem, PermitStatus
from portal.actions import ACTION_KINDS, ACTION_ROWS
from reviews.models import ConditionStage
from tests.factories import (
    FeeFactory,
    InspectionFactory,
    LicenseFactory,
    MembershipFactory,
    PermitFactory,
    contractor_user,
)

from .action_permits import ActionPermits

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")


@pytest.fixture
def license():
    return LicenseFactory(holder__business_name="Lincoln Builders LLC")


def test_the_dashboard_has_three_sections_with_counts_and_a_greeting(client, license):
    user = contractor_user(license, can_manage=True)
    active = PermitFactory(status=PermitStatus.ISSUED, licenses=[license])
    PermitFactory(status=PermitStatus.IN_REVIEW, licenses=[license])
    expired = PermitFactory(
        status=PermitStatus.EXPIRED, licenses=[license], expires_on=datetime.date(2025, 5, 1)
    )
    FeeFactory(permit=expired, amount=Decimal("80.00"))
    FeeFactory(permit=active, amount=Decimal("12.50"))
    InspectionFactory(permit=active)
    InspectionFactory(permit=active, status="completed")
    PermitFactory(status=PermitStatus.ISSUED)  # not theirs
    client.force_login(user)
    response = client.get(DASHBOARD)
    text = response.text
    assert (
        "My Active Permits" in text
        and "My Active Inspections" in text
        and "My Expired Permits" in text
    )
    assert response.context["active"].paginator.count == 2
    assert response.context["inspections"].paginator.count == 1
    assert response.context["expired"].paginator.count == 1
    assert f"Welcome, {user.get_full_name()} · Lincoln Builders LLC" in text
    assert "05/01/2025" in text and "$80.00" in text and "$12.50" in text


def test_each_section_pages_on_its_own(client, license, settings):
    settings.DASHBOARD_PAGE_SIZE = 10
    user = contractor_user(license)
    for _ in range(23):
        PermitFactory(status=PermitStatus.ISSUED, licenses=[license])
    for _ in range(12):
        PermitFactory(status=PermitStatus.EXPIRED, licenses=[license])
    client.force_login(user)
    response = client.get(DASHBOARD, {"active_page": 3, "expired_page": 2})
    assert (
        response.context["active"].number == 3 and len(response.context["active"].object_list) == 3
    )
    assert (
        response.context["expired"].number == 2
        and len(response.context["expired"].object_list) == 2
    )
    assert "active_page=2" in response.text and "expired_page=1" in response.text


def test_fees_due_link_only_for_the_pay_role(client, license):
    permit = PermitFactory(status=PermitStatus.ISSUED, licenses=[license])
    FeeFactory(permit=permit, amount=Decimal("12.50"))
    client.force_login(contractor_user(license))
    assert "Pay Fees Due on" not in client.get(DASHBOARD).text
    client.force_login(contractor_user(license, can_pay=True))
    assert f"Pay Fees Due on {permit.number}" in client.get(DASHBOARD).text


def test_the_dashboard_needs_sign_in(client):
    assert client.get(DASHBOARD).status_code == 302


def make_records(
    license, count: int, status: str, fees_each: int = 3, inspections_each: int = 2
) -> list:
    permits = []
    for _ in range(count):
        permit = PermitFactory(status=status, licenses=[license])
        for _ in range(fees_each):
            FeeFactory(permit=permit)
        for _ in range(inspections_each):
            InspectionFactory(permit=permit)
        InspectionFactory(
            permit=permit,
            status="completed",
            result="passed",
            completed_on=datetime.date(2025, 1, 2),
        )
        permits.append(permit)
    return permits


def queries(client, django_assert_max_num_queries, url) -> int:
    client.get(url)  # warm: the holiday list is read through the cache
    with django_assert_max_num_queries(40) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("url_name", ["dashboard", "permits:my_records", "permits:collection"])
@pytest.mark.parametrize("status", [PermitStatus.ISSUED, PermitStatus.EXPIRED])
def test_pages_run_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, license, url_name, status
):
    """1 permit or 50, each with fees and inspections: the same queries. (Each dashboard
    section's rows are read only when it has some, so the guard keeps the sections' shape.)"""
    user = contractor_user(license, can_manage=True)
    client.force_login(user)
    collection = Collection.objects.create(owner=user, name="All")
    url = (
        reverse(url_name, args=[collection.pk])
        if url_name == "permits:collection"
        else reverse(url_name)
    )
    for permit in make_records(license, 1, status):
        CollectionItem.objects.create(collection=collection, permit=permit)
    one = queries(client, django_assert_max_num_queries, url)
    for permit in make_records(license, 49, status):
        CollectionItem.objects.create(collection=collection, permit=permit)
    fifty = queries(client, django_assert_max_num_queries, url)
    assert one == fifty, (one, fifty)


# "Needs your action" (portal.actions; both ways of reading: tests/portal/test_dashboard_paths.py)


def test_needs_your_action_says_what_to_do_with_one_button_each(client, license):
    user = contractor_user(license, can_manage=True)
    make = ActionPermits(license)
    paying = make.ready(3)
    documents = make.ready(4, fee=False)
    make.applied_online(documents)  # the form needs its Energy Compliance before issuance
    back = make.returned(user, 5)
    corrections = make.in_review(6)
    condition = make.with_condition(7)
    PermitFactory(licenses=[license])  # issued, nothing to do
    client.force_login(user)
    response = client.get(DASHBOARD)
    rows = response.context["actions"].rows
    assert [(row.kind, row.permit) for row in rows] == [
        ("ready", paying),
        ("ready", documents),
        ("returned", back),
        ("corrections", corrections),
        ("conditions", condition),
    ]
    section = words(response.text.split('id="action-heading"')[1].split("</section>")[0])
    reference = Application.objects.get(permit=back).reference
    for expected in [
        "Needs your action 5",
        f"{paying.number} {paying.address} Ready to Issue Needed before issuance: the fees "
        f"due, $125.00. Pay Fees Due on {paying.number}",
        f"{documents.number} {documents.address} Ready to Issue Needed before issuance: "
        f"Energy Compliance. Upload Energy Compliance for {documents.number}",
        f"{back.number} {back.address} Returned for Correction The application was returned "
        f"as incomplete: fix it and resubmit it. Fix and resubmit {back.number}",
        f"{corrections.number} {corrections.address} In Review Plan review asked for "
        f"corrections: answer them and resubmit. Answer corrections for {corrections.number}",
        f"{condition.number} {condition.address} Issued A condition of approval waits for "
        f"your answer: say how it is met. Answer conditions of {condition.number}",
        "Each in full in My Records: Ready to Issue: 2 · Returned for Correction: 1 · "
        "Corrections asked: 1 · Conditions to answer: 1.",
    ]:
        assert expected in section
    html = response.text
    for link in [
        reverse("payments:cart_add", args=[paying.number]),
        reverse("permits:detail", args=[documents.number]) + "?document=Energy%20Compliance",
        reverse("applications:step", args=[reference, "review"]),
        reverse("reviews:permit_corrections", args=[corrections.number]),
        reverse("permits:detail", args=[condition.number]) + "#conditions",
        *(reverse("permits:my_records") + f"?needs={name}" for name in ACTION_KINDS),
    ]:
        assert link in html, link


def words(html: str) -> str:
    """The text a person reads, tags dropped and spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).replace(" .", ".").split())


def test_without_the_pay_role_the_row_says_who_pays(client, license):
    ready = ActionPermits(license).ready(3)
    client.force_login(contractor_user(license, can_upload=True))
    text = client.get(DASHBOARD).text
    section = words(text.split('id="action-heading"')[1].split("</section>")[0])
    assert (
        "Needed before issuance: the fees due, $125.00. Paying needs the Pay role at the "
        "permit's business: ask its Manager. View permit " + ready.number
    ) in section
    assert "Pay Fees Due" not in text


def test_only_permits_the_user_may_act_on(client, license):
    """Ready to Issue on a business where the user only looks on (no role), and corrections
    for a user without Apply, are not theirs to act on: the section says nothing needs them."""
    make = ActionPermits(license)
    make.ready(3)
    make.in_review(4)
    user = contractor_user(LicenseFactory())
    MembershipFactory(user=user, contractor=license.holder, can_inspect=True)
    client.force_login(user)
    response = client.get(DASHBOARD)
    assert response.context["active"].paginator.count == 2
    assert response.context["actions"].total == 0
    assert 'id="action-heading"' not in response.text
    assert "Nothing on your permits needs your action now." in response.text


def test_no_permits_no_section(client, license):
    client.force_login(contractor_user(license))
    text = client.get(DASHBOARD).text
    assert "Needs your action" not in text and "needs your action now" not in text


def test_needs_your_action_runs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, license
):
    """One permit of each kind or many (more than the section shows): the same queries. By
    license (PostgreSQL), the section's lists ride in the dashboard's two UNIONs: it adds only
    what its rows need, what Ready to Issue permits still need and the returned applications'
    references, one query each."""
    user = contractor_user(license, can_manage=True)
    client.force_login(user)
    make = ActionPermits(license)
    PermitFactory(licenses=[license])  # issued: nothing to act on
    nothing = queries(client, django_assert_max_num_queries, DASHBOARD)

    def one_of_each(days: int) -> None:
        make.ready(days)
        documents = make.ready(days, fee=False)
        make.applied_online(documents)
        make.returned(user, days)
        make.in_review(days)
        make.with_condition(days)

    one_of_each(1)
    one = queries(client, django_assert_max_num_queries, DASHBOARD)
    for days in range(2, 8):
        one_of_each(days)
    many = queries(client, django_assert_max_num_queries, DASHBOARD)
    response = client.get(DASHBOARD)
    assert len(response.context["actions"].rows) == ACTION_ROWS
    assert {row.kind for row in response.context["actions"].rows} == set(ACTION_KINDS)
    assert one == many, (one, many)
    if connection.vendor == "postgresql":
        assert many - nothing <= 2, (nothing, many)


def buttons_of(response) -> dict[str, list[str]]:
    return {
        row.permit.number: [button.label for button in row.buttons]
        for row in response.context["actions"].rows
    }


def test_a_ready_to_issue_row_offers_each_thing_still_needed(client, license):
    """Everything still needed before issuance, as its page names it (the fees due and each
    document, each condition to meet), with a button for each the user may provide; what they
    may not provide says who may (issue 23: RES26-0296 offered only Pay while its Energy
    Compliance was missing too)."""
    make = ActionPermits(license)
    both = make.ready(3)  # fees due, and the form's Energy Compliance
    make.applied_online(both)
    conditioned = make.with_condition(  # its form's Energy Compliance too
        5, status=PermitStatus.READY_TO_ISSUE, stage=ConditionStage.BEFORE_ISSUANCE
    )
    FeeFactory(permit=conditioned)
    manager = contractor_user(license, can_manage=True)
    uploader = contractor_user(LicenseFactory())
    MembershipFactory(user=uploader, contractor=license.holder, can_upload=True)
    payer = contractor_user(LicenseFactory())
    MembershipFactory(user=payer, contractor=license.holder, can_pay=True)
    registered = contractor_user(license)  # registered for the license: answers conditions
    upload, pay, answer = "Upload Energy Compliance", "Pay Fees Due", "Answer conditions"
    seen = {}
    for who, user in (
        ("manager", manager),
        ("uploader", uploader),
        ("payer", payer),
        ("registered", registered),
    ):
        client.force_login(user)
        response = client.get(DASHBOARD)
        seen[who] = (buttons_of(response), section_words(response.text))
    condition = "the condition “Keep the alley side clear.” met"
    assert seen["manager"][0] == {
        both.number: [pay, upload],
        conditioned.number: [pay, upload, answer],
    }
    for who in seen:
        assert (
            f"{both.number} {both.address} Ready to Issue Needed before issuance: the fees due, "
            "$125.00; Energy Compliance." in seen[who][1]
        )
        assert (
            f"Needed before issuance: the fees due, $125.00; Energy Compliance; {condition}."
            in seen[who][1]
        ), who
    assert f"{pay} on {both.number} {upload} for {both.number}" in seen["manager"][1]
    assert seen["uploader"][0] == {both.number: [upload], conditioned.number: [upload, answer]}
    assert (
        "Paying needs the Pay role at the permit's business: ask its Manager."
        in (seen["uploader"][1])
    )
    assert seen["payer"][0] == {both.number: [pay], conditioned.number: [pay]}
    assert (
        "Energy Compliance. Uploading needs the Upload Files role at the permit's business: ask "
        f"its Manager. {pay} on {both.number}" in seen["payer"][1]
    )
    assert (
        "met. Uploading needs the Upload Files role at the permit's business: ask its Manager. "
        "Answering conditions needs the Apply or Upload Files role at the permit's business: "
        f"ask its Manager. {pay} on {conditioned.number}" in seen["payer"][1]
    )
    assert seen["registered"][0] == {
        both.number: ["View permit"],
        conditioned.number: [answer],
    }


def section_words(html: str) -> str:
    return words(html.split('id="action-heading"')[1].split("</section>")[0])
