"""Who hears the reminders (notifications.reminders): a permit's people of its expiry coming and
of its long wait for an inspection, a license's linked users and its business's managers of its
expiry, a business's managers of its trust account under their alert. Each checks the reminder
still holds as it is heard (a permit renewed, finaled or inspected since is told nothing). Each
hears a job's batch of reminders at once (`subscriber(..., many=True)`) and tells them through
`notify_many`: a few queries a batch, not some thirty a reminder.

And two that record a reminder sent elsewhere, within its event's transaction: a trust payment
crossing the alert (so the daily check does not tell the same crossing again), and a draft's
reminder (so that notifications.Reminder lists every reminder)."""

import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from applications.services import REMINDER_DAYS_BEFORE
from core.events import subscriber
from core.mail import absolute_url
from core.models import Event
from licenses.models import License, LicenseLink, LicenseLinkStatus, LicenseStatus, Membership
from permits.models import Permit, PermitStatus
from permits.parties import parties_of_many
from policy.businesses import can_manage_business

from ..catalogue import BUSINESS_MANAGE, LICENSE_USERS, RULES
from ..models import Reminder
from ..reminders import trust_balances, trust_crossing_recorded, with_last_activity
from ..services import Recipient, as_recipient
from ..telling import Telling, notify_many


def _day_of(event: Event) -> datetime.date:
    return timezone.localdate(event.occurred_at)


def _permit_urls(permit: Permit) -> dict[str, str]:
    return {
        "url": absolute_url(reverse("permits:detail", args=[permit.number])),
        "inspection_url": absolute_url(reverse("inspections:request", args=[permit.number])),
    }


def _managers(contractor_ids: set[int]) -> dict[int, list]:
    """Each business's managers (those the policy counts as such), in one query and the
    policy's reading of each manager once."""
    memberships = Membership.objects.filter(
        contractor_id__in=contractor_ids, can_manage=True, user__is_active=True
    ).select_related("user")
    users: dict[int, Any] = {}
    found: dict[int, list] = {}
    for m in memberships.order_by("pk"):
        # One object per user: the policy's reading of them is kept on it.
        user = users.setdefault(m.user_id, m.user)
        if can_manage_business(user, m.contractor_id):
            found.setdefault(m.contractor_id, []).append(user)
    return found


def _ids(events: list[Event]) -> list[int]:
    return [event.object_id for event in events]


@subscriber("permit.expiring", many=True)
def send_permit_expiring(events: list[Event]) -> None:
    """The applicant, the owner, the contacts and the business's managers: the permit expires
    on its date, and what to do before then (unless it was renewed, finaled or cancelled
    since the reminder was recorded). A night's batch at once, in a few queries."""
    permits = Permit.objects.select_related("permit_type").filter(
        pk__in=_ids(events), status=PermitStatus.ISSUED
    )
    permits = {permit.pk: permit for permit in permits}
    parties = parties_of_many(permits.values())
    roles = RULES["permit.expiring"].roles
    tellings = []
    for event in events:
        permit = permits.get(event.object_id)
        if permit is None or str(permit.expires_on) != event.payload.get("expires_on"):
            continue
        tellings.append(
            Telling(
                event,
                to=[p for p in parties[permit.pk] if p.has(*roles)],
                permit=permit,
                template="permit_expiring",
                context={
                    "permit": permit,
                    "days_left": (permit.expires_on - _day_of(event)).days,
                    **_permit_urls(permit),
                },
            )
        )
    notify_many(tellings)


@subscriber("permit.inactive", many=True)
def send_permit_inactive(events: list[Event]) -> None:
    """The permit's people and the business's users who request inspections: no inspection for
    so long that the permit lapses for inactivity on a day, unless one is requested before
    (told nothing if one was requested or resulted since)."""
    permits = with_last_activity(Permit.objects.filter(pk__in=_ids(events))).select_related(
        "permit_type"
    )
    permits = {permit.pk: permit for permit in permits}
    parties = parties_of_many(permits.values())
    roles = RULES["permit.inactive"].roles
    tellings = []
    for event in events:
        permit = permits.get(event.object_id)
        if permit is None or str(permit.active_on) != event.payload.get("active_on"):
            continue
        tellings.append(
            Telling(
                event,
                to=[p for p in parties[permit.pk] if p.has(*roles)],
                permit=permit,
                template="permit_inactive",
                context={
                    "permit": permit,
                    "active_on": permit.active_on,
                    "inspected": event.payload.get("inspected", True),
                    "days": (_day_of(event) - permit.active_on).days,
                    "lapse_days": settings.PERMIT_EXPIRY_DAYS,
                    "lapses_on": datetime.date.fromisoformat(event.payload["lapses_on"]),
                    **_permit_urls(permit),
                },
            )
        )
    notify_many(tellings)


