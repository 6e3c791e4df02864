"""Telling many events at once: `notify_many` makes the notices and messages `notify` would make
for each event, one by one, in a constant number of queries for the lot (a night's reminders:
the contractor with 50,000 permits expiring is told in batches, not in 50,000 deliveries of
some thirty queries each). The one-by-one path stays the rule; this is its batch form, and it
falls back to it for a batch that meets a delivery running at the same time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.language import languages_of
from core.models import Event
from permits.models import Permit

from .catalogue import RULES, Channel, Timing
from .models import Message, MessageState, Notice
from .sending import message_send
from .services import (
    Context,
    Recipient,
    _accounts,
    _found,
    _gather,
    _joined,
    _key_of,
    _merged,
    _new_message,
    _notice,
    _opted_out,
    _supersede,
    _timing_of,
    notify,
    sms_numbers,
    timings_for,
)


@dataclass(frozen=True)
class Telling:
    """One event to tell: `notify`'s arguments."""

    event: Event
    to: list[Any]
    template: str
    context: Context
    permit: Permit | None = None
    link: str = ""
    roles: tuple[str, ...] = ()


@dataclass
class _Told:
    """A notice to make, for whom, how they hear it, and the number it is texted to."""

    notice: Notice
    person: Recipient
    timing: dict[str, str]
    number: str | None


def notify_many(tellings: Iterable[Telling]) -> None:
    """`notify` for each telling, in a few queries for the lot: each person told of each event
    once (a person told before, by another subscriber or an earlier try, is left out), the
    notices made together, each gathered into its message as `notify` gathers it, and the
    messages due now sent before this returns."""
    tellings = list(tellings)
    if not tellings:
        return
    people = _people_of(tellings)
    told = _notices(tellings, people, _told_before(tellings, people))
    if told:
        try:
            with transaction.atomic():
                _save(told)
        except IntegrityError:
            # A delivery of some of these events ran meanwhile: one by one, which skips whom
            # it told.
            for telling in tellings:
                _notify_one(telling)
            return
    _send_due([t.event for t in tellings])


def _told_before(tellings: list[Telling], people: list[list[Recipient]]) -> set[tuple[int, str]]:
    """(event id, recipient) of the notices made already."""
    return set(
        Notice.objects.filter(
            event__in=[t.event for t in tellings],
            recipient__in={person.key for found in people for person in found},
        ).values_list("event_id", "recipient")
    )


def _people_of(tellings: list[Telling]) -> list[list[Recipient]]:
    """Each telling's people, as `notify` finds them, with one query for the accounts of every
    address told."""
    found = [_found(t.to, t.roles) for t in tellings]
    loose = {r.email.strip().lower() for rs in found for r in rs if not r.user_id}
    accounts = _accounts(loose)
    return [_merged(rs, accounts) for rs in found]


def _notices(
    tellings: list[Telling], people: list[list[Recipient]], known: set[tuple[int, str]]
) -> list[_Told]:
    """The notices to make (not saved), with how each person hears it."""
    by_group: dict[str, set[int]] = defaultdict(set)
    loose_by_group: dict[str, set[str]] = defaultdict(set)
    for telling, found in zip(tellings, people, strict=True):
        group = RULES[telling.event.type].group
        for person in found:
            if person.user_id:
                by_group[group].add(person.user_id)
            else:
                loose_by_group[group].add(person.email.strip().lower())
    timings: dict[str, dict[int, dict[str, str]]] = {
        group: timings_for(user_ids, group) for group, user_ids in by_group.items()
    }
    opted_out = {group: _opted_out(list(emails), group) for group, emails in loose_by_group.items()}
    user_ids = sorted({pk for ids in by_group.values() for pk in ids})
    numbers = sms_numbers(user_ids) if user_ids else {}
    languages = languages_of(user_ids)
    told = []
    for telling, found in zip(tellings, people, strict=True):
        rule = RULES[telling.event.type]
        for person in found:
            if (telling.event.pk, person.key) in known:
                continue
            timing = _timing_of(
                person,
                rule,
                timings.get(rule.group, {}),
                opted_out.get(rule.group, set()),
                numbers,
            )
            if timing is None:
                continue
            notice = _notice(
                telling.event,
                rule,
                person,
                timing,
                telling.template,
                telling.context,
                telling.permit,
                telling.link,
                language=languages.get(person.user_id, settings.LANGUAGE_CODE),
            )
            told.append(_Told(notice, person, timing, numbers.get(person.user_id)))
    return told


