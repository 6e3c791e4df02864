"""Reminders (Celery beat, daily): telling people before something lapses. A permit expiring
(PERMIT_EXPIRY_REMINDER_DAYS before its date), an issued permit with no inspection for
PERMIT_INACTIVITY_REMINDER_DAYS (before it lapses for inactivity), a contractor license expiring
(LICENSE_EXPIRY_REMINDER_DAYS before), a trust account under the alert its Manager set.

Each is sent once per threshold: a `Reminder` row (unique per kind, object and threshold) and
its event are written in one transaction, so a job run twice, two runs at once or a run again
after a crash records nothing twice (the second run finds the row, or fails on the constraint
and reads again). A threshold names the date it is about, so a permit renewed is reminded again
before its new date; one found inside its window late (imported, or the job did not run) is
reminded once, at the nearest threshold still ahead (never "30 days" and "7 days" on one day).

The jobs read candidates a batch at a time by id and record each batch's events at once
(`events_record_many`): memory and transactions stay small for the contractor with 50,000
permits. The subscribers (notifications.subscribers.reminders) check that a reminder still holds
when they hear it and tell the people; the catalogue's `gather="daily"` makes one person's
reminders of one kind on one day one message.

The draft reminder (application.draft_lapsing) stays the applications app's daily job, which
already reminds once per lapse date (Application.reminded_on, written with its event, cleared
when the draft is saved); its event is recorded here too (subscribers.reminders), so that this
table lists every reminder sent.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import DecimalField, Exists, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.utils import timezone

from core.events import EventSpec, events_record_many
from inspections.models import Inspection, InspectionStatus
from licenses.models import License, LicenseStatus
from payments.models import TrustAccount
from permits.models import Permit, PermitStatus

from .models import Reminder

BATCH = 500
# A trust account's one reminder while it stays under its alert.
BELOW_ALERT = "below its alert"


@dataclass(frozen=True)
class Due:
    """One reminder due: its object, which threshold, and the event's payload."""

    subject: models.Model
    threshold: str
    payload: dict[str, Any]


def threshold_for(days_left: int, thresholds: Iterable[int]) -> int | None:
    """The reminder due for a date `days_left` away: the nearest threshold at or beyond it."""
    ahead = [days for days in thresholds if days_left <= days]
    return min(ahead) if ahead else None


def remind(kind: str, batches: Iterable[list[Due]], *, today: datetime.date) -> int:
    """Record each due reminder not recorded yet: its row and its event, a batch per
    transaction. Returns how many were recorded."""
    return sum(_remind_batch(kind, batch, today=today) for batch in batches if batch)


def _remind_batch(kind: str, batch: list[Due], *, today: datetime.date) -> int:
    for attempt in range(2):
        try:
            with transaction.atomic():
                told = set(
                    Reminder.objects.filter(
                        kind=kind,
                        object_id__in=[due.subject.pk for due in batch],
                        cleared_on__isnull=True,
                    ).values_list("object_id", "threshold")
                )
                new = [due for due in batch if (due.subject.pk, due.threshold) not in told]
                if not new:
                    return 0
                events = events_record_many(
                    [EventSpec(kind, subject=due.subject, payload=due.payload) for due in new]
                )
                # The guard: a run at the same moment that recorded one of these fails here,
                # and its events roll back with it.
                Reminder.objects.bulk_create(
                    [
                        Reminder(
                            kind=kind,
                            object_id=due.subject.pk,
                            threshold=due.threshold,
                            sent_on=today,
                            event=event,
                        )
                        for due, event in zip(new, events, strict=True)
                    ]
                )
            return len(new)
        except IntegrityError:
            if attempt:
                raise
    return 0  # pragma: no cover (the loop returns or raises)


def _pages(queryset: models.QuerySet, fields: tuple[str, ...], size: int) -> Iterator[list]:
    """The queryset's rows (`fields`, the id first) a page at a time, in id order."""
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk").values_list(*fields)[:size])
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _before(days: int, on: datetime.date) -> str:
    return f"{days} days before {on:%Y-%m-%d}"


# Permits expiring --------------------------------------------------------------------------------


def permits_expiring_remind(*, today: datetime.date | None = None, batch: int = BATCH) -> int:
    """Issued permits whose expiry is PERMIT_EXPIRY_REMINDER_DAYS away (30 and 7): "permit.
    expiring", once per threshold and expiry date."""
    today = today or timezone.localdate()
    thresholds = sorted(set(settings.PERMIT_EXPIRY_REMINDER_DAYS))
    if not thresholds:
        return 0
    permits = Permit.objects.filter(
        status=PermitStatus.ISSUED,
        expires_on__gte=today,
        expires_on__lte=today + datetime.timedelta(days=thresholds[-1]),
    )

    def batches() -> Iterator[list[Due]]:
        for rows in _pages(permits, ("pk", "expires_on"), batch):
            yield [
                Due(
                    Permit(pk=pk),
                    _before(days, expires_on),
                    {"expires_on": expires_on.isoformat(), "days": days},
                )
                for pk, expires_on in rows
                if (days := threshold_for((expires_on - today).days, thresholds)) is not None
            ]

    return remind("permit.expiring", batches(), today=today)


# Permits with no inspection ------------------------------------------------------------------


