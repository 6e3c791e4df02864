"""The rules of issuance (permits/issuing.py): a permit Ready to Issue is issued on its own once
its fees are settled and nothing another app registered is missing, if the city says so
(PAYMENTS_AUTO_ISSUE), with who and why in its history; fees due hold it even where a clerk may
issue with fees due; each registered check is asked about the permit being issued, once however
often it was registered, and so is each check before a final inspection."""

import time
from decimal import Decimal

import pytest

from inspections.exceptions import InspectionError
from inspections.scheduling import allowed_days
from inspections.services import inspection_request_create
from permits import checks, issuing
from permits.checks import register_final_inspection_check, register_issue_check
from permits.exceptions import InvalidPermitStatusMove
from permits.issuing import permit_issue_when_ready
from permits.models import FeeStatus, Permit, PermitStatus
from permits.services import collection_add_permits, collection_create
from tests.factories import (
    FeeFactory,
    InspectionTypeFactory,
    LicenseFactory,
    PermitFactory,
    UserFactory,
    contractor_user,
    moves,
)
from tests.threads import hold, run_at_once

pytestmark = pytest.mark.django_db

SIGN_OFF = "the fire marshal's sign-off is needed"


@pytest.fixture
def auto_issue(settings):
    settings.PAYMENTS_AUTO_ISSUE = True
    settings.PERMIT_ISSUE_WITH_FEES_DUE = False


@pytest.fixture
def clerk():
    return UserFactory(username="clerk", is_staff=True)


@pytest.fixture
def own_checks(monkeypatch):
    """The registries as the apps left them, restored after the test."""
    monkeypatch.setattr(checks, "_checks", list(checks._checks))
    monkeypatch.setattr(checks, "_final_checks", list(checks._final_checks))
    monkeypatch.setattr(checks, "_needs", list(checks._needs))


def ready(**kwargs):
    return PermitFactory(status=PermitStatus.READY_TO_ISSUE, **kwargs)


def history(permit) -> list[tuple]:
    return [(c.from_status, c.to_status, c.changed_by, c.note) for c in moves(permit)]


# Issued on its own ------------------------------------------------------------------------------


@pytest.mark.usefixtures("auto_issue")
def test_a_ready_permit_with_nothing_due_or_missing_is_issued_with_who_and_why(clerk):
    permit = ready()
    FeeFactory(permit=permit, amount=Decimal("50.00"), status=FeeStatus.PAID)
    assert permit_issue_when_ready(permit=permit, by=clerk) is True
    permit.refresh_from_db()
    assert permit.status == PermitStatus.ISSUED and permit.expires_on is not None
    assert history(permit) == [
        (
            PermitStatus.READY_TO_ISSUE,
            PermitStatus.ISSUED,
            clerk,
            "Issued: fees paid, nothing missing",
        )
    ]


@pytest.mark.usefixtures("auto_issue")
def test_waiving_the_last_fee_due_issues_it_by_the_clerk_who_waived_it(clerk):
    permit = ready()
    fee = FeeFactory(permit=permit, amount=Decimal("50.00"))
    fee.move_to(FeeStatus.WAIVED, by=clerk, note="Non-profit: fee waived by council")
    permit.refresh_from_db()
    assert permit.status == PermitStatus.ISSUED
    assert history(permit) == [
        (PermitStatus.READY_TO_ISSUE, PermitStatus.ISSUED, clerk, "Issued: its fees are settled")
    ]


def test_with_auto_issue_off_nothing_is_issued_and_it_says_so(settings):
    settings.PAYMENTS_AUTO_ISSUE = False  # the city's clerk issues each permit
    permit = ready()
    assert permit_issue_when_ready(permit=permit) is False
    permit.refresh_from_db()
    assert permit.status == PermitStatus.READY_TO_ISSUE and history(permit) == []


@pytest.mark.usefixtures("auto_issue")
@pytest.mark.parametrize("status", [PermitStatus.PENDING_APPROVAL, PermitStatus.ISSUED])
def test_a_permit_not_ready_to_issue_is_left_as_it_is(status):
    permit = PermitFactory(status=status)
    assert permit_issue_when_ready(permit=permit) is False
    permit.refresh_from_db()
    assert permit.status == status and history(permit) == []


@pytest.mark.usefixtures("auto_issue")
def test_a_fee_due_holds_it(clerk):
    permit = ready()
    FeeFactory(permit=permit, amount=Decimal("50.00"))
    assert permit_issue_when_ready(permit=permit, by=clerk) is False
    permit.refresh_from_db()
    assert permit.status == PermitStatus.READY_TO_ISSUE and history(permit) == []


@pytest.mark.usefixtures("auto_issue")
def test_where_a_clerk_may_issue_with_fees_due_the_portal_still_waits_for_them(settings, clerk):
    """PERMIT_ISSUE_WITH_FEES_DUE lets a clerk issue a permit whose fees are due (a city that
    bills later); the portal never does so on its own."""
    settings.PERMIT_ISSUE_WITH_FEES_DUE = True
    permit = ready()
    FeeFactory(permit=permit, amount=Decimal("50.00"))
    assert permit_issue_when_ready(permit=permit, by=clerk) is False
    permit.refresh_from_db()
    assert permit.status == PermitStatus.READY_TO_ISSUE and history(permit) == []
    permit.move_to(PermitStatus.ISSUED, by=clerk, note="Issued at the counter; fees billed")
    assert permit.status == PermitStatus.ISSUED


# The checks other apps register ------------------------------------------------------------------


