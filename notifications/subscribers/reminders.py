"""Who hears the reminders (notifications.reminders): a permit's people of its expiry coming and
of its long wait for an inspection, a license's linked users and its business's managers of its
expiry, a business's managers of its trust account under their alert. Each checks the reminder
still holds as it is heard (a permit renewed, finaled or inspected since is told nothing).

And two that record a reminder sent elsewhere, within its event's transaction: a trust payment
crossing the alert (so the daily check does not tell the same crossing again), and a draft's
reminder (so that notifications.Reminder lists every reminder)."""

import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from applications.services import REMINDER_DAYS_BEFORE
from core.events import subscriber
from core.mail import absolute_url
from core.models import Event
from licenses.models import License, LicenseLink, LicenseLinkStatus, LicenseStatus, Membership
from payments.models import TrustAccount
from payments.selectors import trust_balance
from permits.models import Permit, PermitStatus
from permits.parties import parties_of
from policy.businesses import can_manage_business

from ..catalogue import BUSINESS_MANAGE, LICENSE_USERS, RULES
from ..models import Reminder
from ..reminders import trust_crossing_recorded, with_last_activity
from ..services import Recipient, as_recipient, notify


def _day_of(event: Event) -> datetime.date:
    return timezone.localdate(event.occurred_at)


def _permit_urls(permit: Permit) -> dict[str, str]:
    return {
        "url": absolute_url(reverse("permits:detail", args=[permit.number])),
        "inspection_url": absolute_url(reverse("inspections:request", args=[permit.number])),
    }


def _managers(contractor_id: int) -> list:
    """The business's managers (those the policy counts as such)."""
    memberships = Membership.objects.filter(
        contractor_id=contractor_id, can_manage=True, user__is_active=True
    ).select_related("user")
    return [m.user for m in memberships if can_manage_business(m.user, contractor_id)]


@subscriber("permit.expiring")
def send_permit_expiring(event: Event) -> None:
    """The applicant, the owner, the contacts and the business's managers: the permit expires
    on its date, and what to do before then (unless it was renewed, finaled or cancelled
    since the reminder was recorded)."""
    permit = (
        Permit.objects.select_related("permit_type")
        .filter(pk=event.object_id, status=PermitStatus.ISSUED)
        .first()
    )
    if permit is None or str(permit.expires_on) != event.payload.get("expires_on"):
        return
    notify(
        event,
        to=[p for p in parties_of(permit) if p.has(*RULES[event.type].roles)],
        permit=permit,
        template="permit_expiring",
        context={
            "permit": permit,
            "days_left": (permit.expires_on - _day_of(event)).days,
            **_permit_urls(permit),
        },
    )


@subscriber("permit.inactive")
def send_permit_inactive(event: Event) -> None:
    """The permit's people and the business's users who request inspections: no inspection for
    so long that the permit lapses for inactivity on a day, unless one is requested before
    (told nothing if one was requested or resulted since)."""
    permit = (
        with_last_activity(Permit.objects.filter(pk=event.object_id))
        .select_related("permit_type")
        .first()
    )
    if permit is None or str(permit.active_on) != event.payload.get("active_on"):
        return
    notify(
        event,
        to=[p for p in parties_of(permit) if p.has(*RULES[event.type].roles)],
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


@subscriber("license.expiring")
def send_license_expiring(event: Event) -> None:
    """The users linked to the license and its business's managers: the license expires on its
    date (unless renewed or no longer active since)."""
    license = (
        License.objects.select_related("holder", "license_type")
        .filter(pk=event.object_id, status=LicenseStatus.ACTIVE)
        .first()
    )
    if license is None or str(license.expires_on) != event.payload.get("expires_on"):
        return
    links = LicenseLink.objects.filter(
        license=license, status=LicenseLinkStatus.APPROVED, user__is_active=True
    ).select_related("user")
    people = [as_recipient(link.user, [LICENSE_USERS]) for link in links]
    people += [as_recipient(user, [BUSINESS_MANAGE]) for user in _managers(license.holder_id)]
    context = {
        "license": license,
        "days_left": (license.expires_on - _day_of(event)).days,
    }

    def addressed(person: Recipient) -> dict:
        # Their own licenses are on Account Management; a manager's business page lists its.
        if LICENSE_USERS in person.roles:
            url = reverse("accounts:manage")
        else:
            url = reverse("accounts:business", args=[license.holder_id])
        return {**context, "url": absolute_url(url)}

    notify(event, to=[p for p in people if p], template="license_expiring", context=addressed)


@subscriber("trust.below_threshold")
def send_trust_below_threshold(event: Event) -> None:
    """The business's managers: its trust account is under the alert they set (unless a
    deposit or a new alert took it out since)."""
    account = TrustAccount.objects.select_related("contractor").get(pk=event.object_id)
    balance = trust_balance(account)
    threshold = account.low_balance_threshold
    if threshold is None or balance >= threshold:
        return
    managers = _managers(account.contractor_id)
    if not managers:
        return
    notify(
        event,
        to=managers,
        roles=[BUSINESS_MANAGE],
        template="trust_below_threshold",
        context={
            "account": account,
            "balance": balance,
            "url": absolute_url(reverse("payments:trust", args=[account.contractor_id])),
            "deposit_url": absolute_url(
                reverse("payments:trust_deposit", args=[account.contractor_id])
            ),
        },
    )


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
