"""Sending a message once its time comes: the notices still true in it (one: as it was rendered;
several: one message listing them), on its channel, once. The beat's `send_due_messages` sends
what is due (a burst's few minutes passed, the digest's hour come), and picks up any message a
crash or an outage left; a failed send is tried again with backoff and then given up as Failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.language import languages_of
from core import mail
from core.mail import TRANSIENT_MAIL_ERRORS, absolute_url

from .catalogue import RULES, Channel, Group
from .models import Message, MessageState, Notice

logger = logging.getLogger("portal.notifications")

MAX_ATTEMPTS = 10
# A gathered message lists this many notices in full; the rest are on the Notifications page.
LISTED = 50

# How a channel sends a message: `sender(message, notices) -> provider id`. Email is here;
# notifications.sms registers text messages.
Sender = Callable[[Message, list[Notice]], str]
_senders: dict[str, Sender] = {}
# Extra headers for an email (notifications.unsubscribe: List-Unsubscribe), and whether an
# address may be sent to at all (a bounced address: notifications.tracking).
_header_makers: list[Callable[[Message], dict[str, str]]] = []
_blockers: list[Callable[[Message], str]] = []
_batch_blockers: list[Callable[[list[Message]], dict[int, str]]] = []
# Changes to an email's content as it leaves, before its headers are made (notifications.
# unsubscribe: the footer of one that can be turned off): `change(message, notices, content)`.
ContentChange = Callable[[Message, list[Notice], dict[str, str]], dict[str, str]]
_content_changes: list[ContentChange] = []


class NotSent(Exception):
    """A sender's answer that this message will never go (the provider refuses the address for
    good): the message is closed with the reason instead of tried again, and what the sender
    wrote before raising (e.g. the number marked opted out) is kept."""

    def __init__(self, reason: str, *, state: str = MessageState.FAILED) -> None:
        super().__init__(reason)
        self.reason = reason
        self.state = state


def register_sender(channel: str, sender: Sender) -> None:
    _senders[channel] = sender


def register_email_headers(maker: Callable[[Message], dict[str, str]]) -> None:
    if maker not in _header_makers:
        _header_makers.append(maker)


def register_email_content(change: ContentChange) -> None:
    if change not in _content_changes:
        _content_changes.append(change)


def register_blocker(blocker: Callable[[Message], str]) -> None:
    """`blocker(message)` gives a reason not to send it (shown as the message's detail) or ""."""
    if blocker not in _blockers:
        _blockers.append(blocker)


def register_batch_blocker(blocker: Callable[[list[Message]], dict[int, str]]) -> None:
    """`blocker(messages)` gives {message id: reason not to send it} for a batch at once: one
    query for the lot, where a blocker that reads the database would cost one per message (a
    digest is 100,000 of them)."""
    if blocker not in _batch_blockers:
        _batch_blockers.append(blocker)


def message_send(*, message_id: int, now: datetime | None = None) -> bool:
    """Send one message if it is open and due: True when it went (or was dropped, nothing left
    in it to say). Raises what the channel raised, after counting the attempt."""
    sent, failures = _send_batch([message_id], now or timezone.now())
    for _, error in failures:
        raise error
    return bool(sent)


def _send_batch(message_ids: list[int], now: datetime) -> tuple[int, list]:
    """Send the due messages among these, in one transaction: each locked (a message another
    worker holds is skipped), its notices read for the lot at once, its state saved together.
    A message whose channel fails is counted and left for its next try; the others go. A crash
    before the commit sends the batch's messages again: the same at-least-once as a crash
    between a send and its record, so batches stay small."""
    failures: list[tuple[int, Exception]] = []
    done: list[Message] = []
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A commit lost in a crash is a message sent twice, never one lost: the record of
            # sending need not wait for the disk (a digest is 100,000 of them).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        messages = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(pk__in=message_ids, state=MessageState.OPEN, send_after__lte=now)
            .order_by("pk")
        )
        if not messages:
            return 0, []
        live: dict[int, list[Notice]] = {message.pk: [] for message in messages}
        through = Message.notices.through.objects.filter(
            message_id__in=list(live), notice__superseded_by__isnull=True
        ).select_related("notice__event", "notice__permit")
        for row in through.order_by("notice__created_at", "notice_id"):
            live[row.message_id].append(row.notice)
        # Each message is written in its person's language (an address without an account:
        # the portal's), from the beat's task as from a request.
        languages = languages_of(message.user_id for message in messages)
        held: dict[int, str] = {}
        for batch_blocker in _batch_blockers:
            held.update(batch_blocker(messages))
        for message in messages:
            notices = live[message.pk]
            if not notices:
                _mark(message, MessageState.DROPPED, "Every notice in it was superseded")
                done.append(message)
                continue
            reason = held.get(message.pk) or next(
                (r for r in (blocker(message) for blocker in _blockers) if r), ""
            )
            if reason:
                _mark(message, MessageState.DROPPED, reason)
                done.append(message)
                continue
            language = languages.get(message.user_id, settings.LANGUAGE_CODE)
            try:
                with translation.override(language):
                    provider_id = _senders[message.channel](message, notices)
            except NotSent as refused:
                # Never going: closed with the reason, what the sender recorded kept.
                message.attempts += 1
                _mark(message, refused.state, refused.reason)
                done.append(message)
                continue
            except Exception as error:
                failures.append((message.pk, error))
                continue
            _forget_secrets(notices)
            _mark(message, MessageState.SENT, "", provider_id=provider_id or "", sent=True)
            done.append(message)
        if done:
            _save_states(done)
    for message_id, error in failures:
        _failed(message_id, error)
    return sum(1 for message in done if message.state == MessageState.SENT), failures