@pytest.mark.usefixtures("auto_issue", "own_checks")
def test_a_registered_check_is_asked_about_the_permit_and_its_reason_holds_it(clerk):
    asked = []

    def sign_off(permit):
        asked.append(permit.pk)
        return [SIGN_OFF]

    register_issue_check(sign_off)
    permit = ready()
    assert permit_issue_when_ready(permit=permit, by=clerk) is False
    assert asked == [permit.pk]
    permit.refresh_from_db()
    assert permit.status == PermitStatus.READY_TO_ISSUE and history(permit) == []


@pytest.mark.usefixtures("own_checks")
def test_a_check_registered_twice_is_asked_once(clerk):
    asked = []

    def sign_off(permit):
        asked.append(permit.pk)
        return [SIGN_OFF]

    register_issue_check(sign_off)
    register_issue_check(sign_off)  # an app's ready() run again
    permit = ready()
    with pytest.raises(InvalidPermitStatusMove) as refused:
        permit.move_to(PermitStatus.ISSUED, by=clerk)
    assert str(refused.value) == f"Permit {permit.number} is not issued yet: {SIGN_OFF}."
    assert asked == [permit.pk]


@pytest.mark.usefixtures("auto_issue", "own_checks")
def test_a_move_refused_after_all_is_not_reported_as_issued(clerk):
    """What a check reads changed between the portal's look and the move (the sign-off was
    withdrawn meanwhile): the move is refused, nothing is issued, and the answer says so."""
    answers = iter([[], [SIGN_OFF]])
    register_issue_check(lambda permit: next(answers))
    permit = ready()
    assert permit_issue_when_ready(permit=permit, by=clerk) is False
    permit.refresh_from_db()
    assert permit.status == PermitStatus.READY_TO_ISSUE and history(permit) == []


@pytest.mark.usefixtures("own_checks")
def test_a_final_inspection_check_registered_twice_holds_the_final_once():
    asked = []

    def roof_certification(permit):
        asked.append(permit.pk)
        return ["the roof certification is to be filed first"]

    register_final_inspection_check(roof_certification)
    register_final_inspection_check(roof_certification)
    license = LicenseFactory()
    permit = PermitFactory(status=PermitStatus.ISSUED, licenses=[license])
    final = InspectionTypeFactory(
        permit_type=permit.permit_type, code="199", name="Final", is_final=True
    )
    with pytest.raises(InspectionError) as refused:
        inspection_request_create(
            user=contractor_user(license, can_inspect=True),
            permit=permit,
            inspection_type=final,
            day=allowed_days()[0],
            contact_name="Dana",
            contact_phone="217-555-0100",
        )
    assert str(refused.value) == (
        f"The Final inspection of permit {permit.number} cannot be requested yet: the roof "
        "certification is to be filed first."
    )
    assert asked == [permit.pk]


# On PostgreSQL: the row lock issuance takes ----------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("auto_issue")
def test_saving_a_permit_to_a_collection_is_not_held_up_while_the_portal_issues_it(monkeypatch):
    """The portal locks the permit it issues FOR NO KEY UPDATE: a contractor saving it to a
    collection meanwhile (a row that refers to the permit, whose key check takes FOR KEY SHARE)
    goes through at once instead of waiting for the issuance (a payment's whole transaction)."""
    permit = ready()
    saver = UserFactory(username="saver")
    collection = collection_create(owner=saver, name="Oak St jobs")
    # The issuance lingers inside its transaction once it holds the permit's row lock.
    hold(monkeypatch, issuing, "issue_blockers", seconds=1.0)

    def work(n: int) -> str:
        if n == 0:
            permit_issue_when_ready(permit=Permit.objects.get(pk=permit.pk))
            return "issued"
        time.sleep(0.3)  # the issuance first
        collection_add_permits(collection=collection, permit_ids=[permit.pk], by=saver)
        # Saved: what the contractor sees of the permit then.
        return Permit.objects.get(pk=permit.pk).status

    issuance, seen_when_saved = run_at_once(2, work)
    assert issuance == "issued", issuance
    # Saved while the issuance was still under way: it did not wait for it.
    assert seen_when_saved == PermitStatus.READY_TO_ISSUE
    assert Permit.objects.get(pk=permit.pk).status == PermitStatus.ISSUED
    assert collection.items.filter(permit=permit).exists()


PLAN = checks.Needed(label="Fire plan", kind="Fire plan", content_types=frozenset({"x/y"}))
SIGN = checks.Needed(label="the fire marshal's sign-off", anchor="conditions")


@pytest.mark.usefixtures("own_checks")
def test_the_needs_of_a_page_of_permits_come_from_every_source_once_for_the_page():
    """Issue 23, requirement 1: a source registered twice is asked once, about the whole page
    (not once a permit); two sources' needs of a permit are listed together."""
    asked = []

    def plans(permits):
        asked.append([permit.pk for permit in permits])
        return {permits[0].pk: [PLAN]}

    checks.register_issuance_needs(plans)
    checks.register_issuance_needs(plans)  # an app's ready() run again
    checks.register_issuance_needs(lambda permits: {permits[0].pk: [SIGN]})
    first, second = ready(), ready()
    needs = checks.issuance_needs([first, second])
    assert asked == [[first.pk, second.pk]]
    assert needs[first.pk] == [PLAN, SIGN]
    assert checks.issuance_needs([]) == {}
    assert PLAN.is_document and not SIGN.is_document


@pytest.mark.usefixtures("own_checks")
def test_a_document_is_needed_only_of_a_kind_the_permit_still_needs(clerk):
    checks.register_issuance_needs(lambda permits: {permits[0].pk: [SIGN, PLAN]})
    permit = ready()
    assert checks.document_needed(permit, "Fire plan") == PLAN
    assert checks.document_needed(permit, "Site plan") is None
    checks._needs.clear()
    assert checks.document_needed(permit, "Fire plan") is None  # nothing needed at all
