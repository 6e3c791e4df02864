"""Card and electronic check through Stripe Checkout: card data never touch the portal (PCI SAQ
A). Every Stripe call (`stripe_gateway`) is made with no database transaction open: what is
checked or written before it is committed, and its outcome is written after, under a fresh lock.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import transaction
from django.urls import reverse

from .. import stripe_gateway
from ..exceptions import GatewayError, PaymentError
from ..models import Payment, PaymentMethod, PaymentStatus
from ..services.confirm import payment_confirm, payment_mark_processing, payment_release
from ..services.refunds import lock_refundable, refund_record
from .base import HostedPaymentProvider

logger = logging.getLogger("portal.payments")

# A bank debit Stripe tells us failed (only its payment intent says so).
FAILED_INTENT_STATUSES = {"requires_payment_method", "canceled"}


@dataclass(frozen=True)
class SessionState:
    """A Checkout Session as Stripe has it now, and, for a bank debit under way, the status of
    its payment intent: everything `apply_session_state` needs, fetched before any lock."""

    session: dict[str, Any]
    intent_status: str = ""

    @property
    def intent(self) -> str:
        intent = self.session.get("payment_intent") or ""
        return intent if isinstance(intent, str) else intent.get("id", "")


def fetch_session_state(session_id: str) -> SessionState:
    """Ask Stripe for the session (never trust an event's copy) and, when it is a bank debit
    under way or failed, for its payment intent."""
    session = stripe_gateway.retrieve_session(session_id)
    state = SessionState(session)
    debit_pending = (
        session.get("status") == "complete" and session.get("payment_status") == "unpaid"
    )
    if debit_pending and state.intent:
        return SessionState(session, stripe_gateway.payment_intent_status(state.intent))
    return state


def _session_matches(payment: Payment, session: dict[str, Any]) -> str:
    if session.get("amount_total") != payment.amount_cents:
        return f"amount {session.get('amount_total')} != {payment.amount_cents}"
    if (session.get("currency") or "").lower() != payment.currency:
        return f"currency {session.get('currency')} != {payment.currency}"
    return ""


def apply_session_state(payment: Payment, state: SessionState, *, source: str) -> str:
    """Bring a payment in line with its Checkout Session as Stripe reported it. Writes only: no
    Stripe call, so the caller may hold a transaction (the webhook records its event in it)."""
    session = state.session
    mismatch = _session_matches(payment, session)
    status, paid = session.get("status"), session.get("payment_status")
    if mismatch and status == "complete":
        Payment.objects.filter(pk=payment.pk).update(needs_review=f"Stripe: {mismatch}"[:300])
        logger.error(
            "payment %s: session %s does not match: %s", payment.pk, session["id"], mismatch
        )
        return f"mismatch: {mismatch}"
    if status == "complete" and paid in ("paid", "no_payment_required"):
        payment_confirm(payment_id=payment.pk, source=source, stripe_payment_intent=state.intent)
        return "confirmed"
    if status == "complete" and paid == "unpaid":
        # A bank debit under way, or one that failed: Stripe tells them apart only in the
        # payment intent (its webhook for the failure may never have come).
        if state.intent_status in FAILED_INTENT_STATUSES:
            payment_release(
                payment_id=payment.pk, status=PaymentStatus.FAILED, reason="bank debit failed"
            )
            return "failed"
        payment_mark_processing(payment_id=payment.pk)
        return "processing"
    if status == "expired":
        payment_release(payment_id=payment.pk, status=PaymentStatus.EXPIRED, reason=source)
        return "expired"
    return f"open ({status}, {paid})"


@transaction.atomic
def _record_session(payment_id: int, session_id: str) -> bool:
    """Write the session on its payment; False when the payment was closed meanwhile (another
    checkout of the same user released it while Stripe was being asked)."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if not payment.stripe_session_id:
        payment.stripe_session_id = session_id
        payment.save(update_fields=["stripe_session_id"])
    return payment.status == PaymentStatus.CREATED


class StripeCheckoutProvider(HostedPaymentProvider):
    identifier = "stripe"

    def is_enabled(self) -> bool:
        return stripe_gateway.stripe_configured()

    def payment_page(self, payment: Payment, *, absolute: Callable[[str], str]) -> str:
        if payment.stripe_session_id:
            return stripe_gateway.retrieve_session(payment.stripe_session_id)["url"]
        success = absolute(reverse("payments:return", args=[payment.pk]))
        cancel = absolute(reverse("payments:checkout"))
        try:
            # Stripe's idempotency key is the payment's: a retry never makes a second session.
            session = stripe_gateway.create_checkout_session(
                payment=payment,
                success_url=success + "?session_id={CHECKOUT_SESSION_ID}",
                cancel_url=cancel,
            )
        except GatewayError:
            payment_release(
                payment_id=payment.pk, status=PaymentStatus.FAILED, reason="gateway unavailable"
            )
            raise
        if not _record_session(payment.pk, session["id"]):
            stripe_gateway.expire_session(session["id"])
            raise PaymentError("This payment was closed meanwhile. Start again from your cart.")
        return session["url"]

    def can_sync(self, payment: Payment) -> bool:
        return bool(payment.stripe_session_id)

    def sync(self, payment: Payment, *, source: str) -> str:
        if not payment.stripe_session_id:
            return "open (no session)"
        state = fetch_session_state(payment.stripe_session_id)
        return apply_session_state(payment, state, source=source)

    def cancel(self, payment: Payment, *, reason: str) -> str:
        if payment.stripe_session_id and not stripe_gateway.expire_session(
            payment.stripe_session_id
        ):
            # Stripe would not close it: the payer finished it meanwhile (paid, or a bank
            # debit under way), and its webhook is still to come. Settle it as Stripe has it;
            # only an expired session gives its fees back.
            return self.sync(payment, source=f"settled before {reason}")
        return super().cancel(payment, reason=reason)

    def refund(self, payment: Payment, *, by, fees_become: str) -> Payment:
        with transaction.atomic():
            payment = lock_refundable(payment.pk)
        # Outside any transaction; the refund's idempotency key is the payment's, so a second
        # refund of the same payment (two staff at once, a retry after a crash) gets the same
        # refund from Stripe, never a second one.
        stripe_gateway.refund(payment)
        return refund_record(payment_id=payment.pk, by=by, fees_become=fees_become)

    def reference(self, payment: Payment) -> str:
        return payment.stripe_session_id or self.verbose_name


class StripeCardProvider(StripeCheckoutProvider):
    methods: ClassVar[tuple[str, ...]] = (PaymentMethod.CARD,)
    verbose_name = "Stripe card"


class StripeECheckProvider(StripeCheckoutProvider):
    """An ACH debit: the payer finishes at once, the money comes days later ("processing"),
    and the debit may still fail."""

    methods: ClassVar[tuple[str, ...]] = (PaymentMethod.ACH,)
    verbose_name = "Stripe e-check"
