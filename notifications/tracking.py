"""Delivery you can see: what the email service says became of each email (django-anymail's
tracking webhooks, their signature checked by anymail), recorded on the message (delivered,
bounced, marked as spam, when, and why), and an address that bounced kept in `BouncedAddress`:
its owner sees a banner on every page, staff see it on the permit's admin page, and nothing more
is emailed to it (a message to it is Not sent, with the reason) until it is cleared: an email to
it delivered since, the address verified again, its owner asking to try again, or staff.

An address is per address, not per account: a user who changes their email is reachable at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.csrf import csrf_exempt

from permits.models import Permit
from permits.parties import APPLICANT, BUSINESS, CONTACT, OWNER, parties_of

from .catalogue import Channel
from .models import BouncedAddress, Message, MessageState

logger = logging.getLogger("portal.notifications")

# How far along a sent message is: news of an earlier step, arriving late, changes nothing.
RANK = {
    MessageState.SENT: 0,
    MessageState.DELIVERED: 1,
    MessageState.BOUNCED: 2,
    MessageState.COMPLAINED: 2,
}
COMPLAINED_DETAIL = "Its recipient marked it as spam"


# What the email service said --------------------------------------------------------------------


def state_of(event) -> str:
    """The message state an anymail tracking event means, or "" for news the portal does not
    keep (queued, opened, clicked, a temporary failure it will try again)."""
    from anymail.signals import EventType, RejectReason

    if event.event_type == EventType.DELIVERED:
        return MessageState.DELIVERED
    if event.event_type == EventType.BOUNCED:
        return MessageState.BOUNCED
    if event.event_type == EventType.COMPLAINED:
        return MessageState.COMPLAINED
    # The service refused to send it: to an address it knows bounces, or one that is no address.
    if event.event_type == EventType.REJECTED and event.reject_reason in (
        RejectReason.BOUNCED,
        RejectReason.INVALID,
    ):
        return MessageState.BOUNCED
    return ""


def reason_of(event) -> str:
    """Why, in the service's words and the receiving server's (e.g. "550 5.1.1 No such user")."""
    parts = [
        str(part).strip()
        for part in (event.description, event.mta_response)
        if part and str(part).strip()
    ]
    if len(parts) == 2 and parts[0] in parts[1]:
        parts = parts[1:]
    return ": ".join(parts) or str(event.reject_reason or "")


def tracking_received(sender, event, esp_name: str, **kwargs) -> None:
    """anymail's `tracking` signal: one event from the email service's webhook, already checked
    by anymail (signature or the webhook's secret)."""
    state = state_of(event)
    if not state:
        return
    delivery_record(
        provider_id=event.message_id or "",
        recipient=event.recipient or "",
        state=state,
        reason=COMPLAINED_DETAIL if state == MessageState.COMPLAINED else reason_of(event),
        at=event.timestamp,
    )


@transaction.atomic
def delivery_record(
    *,
    provider_id: str,
    recipient: str,
    state: str,
    reason: str = "",
    at: datetime | None = None,
) -> list[Message]:
    """Record what became of the email `provider_id` to `recipient`: the message's state, why
    and when, and the address's bounce (kept, or cleared by a delivery since). The same news
    twice, or old news after newer, changes nothing. Returns the messages it moved."""
    at = at or timezone.now()
    messages: list[Message] = []
    if provider_id:
        found = Message.objects.select_for_update().filter(
            channel=Channel.EMAIL, provider_id=provider_id
        )
        messages = [
            message
            for message in found
            if not recipient or message.address.strip().lower() == recipient.strip().lower()
        ]
    moved = []
    for message in messages:
        if message.state not in RANK or RANK[state] <= RANK[message.state]:
            continue
        message.state = state
        message.detail = "" if state == MessageState.DELIVERED else reason[:300]
        message.tracked_at = at
        message.save(update_fields=["state", "detail", "tracked_at", "updated_at"])
        moved.append(message)
    address = recipient or (messages[0].address if messages else "")
    if address:
        _address_record(
            address.strip().lower(), state, reason, at, messages[0] if messages else None
        )
    return moved


def _address_record(email: str, state: str, reason: str, at: datetime, message) -> None:
    bounce = BouncedAddress.objects.select_for_update().filter(email=email).first()
    if state == MessageState.DELIVERED:
        # An email reached it after it bounced: it works again. (Not after a complaint: that
        # person still does not want the portal's email.)
        if (
            bounce is not None
            and bounce.is_active
            and bounce.state == MessageState.BOUNCED
            and at > bounce.at
        ):
            bounce.cleared_at = at
            bounce.cleared_by = "an email to it was delivered"
            bounce.save(update_fields=["cleared_at", "cleared_by"])
        return
    if bounce is None:
        BouncedAddress.objects.create(
            email=email, state=state, reason=reason[:300], at=at, message=message
        )
        return
    if at <= max(bounce.at, bounce.cleared_at or bounce.at):
        return  # older than what is known (sent again, or out of order)
    bounce.state = state
    bounce.reason = reason[:300]
    bounce.at = at
    bounce.message = message
    bounce.cleared_at = None
    bounce.cleared_by = ""
    bounce.save()


def bounce_clear(*, email: str, by: str) -> bool:
    """Email goes to this address again (its owner or staff say it works, or it was verified
    since); a new bounce stops it again. False when it was not stopped."""
    email = (email or "").strip().lower()
    if not email:
        return False
    return bool(
        BouncedAddress.objects.filter(email=email, cleared_at__isnull=True).update(
            cleared_at=timezone.now(), cleared_by=by[:100]
        )
    )


# Reads ------------------------------------------------------------------------------------------


def active_bounce(email: str) -> BouncedAddress | None:
    """The bounce that stops email to this address, if any (one indexed read)."""
    email = (email or "").strip().lower()
    if not email:
        return None
    return BouncedAddress.objects.filter(email=email, cleared_at__isnull=True).first()


def bounce_date(bounce: BouncedAddress) -> str:
    return date_format(timezone.localtime(bounce.at), "SHORT_DATE_FORMAT")


def bounce_words(bounce: BouncedAddress) -> str:
    """ "bounced on 05/01/2026" or "was marked as spam on 05/01/2026"."""
    if bounce.state == MessageState.COMPLAINED:
        return f"was marked as spam on {bounce_date(bounce)}"
    return f"bounced on {bounce_date(bounce)}"


# A permit's party by the role that names them best, in this order.
PARTY_WORDS = ((APPLICANT, "applicant"), (OWNER, "owner"), (CONTACT, "contact"))


def _who(roles: frozenset[str]) -> str:
    words = [word for role, word in PARTY_WORDS if role in roles]
    if any(role.startswith(f"{BUSINESS}:") for role in roles):
        words.append("license professional's user")
    return " and ".join(f"{word}'s" for word in words) or "a party's"


def permit_email_problems(permit: Permit) -> list[str]:
    """For staff on the permit's page: each of its people whose email bounced or was marked as
    spam, and what that means ("The owner's email (o@example.com) bounced on 05/01/2026: ...")."""
    parties = {party.email.strip().lower(): party for party in parties_of(permit)}
    if not parties:
        return []
    bounces = BouncedAddress.objects.filter(email__in=list(parties), cleared_at__isnull=True)
    problems = []
    for bounce in bounces.order_by("email"):
        party = parties[bounce.email]
        bounced = bounce.state == MessageState.BOUNCED
        why = f" ({bounce.reason})" if bounce.reason and bounced else ""
        problems.append(
            f"The {_who(party.roles)} email ({party.email}) {bounce_words(bounce)}{why}: "
            "nothing is emailed to it until it changes or an email to it is delivered."
        )
    return problems


def about_permit(permit_id: int) -> Q:
    """The messages that told someone of something on this permit: its bursts, and the
    digests and one-event messages that held one of its notices. Their ids are read first,
    each way by its index: PostgreSQL reads an OR of the two in one query as a scan of the whole
    message table (110 ms at 500,000 messages, against 0.1 ms)."""
    bursts = Message.objects.filter(permit_id=permit_id).values_list("pk", flat=True)
    held = Message.notices.through.objects.filter(notice__permit_id=permit_id).values_list(
        "message_id", flat=True
    )
    return Q(pk__in={*bursts, *held})


def messages_about_permit(permit_id: int) -> QuerySet[Message]:
    return Message.objects.filter(about_permit(permit_id))


def state_counts(messages: QuerySet[Message]) -> dict[str, int]:
    """How many of these messages are in each state, in MessageState's order."""
    counts = dict(
        messages.order_by().values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    return {state: counts[state] for state in MessageState.values if counts.get(state)}


# Hooks -----------------------------------------------------------------------------------------


def bounced_addresses_blocker(messages: list[Message]) -> dict[int, str]:
    """notifications.sending's batch blocker: the emails among these to an address that
    bounced are not sent, each with the reason (one query for the batch)."""
    emails = [message for message in messages if message.channel == Channel.EMAIL]
    if not emails:
        return {}
    bounces = {
        bounce.email: bounce
        for bounce in BouncedAddress.objects.filter(
            email__in={message.address.strip().lower() for message in emails},
            cleared_at__isnull=True,
        )
    }
    if not bounces:
        return {}
    return {
        message.pk: _not_sent(message, bounce)
        for message in emails
        if (bounce := bounces.get(message.address.strip().lower()))
    }


def _not_sent(message: Message, bounce: BouncedAddress) -> str:
    if bounce.state == MessageState.COMPLAINED:
        return (
            f"Not sent: an email to {message.address} {bounce_words(bounce)}; nothing is "
            "emailed to it until its owner asks for email again"
        )
    why = f" ({bounce.reason})" if bounce.reason else ""
    return (
        f"Not sent: email to {message.address} {bounce_words(bounce)}{why}; nothing is emailed "
        "to it until the address changes or an email to it is delivered"
    )


def address_verified(request, email_address, **kwargs) -> None:
    """allauth's `email_confirmed`: its owner followed a link emailed to it, so it works."""
    bounce_clear(email=email_address.email, by="its owner verified it")


def connect() -> None:
    """From NotificationsConfig.ready(): hear the email service and allauth, stop email to an
    address that bounced."""
    from allauth.account.signals import email_confirmed
    from anymail.signals import tracking

    from .sending import register_batch_blocker

    tracking.connect(tracking_received, dispatch_uid="notifications.tracking")
    email_confirmed.connect(address_verified, dispatch_uid="notifications.tracking.verified")
    register_batch_blocker(bounced_addresses_blocker)


# The webhooks -----------------------------------------------------------------------------------


def _only_for(provider: str, view: Callable) -> Callable:
    """anymail's webhook view, answering only for the email service the portal sends through
    (EMAIL_PROVIDER), and, where that service signs nothing and anymail checks only the
    webhook's secret (ANYMAIL_WEBHOOK_SECRET, basic auth), only once that secret is set:
    anymail alone would take anyone's word that an address bounced."""
    view_class = getattr(view, "view_class", None)

    @csrf_exempt
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        from anymail.utils import get_anymail_setting

        if provider != settings.EMAIL_PROVIDER:
            raise Http404("The portal does not send through this email service.")
        needs_secret = getattr(view_class, "warn_if_no_basic_auth", True)
        if needs_secret and not get_anymail_setting("webhook_secret", default=""):
            logger.error(
                "%s tracking webhook refused: set ANYMAIL_WEBHOOK_SECRET (and give the same "
                "user:password in the webhook's URL at %s)",
                provider,
                provider,
            )
            return HttpResponseForbidden("This webhook needs ANYMAIL_WEBHOOK_SECRET.")
        return view(request, *args, **kwargs)

    return guarded


def tracking_webhook_urls() -> list[URLPattern]:
    """anymail's tracking webhooks (anymail.urls, without its inbound mail ones), under their
    own paths and names: /anymail/mailgun/tracking/, /anymail/postmark/tracking/, ..."""
    from anymail import urls as anymail_urls

    found = []
    for pattern in anymail_urls.urlpatterns:
        name = pattern.name or ""
        if "inbound" in name or not name.endswith("_webhook"):
            continue
        provider = name.removesuffix("_webhook").removesuffix("_tracking")
        found.append(path(str(pattern.pattern), _only_for(provider, pattern.callback), name=name))
    return found
