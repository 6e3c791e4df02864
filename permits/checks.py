"""What must be in place before a permit is issued (beyond its fees), and before its final
inspection: other apps register their checks here (plan review: the documents needed before
issuance, the conditions of approval), so that the permit's status machine refuses to issue it
with their reasons, a permit Ready to Issue is issued as soon as nothing is missing
(permits.issuing), and the inspections app refuses a final inspection that would come too soon,
without either app knowing the other. They also say, for a page of permits at once, what each
still needs that its contractor provides online (`issuance_needs`: a document of a kind, which
any upload of that kind meets, wherever it is made; a condition to answer), so the permit's page
and the dashboard name it with the button that provides it. Nothing here reads the models: the
permit model asks it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

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


@dataclass(frozen=True)
class Needed:
    """One thing a permit still needs before it is issued, in the words a person reads: a
    document of a kind (`kind`: what `PermitDocument.kind` records once it is uploaded, with the
    formats it may be in), or something else its contractor provides (a condition of approval
    to meet: `kind` empty, `anchor` the part of the permit's page where it is answered)."""

    label: str
    kind: str = ""
    content_types: frozenset[str] = frozenset()
    formats: str = gettext_lazy("PDF, PNG or JPEG")
    anchor: str = "documents"

    @property
    def is_document(self) -> bool:
        return bool(self.kind)


IssuanceNeeds = Callable[[Sequence["Permit"]], dict[int, list[Needed]]]
_needs: list[IssuanceNeeds] = []


def register_issuance_needs(source: IssuanceNeeds) -> None:
    """`source(permits)` gives, by permit id, what each still needs before it is issued that
    its contractor can provide online: for a whole page of permits in a few queries (never one
    per permit: the dashboard asks it for its rows)."""
    if source not in _needs:
        _needs.append(source)


def issuance_needs(permits: Sequence[Permit]) -> dict[int, list[Needed]]:
    needs: dict[int, list[Needed]] = {}
    if not permits:
        return needs
    for source in _needs:
        for permit_id, items in source(permits).items():
            needs.setdefault(permit_id, []).extend(items)
    return needs


def document_needed(permit: Permit, kind: str) -> Needed | None:
    """The document of that kind the permit still needs, or None."""
    return next(
        (item for item in issuance_needs([permit]).get(permit.pk, []) if item.kind == kind), None
    )
