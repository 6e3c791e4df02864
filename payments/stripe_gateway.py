"""The Stripe boundary: the only module that speaks to Stripe. Amounts become integer cents here
and nowhere else. Tests replace the HTTP client (STRIPE_HTTP_CLIENT), never this module.

Every call gives up after STRIPE_TIMEOUT_SECONDS and is retried STRIPE_MAX_NETWORK_RETRIES times
(a POST with the same idempotency key, so a retry never does a thing twice): a slow Stripe is a
GatewayError well before the web server's timeout would kill the request (`call_deadline`)."""

import datetime
import logging
from collections.abc import Iterator
from typing import Any

import stripe
from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .exceptions import GatewayError
from .models import Payment, PaymentMethod

logger = logging.getLogger("portal.payments")

STRIPE_METHOD_TYPES = {PaymentMethod.CARD: ["card"], PaymentMethod.ACH: ["us_bank_account"]}


def stripe_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


# A Checkout Session stops taking payment this long after its payment was made (Stripe's
# shortest is 30 minutes after the session is made, which the call deadline keeps within), so a
# session nobody was sent to cannot stay payable for Stripe's default day. Counted from the
# payment, not the clock, so the same payment always asks Stripe for the same session: a
# repeated request with its idempotency key is replayed, never refused for other parameters.
SESSION_LIFETIME = datetime.timedelta(minutes=35)


def client() -> stripe.StripeClient:
    http_client = (
        import_string(settings.STRIPE_HTTP_CLIENT)
        if settings.STRIPE_HTTP_CLIENT
        else stripe.RequestsClient
    )
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        http_client=http_client(timeout=settings.STRIPE_TIMEOUT_SECONDS),
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
    )


def call_deadline() -> datetime.timedelta:
    """The longest one Stripe call can take: every attempt timing out, with stripe-python's
    back-off between them (half a second, doubling, at most `MAX_DELAY`)."""
    retries = settings.STRIPE_MAX_NETWORK_RETRIES
    backoff = sum(
        min(stripe.HTTPClient.INITIAL_DELAY * 2**n, stripe.HTTPClient.MAX_DELAY)
        for n in range(retries)
    )
    return datetime.timedelta(seconds=settings.STRIPE_TIMEOUT_SECONDS * (retries + 1) + backoff)


def cents(amount) -> int:
    return int((amount * 100).to_integral_value())


def create_checkout_session(*, payment: Payment, success_url: str, cancel_url: str) -> dict:
    """A hosted Checkout Session for the payment (card data never touch our server). The
    idempotency key is derived from our payment id, so a retry never makes a second session."""
    line_items = [
        {
            "quantity": 1,
            "price_data": {
                "currency": payment.currency,
                "unit_amount": cents(line.amount),
                "product_data": {"name": f"{line.permit_number}: {line.description}"},
            },
        }
        for line in payment.lines.order_by("permit_number", "fee_id")
    ]
    if payment.deposit_to_id is not None:
        business = payment.deposit_to.contractor.business_name
        line_items.append(
            {
                "quantity": 1,
                "price_data": {
                    "currency": payment.currency,
                    "unit_amount": cents(payment.fees_total),
                    "product_data": {
                        "name": _("Trust account deposit: %(business)s") % {"business": business}
                    },
                },
            }
        )
    if payment.convenience_fee:
        line_items.append(
            {
                "quantity": 1,
                "price_data": {
                    "currency": payment.currency,
                    "unit_amount": cents(payment.convenience_fee),
                    "product_data": {"name": _("Convenience fee")},
                },
            }
        )
    params = {
        "mode": "payment",
        "payment_method_types": STRIPE_METHOD_TYPES[payment.method],
        "line_items": line_items,
        "client_reference_id": str(payment.pk),
        # The payment's key is unique across every portal that may share the Stripe account:
        # what finds a session again whose id was never recorded (`sessions_of`).
        "metadata": {"payment_id": str(payment.pk), "payment_key": str(payment.idempotency_key)},
        "customer_email": payment.user.email or None,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int((payment.created_at + SESSION_LIFETIME).timestamp()),
    }
    try:
        session = client().v1.checkout.sessions.create(
            params={key: value for key, value in params.items() if value is not None},
            options={"idempotency_key": f"payment-{payment.pk}-checkout"},
        )
    except stripe.StripeError as error:
        logger.error("stripe: creating the session of payment %s failed: %s", payment.pk, error)
        raise GatewayError("The card service did not answer; nothing was charged.") from error
    return session.to_dict()


