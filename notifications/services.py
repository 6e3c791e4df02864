"""Telling people: `notify` turns one event and the people a subscriber found into one notice per
person (never two, whichever roles or subscribers found them), each kept for the portal's
Notifications page and gathered into the messages their preferences ask for: at once (after a
few minutes, so that a burst of events on one permit is one message), in the daily digest, or
not at all. `notifications.sending` sends a message once its time comes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone, translation

from accounts.language import languages_of
from core.mail import render_email
from core.models import Event
from permits.models import Permit

from .catalogue import DEFAULT_TIMING, RULES, Channel, Group, Rule, Timing, check_timing, timing_on
from .models import AddressOptOut, BusinessDefault, Message, MessageState, Notice, Preference

logger = logging.getLogger("portal.notifications")


@dataclass(frozen=True)
class Recipient:
    """One person to tell: their address, their account if they have one, and the roles in
    which they hear this event (catalogue's role names)."""

    email: str
    user_id: int | None = None
    name: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def key(self) -> str:
        return f"user:{self.user_id}" if self.user_id else f"email:{self.email.strip().lower()}"


Context = dict[str, Any] | Callable[[Recipient], dict[str, Any]]


def as_recipient(person: Any, roles: Iterable[str] = ()) -> Recipient | None:
    """A Recipient from a permit's Party, a user, an address or a Recipient."""
    extra = frozenset(roles)
    if isinstance(person, Recipient):
        return Recipient(person.email, person.user_id, person.name, person.roles | extra)
    if isinstance(person, str):
        return Recipient(person, None, "", extra) if person.strip() else None
    if hasattr(person, "roles") and hasattr(person, "email"):  # permits.parties.Party
        return Recipient(person.email, person.user_id, person.name, frozenset(person.roles) | extra)
    if getattr(person, "pk", None) and getattr(person, "email", ""):
        name = person.get_full_name() or person.get_username()
        return Recipient(person.email, person.pk, name, extra)
    return None


def _people(to: Iterable[Any], roles: Iterable[str]) -> list[Recipient]:
    """Each person once (an address that has an account is that account), with every role."""
    found = _found(to, roles)
    return _merged(found, _accounts({r.email.strip().lower() for r in found if not r.user_id}))


def _found(to: Iterable[Any], roles: Iterable[str]) -> list[Recipient]:
    return [r for r in (as_recipient(person, roles) for person in to) if r and r.email]


def _accounts(addresses: set[str]) -> dict[str, int]:
    """{address: user id} of the active accounts of these addresses (lower case)."""
    if not addresses:
        return {}
    users = get_user_model().objects.annotate(address=Lower("email"))
    return dict(users.filter(address__in=addresses, is_active=True).values_list("address", "pk"))


def _merged(found: list[Recipient], accounts: dict[str, int]) -> list[Recipient]:
    merged: dict[str, Recipient] = {}
    for person in found:
        user_id = person.user_id or accounts.get(person.email.strip().lower())
        person = Recipient(person.email, user_id, person.name, person.roles)
        known = merged.get(person.key)
        if known:
            person = Recipient(
                known.email, known.user_id, known.name or person.name, known.roles | person.roles
            )
        merged[person.key] = person
    return list(merged.values())


# Preferences -------------------------------------------------------------------------------------


# Where a person's timing comes from: their own choice, their business's Manager's default, or
# the portal's.
OWN = "own"
BUSINESS = "business"
PORTAL = "portal"


@dataclass(frozen=True)
class Effective:
    """A user's timing on one channel for one group as `notify` uses it, and where it comes
    from (OWN, BUSINESS: `business_id`'s default, PORTAL)."""

    timing: str
    source: str
    business_id: int | None = None


def effective_timings(user_ids: Iterable[int], group: str) -> dict[int, dict[str, Effective]]:
    """Each user's timing on each channel for a group: their own choice, else the default
    their business's Manager set (the most their businesses ask for), else the portal's. A
    timing kept from before its channel stopped offering it counts as `timing_on` says."""
    user_ids = list(set(user_ids))
    chosen: dict[int, dict[str, str]] = {pk: {} for pk in user_ids}
    for user_id, channel, timing in Preference.objects.filter(
        user_id__in=user_ids, group=group
    ).values_list("user_id", "channel", "timing"):
        chosen[user_id][channel] = timing_on(channel, timing)
    by_business = BusinessDefault.objects.filter(
        group=group,
        contractor__memberships__user_id__in=user_ids,
    ).values_list("contractor__memberships__user_id", "channel", "timing", "contractor_id")
    rank = {Timing.OFF: 0, Timing.DIGEST: 1, Timing.NOW: 2}
    business: dict[int, dict[str, Effective]] = {}
    # The most any of their businesses asks for (between equals, the first business).
    for user_id, channel, timing, contractor_id in by_business.order_by("contractor_id"):
        timing = timing_on(channel, timing)
        mine = business.setdefault(user_id, {})
        known = mine.get(channel)
        if known is None or rank[timing] > rank[known.timing]:
            mine[channel] = Effective(timing, BUSINESS, contractor_id)
    found: dict[int, dict[str, Effective]] = {}
    for pk in user_ids:
        found[pk] = {}
        for channel in Channel.values:
            if channel in chosen[pk]:
                found[pk][channel] = Effective(chosen[pk][channel], OWN)
            else:
                found[pk][channel] = business.get(pk, {}).get(channel) or Effective(
                    DEFAULT_TIMING[channel], PORTAL
                )
    return found


def timings_for(user_ids: Iterable[int], group: str) -> dict[int, dict[str, str]]:
    """Each user's timing on each channel for a group ({user id: {channel: timing}}), as
    `effective_timings` finds it."""
    return {
        pk: {channel: effective.timing for channel, effective in channels.items()}
        for pk, channels in effective_timings(user_ids, group).items()
    }


def _checked(choices: dict[tuple[str, str], str]) -> None:
    for (group, channel), timing in choices.items():
        if group not in Group.values:
            raise ValidationError(f"There is no group {group!r}.")
        check_timing(channel, timing)


def preferences_save(*, user, choices: dict[tuple[str, str], str]) -> None:
    """Save a user's choices ({(group, channel): timing}); what cannot be turned off is not a
    choice. A timing the channel does not offer (a daily digest of texts) is refused
    (ValidationError), nothing saved."""
    _checked(choices)
    with transaction.atomic():
        for (group, channel), timing in choices.items():
            Preference.objects.update_or_create(
                user=user, group=group, channel=channel, defaults={"timing": timing}
            )


def action_groups() -> list[str]:
    """The groups holding an event that asks something of the person told (the catalogue's
    `needs_action`), in the groups' order."""
    asking = {rule.group for rule in RULES.values() if rule.needs_action}
    return [group for group in Group.values if group in asking]


def texts_on_for_action(*, user) -> list[str]:
    """A number just verified: texts at once for each group with something that needs the
    user's action (texts are off by default, so verifying alone would change nothing), unless
    the user, or their business's Manager, chose for that group's texts already. Returns the
    groups turned on."""
    chosen = set(
        Preference.objects.filter(user=user, channel=Channel.SMS).values_list("group", flat=True)
    )
    chosen |= set(
        BusinessDefault.objects.filter(
            channel=Channel.SMS, contractor__memberships__user=user
        ).values_list("group", flat=True)
    )
    groups = [group for group in action_groups() if group not in chosen]
    Preference.objects.bulk_create(
        [
            Preference(user=user, group=group, channel=Channel.SMS, timing=Timing.NOW)
            for group in groups
        ],
        ignore_conflicts=True,  # chosen on the preferences page at the same moment: theirs
    )
    return groups


def business_defaults_save(*, contractor, by, choices: dict[tuple[str, str], str]) -> None:
    """A Manager's defaults for the business's users ({(group, channel): timing}), checked as
    `preferences_save` checks a user's."""
    _checked(choices)
    with transaction.atomic():
        for (group, channel), timing in choices.items():
            BusinessDefault.objects.update_or_create(
                contractor=contractor,
                group=group,
                channel=channel,
                defaults={"timing": timing, "updated_by": by},
            )


def address_opt_out(*, email: str, group: str) -> None:
    AddressOptOut.objects.get_or_create(email=email.strip().lower(), group=group)


# Channels a person can be reached on beyond email and the portal (text messages: the number
# they verified). notifications.sms registers its lookup: `{user_id: number}`.
_sms_numbers: list[Callable[[list[int]], dict[int, str]]] = []


def register_sms_numbers(lookup: Callable[[list[int]], dict[int, str]]) -> None:
    if lookup not in _sms_numbers:
        _sms_numbers.append(lookup)


def sms_numbers(user_ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for lookup in _sms_numbers:
        found.update(lookup(user_ids))
    return found


# Telling -----------------------------------------------------------------------------------------


def notify(
    event: Event,
    *,
    to: Iterable[Any],
    template: str,
    context: Context,
    permit: Permit | None = None,
    link: str = "",
    roles: Iterable[str] = (),
) -> list[Notice]:
    """Tell each person in `to` (parties, users, addresses) of `event` once, rendered from
    templates/email/<template>_* with `context` (or `context(recipient)`), linked to `permit`
    and to `link` (the page to act on; default: the context's "url"). Messages due now are
    sent before this returns; a failure to send raises (the subscriber is tried again, and
    nobody is told twice)."""
    rule = RULES[event.type]
    people = _people(to, roles)
    if people:
        known = set(
            Notice.objects.filter(event=event, recipient__in=[p.key for p in people]).values_list(
                "recipient", flat=True
            )
        )
        people = [person for person in people if person.key not in known]
    if people:
        _tell(event, rule, people, template, context, permit, link)
    message_ids = list(
        Message.objects.filter(
            state=MessageState.OPEN, send_after__lte=timezone.now(), notices__event=event
        ).values_list("pk", flat=True)
    )
    from .sending import message_send

    for message_id in message_ids:
        message_send(message_id=message_id)
    return list(Notice.objects.filter(event=event))


def _tell(event, rule: Rule, people, template, context, permit, link) -> None:
    user_ids = [p.user_id for p in people if p.user_id]
    timings = timings_for(user_ids, rule.group) if user_ids else {}
    opted_out = _opted_out([p.email.strip().lower() for p in people if not p.user_id], rule.group)
    numbers = sms_numbers(user_ids) if user_ids else {}
    languages = languages_of(user_ids)
    for person in people:
        timing = _timing_of(person, rule, timings, opted_out, numbers)
        if timing is None:
            continue
        notice = _notice(
            event,
            rule,
            person,
            timing,
            template,
            context,
            permit,
            link,
            language=languages.get(person.user_id, settings.LANGUAGE_CODE),
        )
        with transaction.atomic():
            try:
                with transaction.atomic():
                    notice.save()
            except IntegrityError:
                continue  # told by a delivery running at the same time
            _supersede(notice, rule)
            if timing[Channel.EMAIL] != Timing.OFF:
                _gather(notice, Channel.EMAIL, person.email, timing[Channel.EMAIL], rule)
            if timing[Channel.SMS] != Timing.OFF:
                _gather(notice, Channel.SMS, numbers[person.user_id], timing[Channel.SMS], rule)


def _timing_of(
    person: Recipient,
    rule: Rule,
    timings: dict[int, dict[str, str]],
    opted_out: set[str],
    numbers: dict[int, str],
) -> dict[str, str] | None:
    """How the person hears this event on each channel, or None: not at all."""
    if person.user_id:
        timing = dict(timings[person.user_id])
    else:
        off = person.email.strip().lower() in opted_out
        timing = {
            Channel.EMAIL: Timing.OFF if off else DEFAULT_TIMING[Channel.EMAIL],
            Channel.PORTAL: Timing.OFF,
            Channel.SMS: Timing.OFF,
        }
    if not rule.can_turn_off:
        timing[Channel.EMAIL] = Timing.NOW
    if person.user_id not in numbers:
        timing[Channel.SMS] = Timing.OFF
    if all(value == Timing.OFF for value in timing.values()):
        return None
    return timing


def _notice(
    event, rule: Rule, person: Recipient, timing, template, context, permit, link, *, language: str
):
    """The person's notice of the event (not saved), rendered from the event's template in the
    person's language (an address without an account: the portal's), whoever's request or task
    this is."""
    with translation.override(language):
        values = context(person) if callable(context) else context
        rendered = render_email(template, {**values, "recipient": person})
    return Notice(
        event=event,
        recipient=person.key,
        user_id=person.user_id,
        email=person.email,
        permit=permit,
        group=rule.group,
        roles=",".join(sorted(person.roles)),
        subject=rendered["subject"],
        text=rendered["text"],
        html=rendered["html"],
        link=_path(link or values.get("url", "")),
        in_portal=bool(person.user_id) and timing[Channel.PORTAL] != Timing.OFF,
        can_turn_off=rule.can_turn_off,
    )


def _opted_out(addresses: list[str], group: str) -> set[str]:
    return set(
        AddressOptOut.objects.filter(email__in=addresses, group=group).values_list(
            "email", flat=True
        )
    )


def _path(url: str) -> str:
    base = settings.PORTAL_BASE_URL.rstrip("/")
    return url[len(base) :] if url.startswith(base) else url


def _supersede(notice: Notice, rule: Rule) -> None:
    """Earlier notices this event makes untrue, for the same person, not sent yet: dropped from
    their messages (a cancelled inspection's confirmation, fees due on a permit issued since)."""
    if not rule.supersedes:
        return
    event = notice.event
    same = (
        Q(event__content_type_id=event.content_type_id, event__object_id=event.object_id)
        if rule.same == "subject"
        else Q(permit_id=notice.permit_id)
    )
    if rule.same != "subject" and notice.permit_id is None:
        return
    earlier = (
        Notice.objects.filter(same, recipient=notice.recipient, event__type__in=rule.supersedes)
        .filter(superseded_by__isnull=True, messages__state=MessageState.OPEN)
        .exclude(pk=notice.pk)
        .exclude(messages__state__in=[s for s in MessageState.values if s != MessageState.OPEN])
        .distinct()
    )
    Notice.objects.filter(pk__in=list(earlier.values_list("pk", flat=True))).update(
        superseded_by=notice
    )


def _gather(notice: Notice, channel: str, address: str, timing: str, rule: Rule) -> Message:
    """The message this notice goes out in: the open one for the same person, channel and key
    (a permit's burst, the day's digest, a day's reminders of one kind), or a new one."""
    key, send_after = _key_of(notice, timing, rule, timezone.now())
    fields = {"channel": channel, "recipient": notice.recipient, "key": key}
    message = Message.objects.select_for_update().filter(state=MessageState.OPEN, **fields).first()
    if message is None:
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    **fields,
                    **_new_message(notice=notice, address=address, key=key, send_after=send_after),
                )
        except IntegrityError:  # another event on the permit made it meanwhile
            message = Message.objects.select_for_update().get(state=MessageState.OPEN, **fields)
    changes = _joined(message, notice)
    if changes:
        message.save(update_fields=changes)
    message.notices.add(notice)
    return message


def _key_of(notice: Notice, timing: str, rule: Rule, now: datetime) -> tuple[str, datetime]:
    """The key of the message a notice goes out in (a permit's burst, the day's digest, a day's
    reminders of one kind, the event alone) and when that message is due."""
    if timing == Timing.DIGEST:
        return "digest", next_digest_time(now)
    if not rule.can_turn_off:
        return f"event:{notice.event_id}", now
    if rule.gather == "daily":
        # The night's reminders of one kind wait for the digest hour in one message, however
        # long the workers take to tell them; one told later still waits a little for others.
        due = next_digest_time(notice.event.occurred_at)
        key = f"daily:{notice.event.type}:{timezone.localdate(due):%Y-%m-%d}"
        return key, max(due, now + timedelta(seconds=settings.NOTIFY_GATHER_SECONDS))
    if notice.permit_id:
        return f"permit:{notice.permit_id}", now + timedelta(seconds=settings.NOTIFY_GATHER_SECONDS)
    return f"event:{notice.event_id}", now  # nothing on a permit to gather it with: at once


def _new_message(*, notice: Notice, address: str, key: str, send_after: datetime) -> dict:
    """A new message's fields beyond its channel, recipient and key."""
    return {
        "user_id": notice.user_id,
        "address": address,
        "permit_id": notice.permit_id if key.startswith("permit:") else None,
        "group": notice.group,
        "can_turn_off": notice.can_turn_off,
        "send_after": send_after,
    }


def _joined(message: Message, notice: Notice) -> list[str]:
    """The notice joins the message: what changes on the message (its fields, not saved)."""
    changes = []
    if message.group and message.group != notice.group:
        message.group = ""  # several groups: its unsubscribe offers each
        changes.append("group")
    if message.can_turn_off and not notice.can_turn_off:
        message.can_turn_off = False
        changes.append("can_turn_off")
    return changes


def next_digest_time(now: datetime) -> datetime:
    """The next daily digest: NOTIFY_DIGEST_HOUR o'clock in the city's time zone."""
    local = timezone.localtime(now)
    at = timezone.make_aware(
        datetime.combine(local.date(), time(settings.NOTIFY_DIGEST_HOUR)), local.tzinfo
    )
    return at if at > local else at + timedelta(days=1)


def notices_mark_read(*, user, notice_ids: Iterable[int] | None = None, group: str = "") -> int:
    """Mark the user's notifications read: these, or all of them (of one group, if given)."""
    unread = Notice.objects.filter(user=user, in_portal=True, read_at__isnull=True)
    if group:
        unread = unread.filter(group=group)
    if notice_ids is not None:
        unread = unread.filter(pk__in=list(notice_ids))
    return unread.update(read_at=timezone.now())
