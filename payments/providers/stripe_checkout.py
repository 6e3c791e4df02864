"""Card and electronic check through Stripe Checkout: card data never touch the portal (PCI SAQ
A). Every Stripe call (`stripe_gateway`) is made with no database transaction open: what is
checked or written before it is committed, and its outcome is written after, under a fresh lock.

A fee is never paid twice. A payment holds its fees until Stripe says its session can take no
more money: it is released only once Stripe has expired the session (or reports it expired), and
settled instead when Stripe reports it complete. A payment whose session is still being made
(its request is waiting for Stripe) is left alone: another tab is told a payment is under way.
Past `creation_grace` that request is over; a payment still without a session then was left by
a dead process, and its session is looked for at Stripe (`stripe_gateway.sessions_of`). What
Stripe made that no open payment here accounts for is expired by `sweep`.
"""

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

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


IN_PROGRESS = (
    "A payment of these fees is being started in another tab or window. Finish it there, or "
    "try again in a minute."
)


def creation_grace() -> datetime.timedelta:
    """How long a payment may be without its session because the request making it is still
    waiting for Stripe. Past this that request is over: it recorded the session, released the
    payment, or its process died (gunicorn's timeout) and left the payment to be settled."""
    return stripe_gateway.call_deadline() + datetime.timedelta(minutes=1)


@transaction.atomic
def attach_session(payment_id: int, session_id: str) -> Payment:
    """Write a session on its payment, unless one is recorded already (a payment has one
    session: Stripe's idempotency key is the payment's)."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if not payment.stripe_session_id:
        payment.stripe_session_id = session_id
        payment.save(update_fields=["stripe_session_id"])
    return payment


def _record_session(payment_id: int, session_id: str) -> bool:
    """Write the session on its payment; False when the payment was closed meanwhile (its
    session is recorded all the same, so its webhook finds it)."""
    return attach_session(payment_id, session_id).status == PaymentStatus.CREATED


@transaction.atomic
def _release_sessionless(payment_id: int, *, reason: str) -> Payment:
    """Release a payment Stripe made no session for, under its lock: one recorded meanwhile
    keeps it."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status == PaymentStatus.CREATED and not payment.stripe_session_id:
        return payment_release(payment_id=payment.pk, status=PaymentStatus.FAILED, reason=reason)
    return payment


def payment_of_session(session: dict[str, Any]) -> Payment | None:
    """The payment a session was made for: by its recorded id, or else the payment its
    `client_reference_id` names if that payment has no session recorded (the request that made
    the session never recorded it). The caller checks the latter against Stripe's own copy of
    the session (`stripe_gateway.is_session_of`)."""
    payment = Payment.objects.filter(stripe_session_id=session["id"]).first()
    if payment is not None:
        return payment
    reference = str(session.get("client_reference_id") or "")
    if not reference.isdigit():
        return None
    return Payment.objects.filter(
        pk=int(reference), method__in=[PaymentMethod.CARD, PaymentMethod.ACH]
    ).first()


def claim_session(payment: Payment, session: dict[str, Any]) -> Payment | None:
    """The payment, with `session` (Stripe's own copy) recorded on it, if the session is its:
    its recorded one, or one Stripe made for it that was never recorded. None otherwise."""
    if payment.stripe_session_id == session["id"]:
        return payment
    if payment.stripe_session_id or not stripe_gateway.is_session_of(session, payment):
        return None
    payment = attach_session(payment.pk, session["id"])
    return payment if payment.stripe_session_id == session["id"] else None


