"""What must be in place before a permit is issued (beyond its fees), and before its final
inspection: other apps register their checks here (plan review: the documents needed before
issuance, the conditions of approval), so that the permit's status machine refuses to issue it
with their reasons, a permit Ready to Issue is issued as soon as nothing is missing
(permits.issuing), and the inspections app refuses a final inspection that would come too soon,
without either app knowing the other. Nothing here reads the models: the permit model asks it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Permit

IssueCheck = Callable[["Permit"], list[str]]
_checks: list[IssueCheck] = []
_final_checks: list[IssueCheck] = []


def register_issue_check(check: IssueCheck) -> None:
    """`check(permit)` lists what the permit still lacks before it is issued (empty: nothing)."""
    if check not in _checks:
        _checks.append(check)


def issue_blockers(permit: Permit) -> list[str]:
    return [reason for check in _checks for reason in check(permit)]


def register_final_inspection_check(check: IssueCheck) -> None:
    """`check(permit)` lists what must be done before the permit's final inspection can be
    requested (plan review: the conditions of approval to meet before it)."""
    if check not in _final_checks:
        _final_checks.append(check)


def final_inspection_blockers(permit: Permit) -> list[str]:
    return [reason for check in _final_checks for reason in check(permit)]
