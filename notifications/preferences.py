"""What the preferences pages show: each person's timing per group and channel as it stands (their
own choice, else their business's Manager's default, else the portal's), a business's defaults,
what is always sent and why, and the table of who hears what (catalogue.RULES), which
docs/notifications.md prints as `who_hears_what_markdown()` makes it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from core.events import CATALOGUE

from .catalogue import DEFAULT_TIMING, ROLE_LABELS, RULES, SECURITY, Channel, Group
from .models import BusinessDefault
from .services import timings_for

Choices = dict[tuple[str, str], str]


@dataclass(frozen=True)
class Row:
    """One event of the table: what a person reads for it, its group, who hears it and, when it
    cannot be turned off, why."""

    event_type: str
    label: str
    group: str
    group_label: str
    roles: tuple[str, ...]
    always: str

    @property
    def who(self) -> str:
        return ", ".join(self.roles)


# Sent by the sign-in system (django-allauth), outside the table: a password reset's link, an
# address's confirmation. Listed with what is always sent.
SIGN_IN_MESSAGES = (_("Password reset and email address confirmation"), SECURITY)


def who_hears_what() -> list[Row]:
    """Every row of catalogue.RULES, by group (in Group's order) and then as the table lists
    them."""
    order = {group: position for position, group in enumerate(Group.values)}
    rows = [
        Row(
            event_type=event_type,
            label=str(CATALOGUE[event_type]),
            group=str(rule.group),
            group_label=str(Group(rule.group).label),
            roles=tuple(str(ROLE_LABELS[role]) for role in rule.roles),
            always=str(rule.always) if rule.always is not None else "",
        )
        for event_type, rule in RULES.items()
    ]
    return sorted(rows, key=lambda row: order[row.group])


def always_sent() -> list[tuple[str, str]]:
    """What is sent by email whatever a person chooses: (what, why)."""
    rows = [(row.label, row.always) for row in who_hears_what() if row.always]
    return [*rows, (str(SIGN_IN_MESSAGES[0]), str(SIGN_IN_MESSAGES[1]))]


def always_sent_by_group() -> dict[str, list[str]]:
    """What each group holds that is always sent ({group: [what]}): the sign-in system's
    messages count with Account and licenses."""
    found: dict[str, list[str]] = {}
    for row in who_hears_what():
        if row.always:
            found.setdefault(row.group, []).append(row.label)
    found.setdefault(Group.ACCOUNT.value, []).append(str(SIGN_IN_MESSAGES[0]))
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def who_hears_what_markdown() -> str:
    """The table as docs/notifications.md prints it (tests/notifications/test_catalogue.py keeps the
    two equal)."""
    lines = [
        "| Event | Type | Group | Who hears it | Can be turned off |",
        "|---|---|---|---|---|",
    ]
    for row in who_hears_what():
        off = f"No: always sent ({row.always})" if row.always else "Yes"
        cells = [row.label, f"`{row.event_type}`", row.group_label, row.who, off]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def user_timings(user) -> Choices:
    """The user's timing for every group and channel as `notify` would use it now."""
    found: Choices = {}
    for group in Group.values:
        for channel, timing in timings_for([user.pk], group)[user.pk].items():
            found[(group, channel)] = str(timing)
    return found


def business_timings(contractor_id: int) -> Choices:
    """A business's defaults for its users: what its Manager chose, else the portal's."""
    found: Choices = {
        (group, channel): str(DEFAULT_TIMING[channel])
        for group in Group.values
        for channel in Channel.values
    }
    for group, channel, timing in BusinessDefault.objects.filter(
        contractor_id=contractor_id
    ).values_list("group", "channel", "timing"):
        found[(group, channel)] = timing
    return found


DOCS_START = "<!-- who-hears-what: start (python manage.py notifications_docs) -->"
DOCS_END = "<!-- who-hears-what: end -->"


def docs_with_table(text: str) -> str:
    """docs/notifications.md's text with the table between its markers made afresh."""
    head, start, rest = text.partition(DOCS_START)
    _, end, tail = rest.partition(DOCS_END)
    if not start or not end:
        raise ValueError(f"the docs have no {DOCS_START!r} ... {DOCS_END!r}")
    return f"{head}{DOCS_START}\n{who_hears_what_markdown()}{DOCS_END}{tail}"
