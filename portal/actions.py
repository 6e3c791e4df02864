"""The dashboard's "Needs your action": the permits on which its user has something to do, at the
top of the page (issue 23: a newcomer's one Ready to Issue permit was on page 5 of My Active
Permits, with nothing to bring it up).

Each kind of action is the permits in some statuses that name a license through which the user
may do it (the policy's license sets, which agree with its rules permit by permit), kept, where
a higher app knows more, to the permits its part picks:

- `ready`: Ready to Issue, through the licenses whose fees the user may pay, or whose documents
  and conditions they may provide (`can_pay`, `can_upload`, `can_answer_condition`);
- `returned`: Returned for Correction, among the user's records, whose application is the
  user's own to fix and resubmit (`can_work_on_application`);
- `corrections`: In Review, plan review asked for corrections that are not resubmitted yet,
  through the licenses where the user holds Apply (`can_apply`: answering and resubmitting);
- `conditions`: Pending Approval or Issued, with a condition of approval neither met nor
  answered, through the licenses the user may answer conditions through.

The statuses never overlap, so a permit is one row. The lists are read with the dashboard's
others, each way (portal.dashboard: by license on PostgreSQL, through the ORM elsewhere): each
kind's total and its first `ACTION_ROWS` rows, newest first; the section shows `ACTION_ROWS` in
all, taken in turn from each kind so that a rare kind is not hidden by a common one. Nothing is
dropped unsaid: each kind's total links to all of its permits (My Records' "Needs my action"
filter, which each kind provides: `register_record_filters`) and says how many of them the rows
leave out. A contractor with hundreds of permits waiting gets ten rows and the four lists.
"""

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.db import connection
from django.db.models import QuerySet
from django.urls import reverse

from applications.selectors import (
    application_references,
    returned_permit_ids,
    returned_permits_part,
)
from core.money import format_money
from core.pagination import Countable
from core.sql import Part
from permits.dashboard_reads import (
    licensed_permit_countable,
    licensed_permit_ids,
    licensed_permit_rows,
    licensed_permits_count_part,
    licensed_permits_page_part,
)
from permits.models import Permit, PermitStatus
from permits.record_filters import provide_record_filter
from permits.scopes import record_license_ids
from policy.permits import (
    appliable_license_ids,
    can_answer_condition,
    can_pay,
    can_upload,
    condition_answerable_license_ids,
    payable_license_ids,
)
from reviews.models import AwaitingKind
from reviews.selectors import (
    awaiting_corrections_permit_ids,
    awaiting_count_part,
    awaiting_countable,
    awaiting_page_part,
    awaiting_permit_ids,
    awaiting_rows,
    open_conditions_permit_ids,
)

# Rows the section shows (each kind's total says how many more there are).
ACTION_ROWS = 10


@dataclass(frozen=True)
class ActionKind:
    """One kind of action: its permits' statuses, the licenses through which the user may take
    it, and which of those permits wait for it, where a higher app decides: through the ORM
    (`among`, a queryset of permit ids: the general way of reading, and the definition), and
    by license, either the same kept by the permits app's parts (`among_part`) or plan review's
    own per-license table (`awaiting`: an AwaitingKind, read from AwaitingAnswer, which its
    triggers keep on PostgreSQL: there the ORM reads it too, for a contact's dashboard)."""

    statuses: tuple[str, ...]
    licenses: Callable[[object], frozenset[int]]
    among: Callable[[object], QuerySet] | None = None
    among_part: Callable[[object], Part] | None = None
    awaiting: str = ""

    def rows(self, user) -> QuerySet:
        """{"permit_id", "applied"} of its permits, newest first, through the ORM (plan review's
        from its table where triggers keep it, on PostgreSQL)."""
        if self._kept():
            return awaiting_rows(license_ids=self.licenses(user), kind=self.awaiting)
        return licensed_permit_rows(**self._orm(user))

    def countable(self, user) -> Countable:
        if self._kept():
            return awaiting_countable(license_ids=self.licenses(user), kind=self.awaiting)
        return licensed_permit_countable(**self._orm(user))

    def permit_ids(self, user) -> QuerySet:
        """The `permit_id`s of `rows`, for an IN: My Records' "Needs my action" filter, the
        whole list of what the section counts."""
        if self._kept():
            return awaiting_permit_ids(license_ids=self.licenses(user), kind=self.awaiting)
        return licensed_permit_ids(**self._orm(user))

    def _kept(self) -> bool:
        return bool(self.awaiting) and connection.vendor == "postgresql"

    def count_part(self, user, *, label: str) -> Part:
        """(label, how many), by license."""
        if self.awaiting:
            return awaiting_count_part(
                label=label, license_ids=self.licenses(user), kind=self.awaiting
            )
        return licensed_permits_count_part(label=label, **self._by_license(user))

    def page_part(self, user, *, label: str, limit: int, offset: int) -> Part:
        """(label, permit id, applied date) of a page of them, newest first, by license."""
        if self.awaiting:
            return awaiting_page_part(
                label=label,
                license_ids=self.licenses(user),
                kind=self.awaiting,
                limit=limit,
                offset=offset,
            )
        return licensed_permits_page_part(
            label=label, limit=limit, offset=offset, **self._by_license(user)
        )

    def _orm(self, user) -> dict:
        return {
            "license_ids": self.licenses(user),
            "statuses": self.statuses,
            "among": self.among(user) if self.among else None,
        }

    def _by_license(self, user) -> dict:
        return {
            "license_ids": self.licenses(user),
            "statuses": self.statuses,
            "among": self.among_part(user) if self.among_part else None,
        }


