"""Stripe's webhook events, each handled once.

Stripe is asked for the session before any transaction opens; then, in one transaction, the
event id is recorded with its effect. A failure leaves no record, so Stripe's retry is handled
afresh; a repeat finds the record and does nothing."""

import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from .models import PaymentStatus, StripeEvent
from .providers import stripe_checkout
from .services.confirm import payment_release

logger = logging.getLogger("portal.payments")

HANDLED_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
}


@dataclass
class EventOutcome:
    status: int
    message: str


def stripe_event_handle(*, event: dict[str, Any]) -> EventOutcome:
    """Handle a verified webhook event once. GatewayError (Stripe did not answer) leaves nothing
    recorded: the caller answers 503 and Stripe sends the event again."""
    kind = event["type"]
    if kind not in HANDLED_EVENTS:
        return EventOutcome(200, f"ignored {kind}")
    if StripeEvent.objects.filter(event_id=event["id"]).exists():
        return EventOutcome(200, "already handled")
    session_id = event["data"]["object"]["id"]
    # By its recorded session, or the payment the session names if the request that made it
    # never recorded it (it timed out, or died): money taken for it is then never lost track of.
    payment = stripe_checkout.payment_of_session(event["data"]["object"])
    # Never trust the event's copy: ask Stripe for the session as it is now (and not while
    # holding a transaction).
    state = stripe_checkout.fetch_session_state(session_id) if payment is not None else None
    try:
        with transaction.atomic():
            record = StripeEvent.objects.create(
                event_id=event["id"], event_type=kind, session_id=session_id
            )
            if payment is not None and state is not None:
                payment = stripe_checkout.claim_session(payment, state.session)
            if payment is None or state is None:
                logger.warning("stripe: event %s for unknown session %s", event["id"], session_id)
                outcome = "unknown session"
            elif (
                kind == "checkout.session.async_payment_failed"
                and state.session.get("payment_status") != "paid"
            ):
                payment_release(
                    payment_id=payment.pk, status=PaymentStatus.FAILED, reason="bank debit failed"
                )
                outcome = "failed"
            else:
                outcome = stripe_checkout.apply_session_state(
                    payment, state, source=f"webhook {kind}"
                )
            record.outcome = outcome
            record.save(update_fields=["outcome"])
            return EventOutcome(200, outcome)
    except IntegrityError:
        if StripeEvent.objects.filter(event_id=event["id"]).exists():
            return EventOutcome(200, "already handled")
        # Something else refused the effect: nothing is recorded, so Stripe's retry (after a
        # 500) is handled afresh.
        raise
