"""What the preferences pages show: each person's timing per group and channel as it stands (their
own choice, else their business's Manager's default, else the portal's) and where it comes from,
a business's defaults, what is always sent and why, and the table of who hears what
(catalogue.RULES and SIGN_IN_EMAILS): on a person's page the rows they can hear, and whole in
docs/notifications.md, which prints it as `who_hears_what_markdown()` makes it."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.utils.translation import gettext as _

from licenses.models import Contractor, Role
from licenses.scope import contractor_scope
from policy.reviews import is_review_supervisor
from policy.staff import (
    can_decide_license_links,
    is_city_staff,
    is_inspector,
    is_intake_clerk,
    is_license_reviewer,
    is_plan_reviewer,
)

from .catalogue import (
    ACCOUNT_HOLDER,
    BUSINESS_APPLY,
    BUSINESS_INSPECTIONS,
    BUSINESS_MANAGE,
    BUSINESS_PAY,
    CITY_ROLES,
    CONTRACTOR_ROLES,
    CONTRACTORS,
    DEFAULT_TIMING,
    INSPECTOR,
    INTAKE_CLERKS,
    LICENSE_REVIEWERS,
    LICENSE_USERS,
    REVIEW_SUPERVISORS,
    REVIEWER,
    ROLE_LABELS,
    RULES,
    SIGN_IN_EMAILS,
    STAFF,
    Channel,
    Group,
    timing_on,
)
from .models import BusinessDefault
from .services import BUSINESS, OWN, effective_timings

Choices = dict[tuple[str, str], str]


@dataclass(frozen=True)
class Row:
    """One row of the table: what a person reads for it, the events (or sign-in emails) it
    stands for, its group, who hears it and, when it cannot be turned off, why."""

    kinds: tuple[str, ...]
    label: str
    group: str
    group_label: str
    role_keys: tuple[str, ...]
    roles: tuple[str, ...]
    always: str
    side: str

    @property
    def who(self) -> str:
        return ", ".join(self.roles)


@dataclass(frozen=True)
class Audience:
    """Whose page the table is on: the roles they may hear in (catalogue's role names) and their
    side of the counter (STAFF or CONTRACTORS). A contractor's "Who hears it" names the
    contractors' side only; staff read every role of their rows."""

    roles: frozenset[str]
    side: str

    def hears(self, row: Row) -> bool:
        return row.side in ("", self.side) and bool(self.roles & set(row.role_keys))

    def shown(self, row: Row) -> Row:
        if self.side == STAFF:
            return row
        keys = tuple(role for role in row.role_keys if role not in CITY_ROLES)
        return replace(row, role_keys=keys, roles=tuple(str(ROLE_LABELS[k]) for k in keys))


# A business's users, whatever their roles: the Manager's defaults page.
BUSINESS_USERS = Audience(CONTRACTOR_ROLES, CONTRACTORS)
BUSINESS_ROLES = {
    Role.MANAGE: BUSINESS_MANAGE,
    Role.APPLY: BUSINESS_APPLY,
    Role.PAY: BUSINESS_PAY,
    Role.INSPECTIONS: BUSINESS_INSPECTIONS,
}


def audience_of(user) -> Audience:
    """The roles `user` may hear in today: city staff by their standing (policy.staff,
    policy.reviews) and as account holders; anyone else as a permit's people, an account
    holder, and in the business and license roles they hold (licenses.scope)."""
    if is_city_staff(user):
        city = {
            REVIEWER: is_plan_reviewer(user),
            REVIEW_SUPERVISORS: is_review_supervisor(user),
            INSPECTOR: is_inspector(user),
            INTAKE_CLERKS: is_intake_clerk(user),
            # Told of link requests; those who decide them when the city named nobody.
            LICENSE_REVIEWERS: is_license_reviewer(user) or can_decide_license_links(user),
        }
        roles = {ACCOUNT_HOLDER, *(role for role, holds in city.items() if holds)}
        return Audience(frozenset(roles), STAFF)
    scope = contractor_scope(user)
    roles = set(CONTRACTOR_ROLES) - {*BUSINESS_ROLES.values(), LICENSE_USERS}
    roles |= {name for role, name in BUSINESS_ROLES.items() if scope.businesses_with(role)}
    if scope.license_ids:
        roles.add(LICENSE_USERS)
    return Audience(frozenset(roles), CONTRACTORS)


def _rows() -> list[Row]:
    """Every event of catalogue.RULES and every sign-in email, one row per label (events that
    are one thing to the people who hear them share it), by group in Group's order and then as
    the catalogue lists them."""
    rows: dict[str, Row] = {}
    for kind, rule in [*RULES.items(), *SIGN_IN_EMAILS.items()]:
        row = Row(
            kinds=(kind,),
            label=str(rule.label),
            group=str(rule.group),
            group_label=str(Group(rule.group).label),
            role_keys=tuple(rule.roles),
            roles=tuple(str(ROLE_LABELS[role]) for role in rule.roles),
            always=str(rule.always) if rule.always is not None else "",
            side=rule.side,
        )
        known = rows.get(row.label)
        if known is None:
            rows[row.label] = row
        elif replace(known, kinds=row.kinds) == row:
            rows[row.label] = replace(known, kinds=(*known.kinds, kind))
        else:
            raise ValueError(f"{kind} reads as {known.kinds[0]} but is not heard the same way")
    order = {group: position for position, group in enumerate(Group.values)}
    return sorted(rows.values(), key=lambda row: order[row.group])


def who_hears_what(audience: Audience | None = None) -> list[Row]:
    """The table: whole (the docs), or the rows `audience` can hear, as they read them."""
    if audience is None:
        return _rows()
    return [audience.shown(row) for row in _rows() if audience.hears(row)]


def always_sent(audience: Audience | None = None) -> list[tuple[str, str]]:
    """What is sent by email whatever a person chooses: (what, why)."""
    return [(row.label, row.always) for row in who_hears_what(audience) if row.always]


def always_sent_by_group(audience: Audience | None = None) -> dict[str, list[str]]:
    """What each group holds that is always sent ({group: [what]})."""
    found: dict[str, list[str]] = {}
    for row in who_hears_what(audience):
        if row.always:
            found.setdefault(row.group, []).append(row.label)
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def who_hears_what_markdown() -> str:
    """The table as docs/notifications.md prints it (tests/notifications/test_catalogue.py keeps the
    two equal)."""
    lines = [
        "| Event | Type (event, or sign-in email) | Group | Who hears it | Can be turned off |",
        "|---|---|---|---|---|",
    ]
    for row in who_hears_what():
        off = f"No: always sent ({row.always})" if row.always else "Yes"
        kinds = ", ".join(f"`{kind}`" for kind in row.kinds)
        cells = [row.label, kinds, row.group_label, row.who, off]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def user_timings(user) -> tuple[Choices, dict[tuple[str, str], str]]:
    """The user's timing for every group and channel as `notify` would use it now, and where
    each comes from, in words: their own choice, a business's default (named), the portal's."""
    found: Choices = {}
    sources: dict[tuple[str, str], str] = {}
    effective = {group: effective_timings([user.pk], group)[user.pk] for group in Group.values}
    business_ids = {
        timing.business_id
        for channels in effective.values()
        for timing in channels.values()
        if timing.business_id
    }
    names = dict(Contractor.objects.filter(pk__in=business_ids).values_list("pk", "business_name"))
    for group, channels in effective.items():
        for channel, timing in channels.items():
            found[(group, channel)] = timing.timing
            if timing.source == OWN:
                sources[(group, channel)] = _("Your choice")
            elif timing.source == BUSINESS:
                sources[(group, channel)] = _("Business default (%(business)s)") % {
                    "business": names.get(timing.business_id, "")
                }
            else:
                sources[(group, channel)] = _("Portal default")
    return found, sources


def business_timings(contractor_id: int) -> tuple[Choices, dict[tuple[str, str], str]]:
    """A business's defaults for its users, and where each comes from: what its Manager chose,
    else the portal's."""
    found: Choices = {
        (group, channel): str(DEFAULT_TIMING[channel])
        for group in Group.values
        for channel in Channel.values
    }
    sources = dict.fromkeys(found, _("Portal default"))
    for group, channel, timing in BusinessDefault.objects.filter(
        contractor_id=contractor_id
    ).values_list("group", "channel", "timing"):
        found[(group, channel)] = timing_on(channel, timing)
        sources[(group, channel)] = _("Chosen for the business")
    return found, sources


DOCS_START = "<!-- who-hears-what: start (python manage.py notifications_docs) -->"
DOCS_END = "<!-- who-hears-what: end -->"


def docs_with_table(text: str) -> str:
    """docs/notifications.md's text with the table between its markers made afresh."""
    head, start, rest = text.partition(DOCS_START)
    _head, end, tail = rest.partition(DOCS_END)
    if not start or not end:
        raise ValueError(f"the docs have no {DOCS_START!r} ... {DOCS_END!r}")
    return f"{head}{DOCS_START}\n{who_hears_what_markdown()}{DOCS_END}{tail}"
