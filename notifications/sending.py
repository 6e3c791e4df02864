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
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

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


def register_blocker(blocker: Callable[[Message], str]) -> None:
    """`blocker(message)` gives a reason not to send it (shown as the message's detail) or ""."""
    if blocker not in _blockers:
        _blockers.append(blocker)


def message_send(*, message_id: int, now: datetime | None = None) -> bool:
    """Send one message if it is open and due: True when it went (or was dropped, nothing left
    in it to say). Raises what the channel raised, after counting the attempt."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            message = (
                Message.objects.select_for_update(skip_locked=True)
                .filter(pk=message_id, state=MessageState.OPEN, send_after__lte=now)
                .first()
            )
            if message is None:
                return False
            notices = list(
                message.notices.filter(superseded_by__isnull=True)
                .select_related("event", "permit")
                .order_by("created_at", "id")
            )
            if not notices:
                return _close(message, MessageState.DROPPED, "Every notice in it was superseded")
            for blocker in _blockers:
                reason = blocker(message)
                if reason:
                    return _close(message, MessageState.DROPPED, reason)
            try:
                provider_id = _senders[message.channel](message, notices)
            except NotSent as refused:
                message.attempts += 1
                message.save(update_fields=["attempts"])
                return _close(message, refused.state, refused.reason)
            _forget_secrets(notices)
            message.state = MessageState.SENT
            message.sent_at = timezone.now()
            message.provider_id = provider_id or ""
            message.attempts += 1
            message.detail = ""
            message.save(
                update_fields=[
                    "state",
                    "sent_at",
                    "provider_id",
                    "attempts",
                    "detail",
                    "subject",
                    "updated_at",
                ]
            )
            return True
    except Exception as error:
        _failed(message_id, error)
        raise


SENT_LINK_NOTE = (
    "This message held a one-time link. It was emailed; the portal does not keep a copy."
)


def _forget_secrets(notices: list[Notice]) -> None:
    """A one-time link leaves by its channel and is not kept (as core.outbox clears a sent
    message's arguments): the notice keeps its subject and a note."""
    secret = [notice.pk for notice in notices if RULES[notice.event.type].secret]
    if secret:
        Notice.objects.filter(pk__in=secret).update(text=SENT_LINK_NOTE, html="")


def _close(message: Message, state: str, detail: str) -> bool:
    message.state = state
    message.detail = detail[:300]
    message.save(update_fields=["state", "detail", "updated_at"])
    return True


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


def send_due_messages(*, now: datetime | None = None, batch: int = 500) -> int:
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
        for message_id in ids:
            try:
                sent += message_send(message_id=message_id, now=now)
            except TRANSIENT_MAIL_ERRORS:
                continue
            except Exception:
                logger.exception("message %s", message_id)
        last_id = ids[-1]


# Email -------------------------------------------------------------------------------------------


def compose(message: Message, notices: list[Notice]) -> dict[str, str]:
    """The subject, text and HTML of a message: one notice as it was rendered, or several
    listed (a permit's burst, the daily digest)."""
    if len(notices) == 1:
        only = notices[0]
        return {"subject": only.subject, "text": only.text, "html": only.html}
    permit = notices[0].permit if message.key.startswith("permit:") else None
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
    }
    subject = render_to_string("email/gathered_subject.txt", context)
    return {
        "subject": settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split()),
        "text": render_to_string("email/gathered_body.txt", context).strip() + "\n",
        "html": render_to_string("email/gathered_body.html", context),
    }


def send_email(message: Message, notices: list[Notice]) -> str:
    content = compose(message, notices)
    message.subject = content["subject"][:300]
    headers: dict[str, str] = {}
    for maker in _header_makers:
        headers.update(maker(message))
    email = mail.send_message({**content, "to": [message.address], "headers": headers})
    status = getattr(email, "anymail_status", None)
    return (getattr(status, "message_id", None) or "") if status else ""


register_sender(Channel.EMAIL, send_email)