def with_last_activity(permits: models.QuerySet) -> models.QuerySet:
    """Issued permits with nothing pending at the city, annotated `active_on`: the day of their
    last inspection requested or resulted (cancelled requests aside), else the day they were
    issued. A permit with an inspection scheduled is active: it is left out."""
    latest = (
        Inspection.objects.filter(permit=OuterRef("pk"))
        .exclude(status=InspectionStatus.CANCELLED)
        .annotate(on=Coalesce("completed_on", TruncDate("created_at")))
        .order_by("-on")
        .values("on")[:1]
    )
    pending = Inspection.objects.filter(permit=OuterRef("pk"), status=InspectionStatus.SCHEDULED)
    return (
        permits.filter(status=PermitStatus.ISSUED, issued_on__isnull=False)
        .exclude(Exists(pending))
        .annotate(
            active_on=Greatest(
                "issued_on",
                Coalesce(Subquery(latest, output_field=models.DateField()), "issued_on"),
            )
        )
    )


def permits_inactive_remind(*, today: datetime.date | None = None, batch: int = BATCH) -> int:
    """Issued permits with no inspection for PERMIT_INACTIVITY_REMINDER_DAYS, before they lapse
    for inactivity (PERMIT_EXPIRY_DAYS without one, IBC 105.5): "permit.inactive", once per
    day of last activity. A permit whose own expiry comes first is left to its expiry
    reminders."""
    today = today or timezone.localdate()
    days = settings.PERMIT_INACTIVITY_REMINDER_DAYS
    lapse = datetime.timedelta(days=settings.PERMIT_EXPIRY_DAYS)
    quiet_since = today - datetime.timedelta(days=days)
    permits = (
        with_last_activity(Permit.objects.filter(issued_on__lte=quiet_since))
        .filter(active_on__lte=quiet_since, active_on__gt=today - lapse)
        .exclude(expires_on__lte=today)
    )

    def batches() -> Iterator[list[Due]]:
        for rows in _pages(permits, ("pk", "active_on", "expires_on", "issued_on"), batch):
            yield [
                Due(
                    Permit(pk=pk),
                    f"{days} days after {active_on:%Y-%m-%d}",
                    {
                        "active_on": active_on.isoformat(),
                        "lapses_on": (active_on + lapse).isoformat(),
                        "days": days,
                        "inspected": active_on != issued_on,
                    },
                )
                for pk, active_on, expires_on, issued_on in rows
                if expires_on is None or expires_on > active_on + lapse
            ]

    return remind("permit.inactive", batches(), today=today)


# Licenses expiring ---------------------------------------------------------------------------


def licenses_expiring_remind(*, today: datetime.date | None = None, batch: int = BATCH) -> int:
    """Active contractor licenses whose expiry is LICENSE_EXPIRY_REMINDER_DAYS away (60 and
    30): "license.expiring", once per threshold and expiry date."""
    today = today or timezone.localdate()
    thresholds = sorted(set(settings.LICENSE_EXPIRY_REMINDER_DAYS))
    if not thresholds:
        return 0
    licenses = License.objects.filter(
        status=LicenseStatus.ACTIVE,
        expires_on__gte=today,
        expires_on__lte=today + datetime.timedelta(days=thresholds[-1]),
    )

    def batches() -> Iterator[list[Due]]:
        for rows in _pages(licenses, ("pk", "expires_on"), batch):
            yield [
                Due(
                    License(pk=pk),
                    _before(days, expires_on),
                    {"expires_on": expires_on.isoformat(), "days": days},
                )
                for pk, expires_on in rows
                if (days := threshold_for((expires_on - today).days, thresholds)) is not None
            ]

    return remind("license.expiring", batches(), today=today)


# Trust accounts under their alert ------------------------------------------------------------


def trust_balances() -> models.QuerySet:
    """Trust accounts annotated with their `balance` (the sum of their ledger)."""
    return TrustAccount.objects.annotate(
        balance=Coalesce(
            Sum("entries__amount"), Value(Decimal("0.00")), output_field=DecimalField()
        )
    )


def trust_accounts_below_alert_remind(
    *, today: datetime.date | None = None, batch: int = BATCH
) -> int:
    """Trust accounts under the alert their Manager set: "trust.below_threshold", once per
    crossing. A payment that crossed it already told the managers (trust.low_balance, which
    records the crossing's reminder); an account back at or above its alert is cleared, so the
    next crossing is told again."""
    today = today or timezone.localdate()
    kind = "trust.below_threshold"
    sent = 0
    for rows in _pages(trust_balances(), ("pk", "balance", "low_balance_threshold"), batch):
        below = [row for row in rows if row[2] is not None and row[1] < row[2]]
        above = {row[0] for row in rows} - {row[0] for row in below}
        Reminder.objects.filter(kind=kind, object_id__in=above, cleared_on__isnull=True).update(
            cleared_on=today
        )
        due = [
            Due(
                TrustAccount(pk=pk),
                BELOW_ALERT,
                {"balance": str(balance), "threshold": str(threshold)},
            )
            for pk, balance, threshold in below
        ]
        sent += remind(kind, [due], today=today)
    return sent


def trust_crossing_recorded(*, account_id: int, event_id: int, today: datetime.date) -> None:
    """A payment took the account under its alert and its managers were told then
    (trust.low_balance): the crossing's reminder, so the daily check does not tell it again."""
    Reminder.objects.bulk_create(
        [
            Reminder(
                kind="trust.below_threshold",
                object_id=account_id,
                threshold=BELOW_ALERT,
                sent_on=today,
                event_id=event_id,
            )
        ],
        ignore_conflicts=True,
    )