def _save(told: list[_Told]) -> None:
    """The notices, and each in its messages (`services._gather`'s rules, for the lot)."""
    notices = Notice.objects.bulk_create([t.notice for t in told])
    for t, notice in zip(told, notices, strict=True):
        t.notice = notice
        rule = RULES[notice.event.type]
        if rule.supersedes:
            _supersede(notice, rule)
    now = timezone.now()
    # (channel, recipient, key): the first notice of it, its address and when it is due.
    wanted: dict[tuple[str, str, str], tuple[Notice, str, Any]] = {}
    joins: list[tuple[tuple[str, str, str], _Told, str]] = []
    for t in told:
        rule = RULES[t.notice.event.type]
        for channel, address in ((Channel.EMAIL, t.person.email), (Channel.SMS, t.number)):
            if t.timing[channel] == Timing.OFF:
                continue
            key, send_after = _key_of(t.notice, t.timing[channel], rule, now)
            fields = (channel, t.notice.recipient, key)
            wanted.setdefault(fields, (t.notice, address, send_after))
            joins.append((fields, t, address))
    if not joins:
        return
    messages = _open_messages(wanted)
    missing = [fields for fields in wanted if fields not in messages]
    if missing:
        try:
            with transaction.atomic():
                made = Message.objects.bulk_create(
                    [
                        Message(
                            channel=fields[0],
                            recipient=fields[1],
                            key=fields[2],
                            **_new_message(**_first(wanted[fields]), key=fields[2]),
                        )
                        for fields in missing
                    ]
                )
        except IntegrityError:
            # Another delivery opened one of these messages meanwhile: each notice gathered on
            # its own, as `notify` gathers it.
            for fields, t, address in joins:
                channel = fields[0]
                _gather(t.notice, channel, address, t.timing[channel], RULES[t.notice.event.type])
            return
        messages.update({(m.channel, m.recipient, m.key): m for m in made})
    changed = {}
    for fields, t, _ in joins:
        message = messages[fields]
        if _joined(message, t.notice):
            changed[message.pk] = message
    if changed:
        Message.objects.bulk_update(list(changed.values()), ["group", "can_turn_off"])
    Message.notices.through.objects.bulk_create(
        [
            Message.notices.through(message_id=messages[fields].pk, notice_id=t.notice.pk)
            for fields, t, _ in joins
        ]
    )


def _first(wanted: tuple[Notice, str, Any]) -> dict[str, Any]:
    notice, address, send_after = wanted
    return {"notice": notice, "address": address, "send_after": send_after}


def _open_messages(wanted: dict[tuple[str, str, str], Any]) -> dict[tuple[str, str, str], Message]:
    """The open messages of these (channel, recipient, key), locked, in one query."""
    found = (
        Message.objects.select_for_update()
        .filter(
            state=MessageState.OPEN,
            channel__in={fields[0] for fields in wanted},
            recipient__in={fields[1] for fields in wanted},
            key__in={fields[2] for fields in wanted},
        )
        .order_by("pk")
    )
    return {
        fields: message
        for message in found
        if (fields := (message.channel, message.recipient, message.key)) in wanted
    }


def _notify_one(telling: Telling) -> None:
    notify(
        telling.event,
        to=telling.to,
        template=telling.template,
        context=telling.context,
        permit=telling.permit,
        link=telling.link,
        roles=telling.roles,
    )


def _send_due(events: list[Event]) -> None:
    """The messages of these events due now (an event alone, a reminder told after its digest
    hour), sent as `notify` sends them."""
    due = (
        Message.objects.filter(
            state=MessageState.OPEN, send_after__lte=timezone.now(), notices__event__in=events
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    for message_id in list(due):
        message_send(message_id=message_id)