def _save_states(messages: list[Message]) -> None:
    """Each message's new state, one statement per message sent in one round trip (psycopg's
    pipeline); Django's bulk_update built a CASE per field per row and cost more than the
    sending."""
    table = Message._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET state = %s, detail = %s, sent_at = %s, provider_id = %s, "  # noqa: S608 (the model's own table name)
            "attempts = %s, subject = %s, updated_at = %s WHERE id = %s",
            [
                (
                    m.state,
                    m.detail,
                    m.sent_at,
                    m.provider_id,
                    m.attempts,
                    m.subject,
                    m.updated_at,
                    m.pk,
                )
                for m in messages
            ],
        )


def _mark(
    message: Message, state: str, detail: str, *, provider_id: str = "", sent: bool = False
) -> None:
    message.state = state
    message.detail = detail[:300]
    message.updated_at = timezone.now()
    if sent:
        message.sent_at = message.updated_at
        message.provider_id = provider_id
        message.attempts += 1


SENT_LINK_NOTE = (
    "This message held a one-time link. It was emailed; the portal does not keep a copy."
)


def _forget_secrets(notices: list[Notice]) -> None:
    """A one-time link leaves by its channel and is not kept (as core.outbox clears a sent
    message's arguments): the notice keeps its subject and a note."""
    secret = [notice.pk for notice in notices if RULES[notice.event.type].secret]
    if secret:
        Notice.objects.filter(pk__in=secret).update(text=SENT_LINK_NOTE, html="")


def _failed(message_id: int, error: Exception) -> None:
    """Count the attempt; try again later with backoff, and give up after MAX_ATTEMPTS."""
    message = Message.objects.filter(pk=message_id, state=MessageState.OPEN).first()
    if message is None:
        return
    message.attempts += 1
    message.detail = f"{type(error).__name__}: {error}"[:300]
    if message.attempts >= MAX_ATTEMPTS:
        message.state = MessageState.FAILED
    else:
        delay = min(30 * 2 ** (message.attempts - 1), 30 * 60)
        message.send_after = timezone.now() + timedelta(seconds=delay)
    message.save(update_fields=["attempts", "detail", "state", "send_after", "updated_at"])
    logger.warning("message %s not sent: %s", message_id, message.detail)


def send_due_messages(*, now: datetime | None = None, batch: int = 100) -> int:
    """Send every open message whose time has come, a batch at a time (bounded memory); a
    message that fails is left for its next try. Returns how many went."""
    now = now or timezone.now()
    sent = 0
    last_id = 0
    while True:
        ids = list(
            Message.objects.filter(state=MessageState.OPEN, send_after__lte=now, pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return sent
        went, failures = _send_batch(ids, now)
        sent += went
        for message_id, error in failures:
            if not isinstance(error, TRANSIENT_MAIL_ERRORS):
                logger.error("message %s: %s", message_id, error, exc_info=error)
        last_id = ids[-1]


# Email -------------------------------------------------------------------------------------------


def compose(message: Message, notices: list[Notice]) -> dict[str, str]:
    """The subject, text and HTML of a message: one notice as it was rendered, or several
    listed (a permit's burst, the daily digest; a day's reminders of one kind, a line each)."""
    if len(notices) == 1:
        only = notices[0]
        return {"subject": only.subject, "text": only.text, "html": only.html}
    permit = notices[0].permit if message.key.startswith("permit:") else None
    # "daily:<event type>:<day>" (notifications.services._gather)
    reminders = message.key.split(":")[1] if message.key.startswith("daily:") else ""
    template = "email/gathered_reminders" if reminders else "email/gathered"
    context = {
        "CITY_NAME": settings.CITY_NAME,
        "CITY_OFFICE_PHONE": settings.CITY_OFFICE_PHONE,
        "digest": message.key == "digest",
        "permit": permit,
        "notices": [
            (notice, absolute_url(notice.link) if notice.link else "")
            for notice in notices[:LISTED]
        ],
        "more": max(0, len(notices) - LISTED),
        "count": len(notices),
        "notifications_url": absolute_url(reverse("notifications:list")),
        "groups": dict(Group.choices),
        "reminders": reminders,
        "prefix": mail.subject_prefix(),
        "records_url": absolute_url(reverse("permits:my_records")) + "?status=issued",
    }
    subject = render_to_string(f"{template}_subject.txt", context)
    return {
        "subject": mail.subject_prefix() + " ".join(subject.split()),
        "text": render_to_string(f"{template}_body.txt", context).strip() + "\n",
        "html": render_to_string(f"{template}_body.html", context),
    }


def send_email(message: Message, notices: list[Notice]) -> str:
    content = compose(message, notices)
    for change in _content_changes:
        content = change(message, notices, content)
    message.subject = content["subject"][:300]
    headers: dict[str, str] = {}
    for maker in _header_makers:
        headers.update(maker(message))
    email = mail.send_message({**content, "to": [message.address], "headers": headers})
    status = getattr(email, "anymail_status", None)
    return (getattr(status, "message_id", None) or "") if status else ""


register_sender(Channel.EMAIL, send_email)
