"""Domain events: one record of what happened, heard by subscribers.

Every change a person or another system should hear of is recorded as one `Event` (its type from
the catalogue below, the record it happened to, who did it, when, and a small payload of ids and
values) in the same transaction as the change: a rollback takes the event with it. The status
machine records each move; services record the rest (`event_record`).

Apps subscribe to event types (`@subscriber("permit.issued", ...)` in their `subscribers.py`,
imported by their AppConfig.ready). After the commit each subscriber hears the event on its own:
a delivery per subscriber, queued through the outbox (core.outbox: nothing lost while the broker
is down) and retried with backoff when it fails; one failing never undoes the change or keeps the
others from hearing it. `EventDelivery` keeps each one's state (and makes a duplicate a no-op).

An event is linked to the records it is about (`EventLink`: its subject, and e.g. the permit of a
fee): a permit's history is every event linked to it (`events_about`).

Adding an event: a line in CATALOGUE (its name, what a person reads in a history), then
`event_record(...)` where it happens, or a status in a model's STATUS_EVENTS. Adding a subscriber:
a function taking the event, decorated with `@subscriber(...)`, in an app's `subscribers.py`.
docs/architecture.md lists who hears each event (tests/core/test_events.py keeps it true).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from celery import shared_task
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from .mail import enqueue_after_commit
from .models import Event, EventDelivery, EventLink

logger = logging.getLogger("portal.events")

# Every event the portal records: its name and what a person reads in a history.
CATALOGUE: dict[str, Any] = {
    # Accounts and licenses
    "account.registered": _("Registered"),
    "account.second_factor_locked": _("Second factor locked after wrong codes"),
    "account.authenticator_link_sent": _("Authenticator set-up link sent"),
    "license.status_changed": _("License status changed"),
    "license_link.requested": _("License link requested"),
    "license_link.decided": _("License link decided"),
    "license_link.status_changed": _("License link status changed"),
    "license.expiring": _("License expiry reminder sent"),
    # Permits
    "permit.status_changed": _("Status changed"),
    "permit.issued": _("Permit issued"),
    "permit.expired": _("Permit expired"),
    "permit.finaled": _("Permit finaled"),
    "permit.cancelled": _("Permit cancelled"),
    "permit.contact_invited": _("Contact invited"),
    "permit.expiring": _("Expiry reminder sent"),
    "permit.inactive": _("No-inspection reminder sent"),
    "card.revised": _("Permit card revised"),
    # Fees and payments
    "fee.status_changed": _("Fee status changed"),
    "fee.assessed": _("Fees assessed"),
    "fee.adjusted": _("Fee adjusted"),
    "fee.waived": _("Fee waived"),
    "fee.paid": _("Fee paid"),
    "payment.status_changed": _("Payment status changed"),
    "payment.completed": _("Payment completed"),
    "payment.refunded": _("Payment refunded"),
    "trust.low_balance": _("Trust account below its alert"),
    "trust.deposited": _("Trust account deposit"),
    "trust.below_threshold": _("Reminder: trust account below its alert"),
    # Applications and plan review
    "application_form.status_changed": _("Application form status changed"),
    "application.status_changed": _("Application status changed"),
    "application.submitted": _("Application submitted"),
    "application.accepted": _("Application accepted"),
    "application.returned": _("Application returned"),
    "application.withdrawn": _("Application withdrawn"),
    "application.draft_lapsing": _("Draft about to lapse"),
    "submission.status_changed": _("Submission decided"),
    "review.status_changed": _("Review status changed"),
    "review.assigned": _("Review assigned"),
    "review.decided": _("Review decided"),
    "review_cycle.decided": _("Review cycle decided"),
    "corrections.resubmitted": _("Corrections resubmitted"),
    "condition.answered": _("Condition answered"),
    "condition.met": _("Condition met"),
    # Inspections
    "inspection.status_changed": _("Inspection status changed"),
    "inspection.requested": _("Inspection requested"),
    "inspection.scheduled": _("Inspection scheduled"),
    "inspection.cancelled": _("Inspection cancelled"),
    "inspection.resulted": _("Inspection resulted"),
}

Handler = Callable[[Event], None]
_subscribers: dict[str, list[str]] = defaultdict(list)
# Subscribers that hear a list of events at once (`subscriber(..., many=True)`).
_many: set[str] = set()
# The most events one delivery to such a subscriber hands it.
DELIVERY_BATCH = 500
# Subscribers that are part of the change itself: called as the event is recorded, in its
# transaction (an error rolls the change back).
_within: dict[str, list[Handler]] = defaultdict(list)


class UnknownEvent(LookupError):
    """A programming error: an event type the catalogue does not name."""


def subscriber(
    *types: str, within_transaction: bool = False, many: bool = False
) -> Callable[[Handler], Handler]:
    """Register the decorated function to hear events of these types: after their commit, one
    delivery each, retried when it fails (it may send mail, call out, write records of its own;
    it never changes what the event recorded). With `within_transaction`, it is part of the
    change instead: called as the event is recorded, in the same transaction, so that what it
    does commits or rolls back with the change (plan review's first cycle opens as an
    application is accepted).

    With `many`, the function takes a list of events: the events recorded together
    (`events_record_many`: a reminder job's batch) reach it in deliveries of up to
    DELIVERY_BATCH, so it can tell of them at a cost per batch, not per event; an event
    recorded alone, or delivered again alone, is a list of one. It must be safe to call again
    with events it has heard (a retried batch): each event's delivery is still recorded as its
    own."""

    def register(handler: Handler) -> Handler:
        name = f"{handler.__module__}.{handler.__qualname__}"
        if many:
            _many.add(name)
        for event_type in types:
            if event_type not in CATALOGUE:
                raise UnknownEvent(f"{name} subscribes to {event_type!r}, not in the catalogue")
            if within_transaction:
                if handler not in _within[event_type]:
                    _within[event_type].append(handler)
            elif name not in _subscribers[event_type]:
                _subscribers[event_type].append(name)
        return handler

    return register


def subscribers_of(event_type: str) -> list[str]:
    return list(_subscribers.get(event_type, ()))


def subscriptions() -> dict[str, list[str]]:
    """Every event type with the subscribers that hear it, those within its transaction first
    (docs/architecture.md's table)."""
    return {
        event_type: [
            *(f"{h.__module__}.{h.__qualname__}" for h in _within.get(event_type, ())),
            *subscribers_of(event_type),
        ]
        for event_type in CATALOGUE
    }


def event_record(
    event_type: str,
    *,
    subject: models.Model,
    actor=None,
    about: Iterable[models.Model | None] = (),
    at=None,
    **payload: Any,
) -> Event:
    """Record that `event_type` happened to `subject` (by `actor`, a user or None for the
    portal), in the current transaction, linked to `subject` and to the records in `about`
    (e.g. a fee's permit); each subscriber hears it after the commit. `payload` is small: ids
    and values, never a secret."""
    if event_type not in CATALOGUE:
        raise UnknownEvent(f"{event_type!r} is not in the catalogue (core.events.CATALOGUE)")
    event = Event.objects.create(
        type=event_type,
        content_type=ContentType.objects.get_for_model(type(subject)),
        object_id=subject.pk,
        actor=actor if getattr(actor, "pk", None) else None,
        payload=payload,
        **({"occurred_at": at} if at else {}),
    )
    links = {(event.content_type_id, subject.pk)}
    for record in about:
        if record is not None and record.pk is not None:
            links.add((ContentType.objects.get_for_model(type(record)).pk, record.pk))
    EventLink.objects.bulk_create(
        [EventLink(event=event, content_type_id=ct, object_id=pk) for ct, pk in sorted(links)]
    )
    for handler in _within.get(event_type, ()):
        handler(event)
    for name in subscribers_of(event_type):
        deliver_after_commit(event.pk, name)
    return event


@dataclass(frozen=True)
class EventSpec:
    """One event for `events_record_many` (the arguments of `event_record`)."""

    event_type: str
    subject: models.Model
    actor: Any = None
    about: tuple = ()
    at: Any = None
    payload: dict = field(default_factory=dict)


def events_record_many(specs: list[EventSpec]) -> list[Event]:
    """`event_record` for many events at once (an import's thousands of moves): three queries
    for the lot, each subscriber hearing each event after the commit as usual."""
    unknown = {spec.event_type for spec in specs} - set(CATALOGUE)
    if unknown:
        raise UnknownEvent(f"{sorted(unknown)} not in the catalogue (core.events.CATALOGUE)")
    now = timezone.now()
    content_types = ContentType.objects.get_for_models(
        *{type(record) for spec in specs for record in (spec.subject, *spec.about) if record}
    )
    events = Event.objects.bulk_create(
        [
            Event(
                type=spec.event_type,
                content_type=content_types[type(spec.subject)],
                object_id=spec.subject.pk,
                actor=spec.actor if getattr(spec.actor, "pk", None) else None,
                occurred_at=spec.at or now,
                payload=spec.payload,
            )
            for spec in specs
        ],
        batch_size=2000,
    )
    links = []
    for event, spec in zip(events, specs, strict=True):
        pairs = {(content_types[type(spec.subject)].pk, spec.subject.pk)}
        pairs |= {
            (content_types[type(record)].pk, record.pk)
            for record in spec.about
            if record is not None and record.pk is not None
        }
        links += [EventLink(event=event, content_type_id=ct, object_id=pk) for ct, pk in pairs]
    EventLink.objects.bulk_create(links, batch_size=2000)
    together: dict[str, list[int]] = defaultdict(list)
    for event in events:
        for handler in _within.get(event.type, ()):
            handler(event)
        for name in subscribers_of(event.type):
            if name in _many:
                together[name].append(event.pk)
            else:
                deliver_after_commit(event.pk, name)
    for name, event_ids in together.items():
        for start in range(0, len(event_ids), DELIVERY_BATCH):
            deliver_many_after_commit(event_ids[start : start + DELIVERY_BATCH], name)
    return events


def events_about(record: models.Model):
    """The events linked to `record`, newest first (its history)."""
    return (
        Event.objects.filter(
            links__content_type=ContentType.objects.get_for_model(type(record)),
            links__object_id=record.pk,
        )
        .select_related("actor", "content_type")
        .order_by("-occurred_at", "-id")
    )


# Delivery -------------------------------------------------------------------------------------

# A failed delivery is tried again after 30 s, then twice as long each time up to 30 minutes.
RETRY_BACKOFF_SECONDS = 30
RETRY_BACKOFF_MAX_SECONDS = 30 * 60
MAX_ATTEMPTS = 10


def event_deliver(*, event_id: int, subscriber_name: str) -> bool:
    """Hand one event to one subscriber, once: True when it has heard it (now or before).
    Raises what the subscriber raised, after recording the attempt."""
    event = Event.objects.filter(pk=event_id).select_related("content_type").first()
    if event is None:
        return True  # its change was rolled back after all (never the case after a commit)
    delivery, _ = EventDelivery.objects.get_or_create(event=event, subscriber=subscriber_name)
    if delivery.delivered_at is not None:
        return True
    delivery.attempts += 1
    try:
        handler = import_string(subscriber_name)
        if subscriber_name in _many:
            handler([event])
        else:
            handler(event)
    except Exception as error:
        delivery.last_error = f"{type(error).__name__}: {error}"[:300]
        delivery.save(update_fields=["attempts", "last_error"])
        raise
    delivery.delivered_at = timezone.now()
    delivery.last_error = ""
    delivery.save(update_fields=["attempts", "delivered_at", "last_error"])
    return True


def events_deliver(*, event_ids: list[int], subscriber_name: str) -> int:
    """`event_deliver` for a batch, to a subscriber that hears many at once: the events of
    `event_ids` it has not heard yet, in one call, each event's delivery kept as its own
    (attempts, the last error, when it was heard) in a few queries for the lot. Returns how many
    it heard now; raises what the subscriber raised, after recording the attempt."""
    EventDelivery.objects.bulk_create(
        [EventDelivery(event_id=pk, subscriber=subscriber_name) for pk in event_ids],
        ignore_conflicts=True,
    )
    pending = EventDelivery.objects.filter(
        event_id__in=event_ids, subscriber=subscriber_name, delivered_at__isnull=True
    )
    waiting = list(pending.values_list("event_id", flat=True))
    if not waiting:
        return 0
    deliveries = EventDelivery.objects.filter(event_id__in=waiting, subscriber=subscriber_name)
    deliveries.update(attempts=models.F("attempts") + 1)
    events = list(
        Event.objects.filter(pk__in=waiting).select_related("content_type").order_by("pk")
    )
    try:
        import_string(subscriber_name)(events)
    except Exception as error:
        deliveries.update(last_error=f"{type(error).__name__}: {error}"[:300])
        raise
    deliveries.update(delivered_at=timezone.now(), last_error="")
    return len(events)


def retry_delay(retries: int) -> int:
    """Seconds before the next try of a delivery that failed `retries` times already."""
    return min(RETRY_BACKOFF_SECONDS * 2**retries, RETRY_BACKOFF_MAX_SECONDS)


@shared_task(bind=True, max_retries=MAX_ATTEMPTS - 1, ignore_result=True)
def deliver_event(self, event_id: int, subscriber_name: str) -> None:
    """One subscriber hears one event (queued through the outbox after the event's commit); a
    failure (the mail server, the database restarting under the worker, a bug) is tried again
    with backoff, and reported after the last try."""
    try:
        event_deliver(event_id=event_id, subscriber_name=subscriber_name)
    except Exception as error:
        raise self.retry(exc=error, countdown=retry_delay(self.request.retries)) from error


@shared_task(bind=True, max_retries=MAX_ATTEMPTS - 1, ignore_result=True)
def deliver_events(self, event_ids: list[int], subscriber_name: str) -> None:
    """`deliver_event` for a batch of events to a subscriber that hears many at once."""
    try:
        events_deliver(event_ids=event_ids, subscriber_name=subscriber_name)
    except Exception as error:
        raise self.retry(exc=error, countdown=retry_delay(self.request.retries)) from error


def deliver_after_commit(event_id: int, subscriber_name: str) -> None:
    """Queue a delivery for after the commit: through the outbox to a worker; without a broker
    (the demo, the tests), in-process right after the commit, where a failure is recorded and
    logged and the request that made the change carries on (`manage.py deliver_events` tries
    again)."""
    if deliver_event.app.conf.task_always_eager:
        transaction.on_commit(partial(_deliver_in_process, event_id, subscriber_name))
    else:
        enqueue_after_commit(deliver_event, event_id, subscriber_name)


def deliver_many_after_commit(event_ids: list[int], subscriber_name: str) -> None:
    """`deliver_after_commit` for a batch, to a subscriber that hears many at once: one task."""
    if deliver_events.app.conf.task_always_eager:
        transaction.on_commit(partial(_deliver_many_in_process, event_ids, subscriber_name))
    else:
        enqueue_after_commit(deliver_events, event_ids, subscriber_name)


def _deliver_many_in_process(event_ids: list[int], subscriber_name: str) -> None:
    try:
        events_deliver(event_ids=event_ids, subscriber_name=subscriber_name)
    except Exception:
        logger.exception("%s did not hear events %s", subscriber_name, event_ids)


def _deliver_in_process(event_id: int, subscriber_name: str) -> None:
    try:
        event_deliver(event_id=event_id, subscriber_name=subscriber_name)
    except Exception:
        logger.exception("%s did not hear event %s", subscriber_name, event_id)


def deliveries_retry(*, older_than: timedelta = timedelta(minutes=5)) -> int:
    """Queue again the deliveries that failed and were given up (or ran in-process), so that a
    subscriber fixed since hears what it missed (`manage.py deliver_events`)."""
    cutoff = timezone.now() - older_than
    failed = EventDelivery.objects.filter(
        delivered_at__isnull=True, created_at__lt=cutoff
    ).values_list("event_id", "subscriber")
    count = 0
    together: dict[str, list[int]] = defaultdict(list)
    for event_id, name in failed:
        if name in _many:
            together[name].append(event_id)  # a subscriber that hears many: in batches again
            continue
        with transaction.atomic():
            deliver_after_commit(event_id, name)
        count += 1
    for name, event_ids in together.items():
        for start in range(0, len(event_ids), DELIVERY_BATCH):
            with transaction.atomic():
                deliver_many_after_commit(event_ids[start : start + DELIVERY_BATCH], name)
        count += len(event_ids)
    return count