def is_session_of(session: dict, payment: Payment) -> bool:
    """Whether Stripe made this session for this payment (and not for a payment with the same
    number in another portal on the same Stripe account)."""
    metadata = session.get("metadata") or {}
    return session.get("client_reference_id") == str(payment.pk) and metadata.get(
        "payment_key"
    ) == str(payment.idempotency_key)


def list_sessions(
    *,
    created_from: datetime.datetime,
    created_until: datetime.datetime | None = None,
    status: str = "",
) -> Iterator[dict]:
    """The Checkout Sessions made between the two times (Stripe's clock: allow for skew),
    newest first, every page; only those with `status` if given."""
    created = {"gte": int(created_from.timestamp())}
    if created_until is not None:
        created["lte"] = int(created_until.timestamp())
    params: dict[str, Any] = {"created": created, "limit": 100}
    if status:
        params["status"] = status
    try:
        for session in client().v1.checkout.sessions.list(params=params).auto_paging_iter():
            yield session.to_dict()
    except stripe.StripeError as error:
        raise GatewayError(f"Stripe did not list checkout sessions: {error}") from error


def sessions_of(payment: Payment) -> list[dict]:
    """The sessions Stripe made for the payment, found without their id (the process that asked
    for one died before recording it). Stripe cannot search sessions by metadata; it lists them
    by creation time, and a payment's session is made within its `call_deadline`."""
    sessions = list_sessions(
        created_from=payment.created_at - datetime.timedelta(minutes=5),
        created_until=payment.created_at + datetime.timedelta(hours=1),
    )
    return [session for session in sessions if is_session_of(session, payment)]


def retrieve_session(session_id: str) -> dict:
    """The session as Stripe has it now, as a plain dict."""
    try:
        return client().v1.checkout.sessions.retrieve(session_id).to_dict()
    except stripe.StripeError as error:
        raise GatewayError(f"Stripe did not return session {session_id}: {error}") from error


def expire_session(session_id: str) -> bool:
    """Close a session nobody will pay. False when Stripe says it is not open any more
    (expired already, or completed by the payer)."""
    try:
        client().v1.checkout.sessions.expire(session_id)
    except stripe.InvalidRequestError as error:
        logger.info("stripe: session %s was not open: %s", session_id, error)
        return False
    except stripe.StripeError as error:
        raise GatewayError(f"Stripe did not expire session {session_id}: {error}") from error
    return True


def payment_intent_status(intent_id: str) -> str:
    """The status of a payment intent ("processing", "succeeded", "requires_payment_method",
    ...)."""
    try:
        return client().v1.payment_intents.retrieve(intent_id).status
    except stripe.StripeError as error:
        raise GatewayError(f"Stripe did not return payment intent {intent_id}: {error}") from error


def refund(payment: Payment) -> Any:
    """Refund the whole payment, once however often this is called."""
    if not payment.stripe_payment_intent:
        raise GatewayError("The payment has no Stripe payment intent to refund.")
    try:
        return client().v1.refunds.create(
            params={
                "payment_intent": payment.stripe_payment_intent,
                "amount": payment.amount_cents,
            },
            options={"idempotency_key": f"payment-{payment.pk}-refund"},
        )
    except stripe.StripeError as error:
        raise GatewayError(f"Stripe refused the refund: {error}") from error


def verify_event(payload: bytes, signature: str) -> dict:
    """The event, if its signature is good and fresh; otherwise ValueError."""
    if not signature or not settings.STRIPE_WEBHOOK_SECRET:
        raise ValueError("missing signature")
    try:
        event = stripe.Webhook.construct_event(
            payload.decode("utf-8"), signature, settings.STRIPE_WEBHOOK_SECRET
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
        raise ValueError(str(error)) from error
    return event.to_dict()