def _ready_licenses(user) -> frozenset[int]:
    # Uploading a document needs Upload Files, which answering a condition also takes.
    return payable_license_ids(user) | condition_answerable_license_ids(user)


# In the section's order. The statuses of `corrections` and `conditions` are also those for
# which AwaitingAnswer's triggers keep rows (reviews/migrations/0003).
ACTION_KINDS: dict[str, ActionKind] = {
    "ready": ActionKind(statuses=(PermitStatus.READY_TO_ISSUE,), licenses=_ready_licenses),
    "returned": ActionKind(
        statuses=(PermitStatus.RETURNED,),
        licenses=record_license_ids,
        among=lambda user: returned_permit_ids(user=user),
        among_part=lambda user: returned_permits_part(user=user),
    ),
    "corrections": ActionKind(
        statuses=(PermitStatus.IN_REVIEW,),
        licenses=appliable_license_ids,
        among=lambda user: awaiting_corrections_permit_ids(),
        awaiting=AwaitingKind.CORRECTIONS,
    ),
    "conditions": ActionKind(
        statuses=(PermitStatus.PENDING_APPROVAL, PermitStatus.ISSUED),
        licenses=condition_answerable_license_ids,
        among=lambda user: open_conditions_permit_ids(),
        awaiting=AwaitingKind.CONDITIONS,
    ),
}


def choose_rows(lists: Mapping[str, list], limit: int = ACTION_ROWS) -> dict[str, list]:
    """At most `limit` rows of the kinds' lists, taken one from each kind in turn (in
    ACTION_KINDS' order), each kind's kept in its own order."""
    left = {name: list(lists.get(name, [])) for name in ACTION_KINDS}
    chosen: dict[str, list] = {name: [] for name in ACTION_KINDS}
    taken = 0
    while taken < limit and any(left.values()):
        for name in ACTION_KINDS:
            if left[name] and taken < limit:
                chosen[name].append(left[name].pop(0))
                taken += 1
    return chosen


@dataclass(frozen=True)
class ActionButton:
    """One thing the user can do on a row (`post`: a form's button, else a link; `hidden`: the
    rest of its name for a screen reader, the permit's number; `primary`: a thing to do, not
    only a page to look at)."""

    label: str
    url: str
    hidden: str
    post: bool = False
    primary: bool = True


@dataclass(frozen=True)
class ActionRow:
    """A permit that needs the user's action: what to do, in words, and the buttons that do
    it."""

    kind: str
    permit: Permit
    todo: str
    buttons: tuple[ActionButton, ...]