class StripeCheckoutProvider(HostedPaymentProvider):
    identifier = "stripe"

    def is_enabled(self) -> bool:
        return stripe_gateway.stripe_configured()

    def payment_page(
        self, payment: Payment, *, absolute: Callable[[str], str], made_here: bool = True
    ) -> str:
        if payment.stripe_session_id:
            return stripe_gateway.retrieve_session(payment.stripe_session_id)["url"]
        if not made_here:
            # A second click of the same form while the first one waits for Stripe to make the
            # session: the first records it and sends the payer there (asking Stripe again with
            # the same key would only get a 409 while it is being made).
            raise PaymentError(IN_PROGRESS)
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
            # Unless another request recorded the session meanwhile and sent the payer there.
            _release_sessionless(payment.pk, reason="gateway unavailable")
            raise
        if not _record_session(payment.pk, session["id"]):
            stripe_gateway.expire_session(session["id"])
            raise PaymentError(_("This payment was closed meanwhile. Start again from your cart."))
        return session["url"]

    def can_sync(self, payment: Payment) -> bool:
        return bool(payment.stripe_session_id) or self.is_orphan(payment)

    def is_orphan(self, payment: Payment) -> bool:
        """An open payment still without its session once the request making it is over."""
        return (
            payment.status == PaymentStatus.CREATED
            and not payment.stripe_session_id
            and payment.created_at <= timezone.now() - creation_grace()
        )

    def sync(self, payment: Payment, *, source: str) -> str:
        payment = Payment.objects.get(pk=payment.pk)
        if payment.stripe_session_id:
            state = fetch_session_state(payment.stripe_session_id)
            return apply_session_state(payment, state, source=source)
        if self.is_orphan(payment):
            return self._settle_orphan(payment, source=source)
        return "open (no session)" if payment.status == PaymentStatus.CREATED else payment.status

    def cancel(self, payment: Payment, *, reason: str) -> str:
        # The caller's copy may predate the session another tab recorded since: what decides
        # is the payment as it is now.
        payment = Payment.objects.get(pk=payment.pk)
        if payment.status != PaymentStatus.CREATED:
            return payment.status
        if payment.stripe_session_id:
            return self._close(payment, reason=reason)
        if not self.is_orphan(payment):
            # Its request is waiting for Stripe to make the session, and will send the payer
            # there: releasing the payment now would leave that session payable.
            raise PaymentError(IN_PROGRESS)
        return self._settle_orphan(payment, source=reason)

    def _close(self, payment: Payment, *, reason: str) -> str:
        """Expire the payment's session at Stripe, then release it; never the other way round."""
        if not stripe_gateway.expire_session(payment.stripe_session_id):
            # Stripe would not close it: the payer finished it meanwhile (paid, or a bank
            # debit under way), and its webhook is still to come. Settle it as Stripe has it;
            # only an expired session gives its fees back.
            return self.sync(payment, source=f"settled before {reason}")
        return super().cancel(payment, reason=reason)

    def _settle_orphan(self, payment: Payment, *, source: str) -> str:
        """A payment whose request died before recording its session: find the session at
        Stripe; record it and close it (or settle it, if Stripe has it complete); with none,
        release the payment."""
        found = stripe_gateway.sessions_of(payment)
        if not found:
            payment = _release_sessionless(
                payment.pk, reason=f"no Checkout Session was made ({source})"
            )
            if payment.stripe_session_id:  # recorded meanwhile after all
                return self.sync(payment, source=source)
            return payment.status
        payment = attach_session(payment.pk, found[0]["id"])
        if payment.status != PaymentStatus.CREATED:
            return self.sync(payment, source=source)
        logger.warning("payment %s: found its session %s at Stripe", payment.pk, found[0]["id"])
        # Nobody was sent to it (the request died first), so nobody is paying it: close it.
        return self._close(payment, reason=f"{source}: its request died")

    def sweep(self, *, source: str) -> list[tuple[str, str]]:
        """Expire the open sessions at Stripe that no open payment here accounts for: made for a
        payment released meanwhile (its request timed out while Stripe carried on, or its
        expiry call failed). A payment still without its session is left to `sync`."""
        if not self.is_enabled():
            return []
        found: list[tuple[str, str]] = []
        since = timezone.now() - datetime.timedelta(days=1)  # Stripe's longest session life
        for session in stripe_gateway.list_sessions(created_from=since, status="open"):
            payment = payment_of_session(session)
            if payment is None or not stripe_gateway.is_session_of(session, payment):
                continue  # not made by this portal
            # Its own open payment's, or one still being made (or left by a dead request: `sync`).
            if payment.status == PaymentStatus.CREATED and (
                not payment.stripe_session_id or payment.stripe_session_id == session["id"]
            ):
                continue
            payment = attach_session(payment.pk, session["id"])
            if stripe_gateway.expire_session(session["id"]):
                outcome = "stray session expired"
            elif payment.stripe_session_id == session["id"]:
                # Paid meanwhile: a closed payment reported paid is flagged for review.
                outcome = apply_session_state(
                    payment, fetch_session_state(session["id"]), source=source
                )
            else:
                outcome = "mismatch: a second session was finished"
                Payment.objects.filter(pk=payment.pk).update(
                    needs_review=f"Stripe session {session['id']} was finished too; it may "
                    "need refunding at Stripe."
                )
            logger.warning("payment %s: stray session %s: %s", payment.pk, session["id"], outcome)
            found.append(
                (
                    outcome,
                    f"payment {payment.pk} ({payment.get_status_display().lower()}): "
                    f"session {session['id']}",
                )
            )
        return found

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