@subscriber("license.expiring", many=True)
def send_license_expiring(events: list[Event]) -> None:
    """The users linked to the license and its business's managers: the license expires on its
    date (unless renewed or no longer active since)."""
    licenses = License.objects.select_related("holder", "license_type").filter(
        pk__in=_ids(events), status=LicenseStatus.ACTIVE
    )
    licenses = {license.pk: license for license in licenses}
    linked: dict[int, list] = {}
    for link in LicenseLink.objects.filter(
        license__in=licenses, status=LicenseLinkStatus.APPROVED, user__is_active=True
    ).select_related("user"):
        linked.setdefault(link.license_id, []).append(link.user)
    managers = _managers({license.holder_id for license in licenses.values()})
    tellings = []
    for event in events:
        license = licenses.get(event.object_id)
        if license is None or str(license.expires_on) != event.payload.get("expires_on"):
            continue
        people = [as_recipient(user, [LICENSE_USERS]) for user in linked.get(license.pk, [])]
        people += [
            as_recipient(user, [BUSINESS_MANAGE]) for user in managers.get(license.holder_id, [])
        ]
        tellings.append(
            Telling(
                event,
                to=[p for p in people if p],
                template="license_expiring",
                context=_addressed(
                    license,
                    {"license": license, "days_left": (license.expires_on - _day_of(event)).days},
                ),
            )
        )
    notify_many(tellings)


def _addressed(license: License, context: dict) -> Callable[[Recipient], dict]:
    def addressed(person: Recipient) -> dict:
        # Their own licenses are on Account Management; a manager's business page lists its.
        if LICENSE_USERS in person.roles:
            url = reverse("accounts:manage")
        else:
            url = reverse("accounts:business", args=[license.holder_id])
        return {**context, "url": absolute_url(url)}

    return addressed


@subscriber("trust.below_threshold", many=True)
def send_trust_below_threshold(events: list[Event]) -> None:
    """The business's managers: its trust account is under the alert they set (unless a
    deposit or a new alert took it out since)."""
    accounts = trust_balances().select_related("contractor").filter(pk__in=_ids(events))
    accounts = {account.pk: account for account in accounts}
    managers = _managers({account.contractor_id for account in accounts.values()})
    tellings = []
    for event in events:
        account = accounts.get(event.object_id)
        if account is None:
            continue
        threshold = account.low_balance_threshold
        if threshold is None or account.balance >= threshold:
            continue
        if not managers.get(account.contractor_id):
            continue
        tellings.append(
            Telling(
                event,
                to=managers[account.contractor_id],
                roles=(BUSINESS_MANAGE,),
                template="trust_below_threshold",
                context={
                    "account": account,
                    "balance": account.balance,
                    "url": absolute_url(reverse("payments:trust", args=[account.contractor_id])),
                    "deposit_url": absolute_url(
                        reverse("payments:trust_deposit", args=[account.contractor_id])
                    ),
                },
            )
        )
    notify_many(tellings)


@subscriber("trust.low_balance", within_transaction=True)
def record_trust_crossing(event: Event) -> None:
    """A payment crossed the alert and its managers hear it now: that crossing's reminder."""
    trust_crossing_recorded(account_id=event.object_id, event_id=event.pk, today=_day_of(event))


@subscriber("application.draft_lapsing", within_transaction=True)
def record_draft_reminder(event: Event) -> None:
    """The applications app reminds once per lapse date (Application.reminded_on); the row here
    makes this table the list of every reminder sent."""
    Reminder.objects.bulk_create(
        [
            Reminder(
                kind=event.type,
                object_id=event.object_id,
                threshold=f"{REMINDER_DAYS_BEFORE} days before {event.payload.get('expires_on')}",
                sent_on=_day_of(event),
                event=event,
            )
        ],
        ignore_conflicts=True,
    )