def _ready(user, permit: Permit) -> ActionRow:
    """What a Ready to Issue permit still needs (its fees due and `issuance_needs`, as its own
    page names them), with a button for each that the user may provide: Pay, an Upload for each
    document, the conditions to answer; what they may not provide says who may. No button at
    all: its page."""
    needs = getattr(permit, "issuance_needs", [])
    documents = [item for item in needs if item.is_document]
    conditions = [item for item in needs if not item.is_document]
    needed = [f"the fees due, {format_money(permit.fees_due)}"] if permit.fees_due else []
    needed += [item.label for item in needs]
    page = reverse("permits:detail", args=[permit.number])
    if not needed:
        todo = "Nothing more is needed from you: the permit office issues it."
        view = ActionButton("View permit", page, hidden=permit.number, primary=False)
        return ActionRow("ready", permit, todo, (view,))
    todo = f"Needed before issuance: {'; '.join(needed)}."
    buttons = []
    if permit.fees_due:
        if can_pay(user, permit):
            url = reverse("payments:cart_add", args=[permit.number])
            buttons.append(ActionButton("Pay Fees Due", url, f"on {permit.number}", post=True))
        else:
            todo += " Paying needs the Pay role at the permit's business: ask its Manager."
    if documents:
        if can_upload(user, permit):
            buttons += [
                ActionButton(
                    f"Upload {item.label}",
                    f"{page}?document={quote(item.kind)}#documents",
                    hidden=f"for {permit.number}",
                )
                for item in documents
            ]
        else:
            todo += (
                " Uploading needs the Upload Files role at the permit's business: ask its Manager."
            )
    if conditions:
        if can_answer_condition(user, permit):
            url = f"{page}#{conditions[0].anchor}"
            buttons.append(ActionButton("Answer conditions", url, hidden=f"of {permit.number}"))
        else:
            todo += (
                " Answering conditions needs the Apply or Upload Files role at the permit's "
                "business: ask its Manager."
            )
    if not buttons:
        buttons.append(ActionButton("View permit", page, hidden=permit.number, primary=False))
    return ActionRow("ready", permit, todo, tuple(buttons))


def _returned(permit: Permit, reference: str) -> ActionRow:
    todo = "The application was returned as incomplete: fix it and resubmit it."
    if reference:
        url = reverse("applications:step", args=[reference, "review"])
        return ActionRow(
            "returned", permit, todo, (ActionButton("Fix and resubmit", url, permit.number),)
        )
    page = reverse("permits:detail", args=[permit.number])
    view = ActionButton("View permit", page, permit.number, primary=False)
    return ActionRow("returned", permit, todo, (view,))


def _corrections(permit: Permit) -> ActionRow:
    return ActionRow(
        "corrections",
        permit,
        "Plan review asked for corrections: answer them and resubmit.",
        (
            ActionButton(
                "Answer corrections",
                reverse("reviews:permit_corrections", args=[permit.number]),
                hidden=f"for {permit.number}",
            ),
        ),
    )


def _conditions(permit: Permit) -> ActionRow:
    return ActionRow(
        "conditions",
        permit,
        "A condition of approval waits for your answer: say how it is met.",
        (
            ActionButton(
                "Answer conditions",
                reverse("permits:detail", args=[permit.number]) + "#conditions",
                hidden=f"of {permit.number}",
            ),
        ),
    )


# Each kind's words in the section's totals and in My Records' "Needs my action" filter, where
# each total links to the whole list of its permits.
KIND_LABELS = {
    "ready": "Ready to Issue",
    "returned": "Returned for Correction",
    "corrections": "Corrections asked",
    "conditions": "Conditions to answer",
}


def register_record_filters() -> None:
    """Each kind as My Records' "Needs my action" filter: the same permits the section counts
    (PortalConfig.ready)."""
    for name, kind in ACTION_KINDS.items():
        provide_record_filter(name, label=KIND_LABELS[name], permit_ids=kind.permit_ids)


def kind_list_url(name: str) -> str:
    """My Records filtered to the kind: every permit it counts."""
    return f"{reverse('permits:my_records')}?{urlencode({'needs': name})}"


@dataclass(frozen=True)
class KindTotal:
    """A kind's total, the link to all of its permits, and how many of them the section's rows
    leave out."""

    label: str
    count: int
    url: str
    not_shown: int


@dataclass
class ActionSection:
    rows: list[ActionRow]
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def kinds(self) -> list[KindTotal]:
        """The kinds with permits, each with its total, the list of all of them and how many
        the rows leave out."""
        shown = Counter(row.kind for row in self.rows)
        return [
            KindTotal(label, count, kind_list_url(name), count - shown[name])
            for name, label in KIND_LABELS.items()
            if (count := self.counts.get(name, 0))
        ]


def action_section(
    user, shown: Mapping[str, list[Permit]], counts: Mapping[str, int]
) -> ActionSection:
    """The section's rows, in ACTION_KINDS' order, from the permits each kind shows (loaded
    with their fees due, their parties for the rules and, for Ready to Issue,
    `issuance_needs`), and a query for the references of returned applications when there are
    any."""
    returned = [permit.pk for permit in shown.get("returned", [])]
    references = application_references(returned) if returned else {}
    rows = [
        *(_ready(user, permit) for permit in shown.get("ready", [])),
        *(_returned(permit, references.get(permit.pk, "")) for permit in shown.get("returned", [])),
        *(_corrections(permit) for permit in shown.get("corrections", [])),
        *(_conditions(permit) for permit in shown.get("conditions", [])),
    ]
    return ActionSection(rows=rows, counts={name: counts.get(name, 0) for name in ACTION_KINDS})
