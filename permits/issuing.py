"""What must be in place before a permit is issued (beyond its fees), and before its final
inspection: other apps register their checks here (plan review: the documents needed before
issuance, the conditions of approval), so the permit's status machine refuses to issue it with
their reasons, a permit Ready to Issue is issued as soon as nothing is missing
(PAYMENTS_AUTO_ISSUE), and the inspections app refuses a final inspection that would come too
soon, without either app knowing the other."""

from collections.abc import Callable

from django.conf import settings
from django.db import transaction

from .exceptions import InvalidPermitStatusMove
from .models import FeeStatus, Permit, PermitStatus

IssueCheck = Callable[[Permit], list[str]]
_checks: list[IssueCheck] = []
_final_checks: list[IssueCheck] = []


def register_issue_check(check: IssueCheck) -> None:
    """`check(permit)` lists what the permit still lacks before it is issued (empty: nothing)."""
    if check not in _checks:
        _checks.append(check)


def issue_blockers(permit: Permit) -> list[str]:
    return [reason for check in _checks for reason in check(permit)]


@transaction.atomic
def permit_issue_when_ready(*, permit: Permit, by=None, note: str = "") -> bool:
    """Issue a permit Ready to Issue when its fees are paid (or waived) and nothing registered
    is missing, if the city issues on its own (PAYMENTS_AUTO_ISSUE; otherwise a clerk issues
    it). Whether it was issued."""
    if not settings.PAYMENTS_AUTO_ISSUE:
        return False
    permit = Permit.objects.select_for_update(no_key=True).get(pk=permit.pk)
    if permit.status != PermitStatus.READY_TO_ISSUE:
        return False
    if permit.fees.filter(status=FeeStatus.DUE).exists() or issue_blockers(permit):
        return False
    try:
        permit.move_to(
            PermitStatus.ISSUED, by=by, note=note or "Issued: fees paid, nothing missing"
        )
    except InvalidPermitStatusMove:
        return False
    return True


def register_final_inspection_check(check: IssueCheck) -> None:
    """`check(permit)` lists what must be done before the permit's final inspection can be
    requested (plan review: the conditions of approval to meet before it)."""
    if check not in _final_checks:
        _final_checks.append(check)


def final_inspection_blockers(permit: Permit) -> list[str]:
    return [reason for check in _final_checks for reason in check(permit)]
