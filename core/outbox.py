"""The transactional outbox between the portal's database and the Celery broker.

`core.mail.enqueue_after_commit` writes what a task is to run (its name and arguments) as an
`OutboxTask` row in the same transaction as the change that asked for it: a rollback drops the
row with the change, a commit keeps it even if Redis is down at that moment. Right after the
commit the web process publishes it once; a row the broker did not take is published later by
the relay (`manage.py relay_outbox`, its own process; and every minute from Celery beat while the
broker is up), with exponential backoff, so nothing enqueued while Redis is down is lost.

Each row is published at most once by the relays and web processes together: the publisher
locks the row (`SELECT ... FOR UPDATE SKIP LOCKED`: a second relay or a web process skips a row
another one holds), publishes it with the row's id as the Celery task id and marks it sent in the
same transaction. One window is left, as in every outbox: a process that dies after the broker
took the message and before its commit leaves the row pending, and it is published again under
the same task id. For email, a rare duplicate is the lesser harm; a lost message is the one this
module exists to prevent.

Why not django-celery-outbox (evaluated, 0.4.x): it replaces the Celery app class, so every
publish goes through it unless a setting exempts the task; it brings sentry-sdk, datadog and
structlog into a portal that uses none of them; it needs SKIP LOCKED, which SQLite (the demo,
the fast test suite) lacks; and it is a young 0.x release. What an outbox needs is already here
in maintained libraries: Celery's `send_task(..., task_id=..., retry=False)` and kombu's
`ensure_connection(max_retries=0)` (publish by name under a chosen id, failing at once when the
broker is down instead of keeping a request waiting), Celery's own exponential backoff
(`get_exponential_backoff_interval`, the one MAIL_RETRY's retries use) and Django's
`select_for_update(skip_locked=True)`. This module is the hundred lines that join them.

In eager mode (no broker: the demo, the tests) nothing is written here: tasks run in-process
after the commit, as before.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, Literal

from celery import current_app
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import OutboxTask

logger = logging.getLogger("portal.outbox")

# The first retry waits this long; each one after doubles it, up to OUTBOX_BACKOFF_MAX_SECONDS.
BACKOFF_SECONDS = 5

Outcome = Literal["sent", "failed", "skipped"]


def outbox_enqueue(*, task: Any, args: Sequence[Any]) -> OutboxTask:
    """Write the task intent in the current transaction and publish it once that commits."""
    intent = OutboxTask.objects.create(task_name=task.name, args=list(args))
    transaction.on_commit(partial(_publish_after_commit, intent.pk))
    return intent


def _publish_after_commit(intent_id: uuid.UUID) -> None:
    # The change is committed and its task kept: whatever goes wrong now (the broker, or the
    # database itself gone since the commit), the relay publishes the row later, and the
    # request that made the change must not fail for it.
    try:
        outbox_publish(intent_id=intent_id)
    except Exception:
        logger.exception("queued task %s not published now; the relay will send it", intent_id)


def outbox_publish(*, intent_id: uuid.UUID) -> Outcome:
    """Publish one pending task to the broker under its own id: "sent", "failed" (kept, with
    its next try pushed back), or "skipped" (already sent, or another process holds it)."""
    with transaction.atomic():
        intent = (
            OutboxTask.objects.select_for_update(skip_locked=True)
            .filter(pk=intent_id, sent_at__isnull=True)
            .first()
        )
        if intent is None:
            return "skipped"
        intent.attempts += 1
        try:
            broker_publish(name=intent.task_name, args=intent.args, task_id=str(intent.pk))
        except Exception as error:  # any failure to hand it over: try again later
            delay = get_exponential_backoff_interval(
                factor=BACKOFF_SECONDS,
                retries=intent.attempts - 1,
                maximum=settings.OUTBOX_BACKOFF_MAX_SECONDS,
                full_jitter=False,
            )
            intent.next_attempt_at = timezone.now() + timedelta(seconds=delay)
            intent.last_error = f"{type(error).__name__}: {error}"[:300]
            intent.save(update_fields=["attempts", "next_attempt_at", "last_error"])
            logger.warning(
                "broker did not take %s %s (attempt %d): %s; next try in %d s",
                intent.task_name,
                intent.pk,
                intent.attempts,
                intent.last_error,
                delay,
            )
            return "failed"
        intent.sent_at = timezone.now()
        intent.last_error = ""
        # A sent task needs its arguments no more, and a password reset link must not outlive
        # its email in a table that staff can read.
        intent.args = []
        intent.save(update_fields=["attempts", "sent_at", "last_error", "args"])
        return "sent"


def broker_publish(*, name: str, args: list[Any], task_id: str) -> None:
    """Hand one task to the broker, or raise at once if it is down: kombu would otherwise go on
    reconnecting for broker_connection_timeout seconds, while a request waits on it (the relay
    tries again later anyway)."""
    with current_app.producer_or_acquire() as producer:
        producer.connection.ensure_connection(max_retries=0)
        current_app.send_task(name, args=args, task_id=task_id, retry=False, producer=producer)


@dataclass(frozen=True)
class RelayPass:
    sent: int
    failed: int
    pending: int
    pruned: int


def outbox_relay(*, batch: int = 100) -> RelayPass:
    """Publish the tasks whose time has come, oldest first; stop at the first the broker
    refuses (it is down: the others wait for the next pass rather than each counting a failed
    try). Sent rows older than OUTBOX_KEEP_DAYS are deleted."""
    now = timezone.now()
    due = list(
        OutboxTask.objects.filter(sent_at__isnull=True, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "created_at")
        .values_list("pk", flat=True)[:batch]
    )
    sent = failed = 0
    for intent_id in due:
        outcome = outbox_publish(intent_id=intent_id)
        if outcome == "sent":
            sent += 1
        elif outcome == "failed":
            failed += 1
            break
    pruned, _ = OutboxTask.objects.filter(
        sent_at__lt=now - timedelta(days=settings.OUTBOX_KEEP_DAYS)
    ).delete()
    pending = OutboxTask.objects.filter(sent_at__isnull=True).count()
    return RelayPass(sent=sent, failed=failed, pending=pending, pruned=pruned)
