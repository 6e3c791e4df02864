"""The Stripe boundary: the only module that speaks to Stripe. Amounts become integer cents here
and nowhere else. Tests replace the HTTP client (STRIPE_HTTP_CLIENT), never this module."""

import logging
from typing import Any

import stripe
from django.conf import settings
from django.utils.module_loading import import_string

from .exceptions import GatewayError
from .models import Payment, PaymentMethod

logger = logging.getLogger("portal.payments")

STRIPE_METHOD_TYPES = {PaymentMethod.CARD: ["card"], PaymentMethod.ACH: ["us_bank_account"]}


def stripe_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def client() -> stripe.StripeClient:
    options: dict[str, Any] = {"max_network_retries": 2}
    if settings.STRIPE_HTTP_CLIENT:
        options["http_client"] = import_string(settings.STRIPE_HTTP_CLIENT)()
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **options)


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
    if payment.convenience_fee:
        line_items.append(
            {
                "quantity": 1,
                "price_data": {
                    "currency": payment.currency,
                    "unit_amount": cents(payment.convenience_fee),
                    "product_data": {"name": "Convenience fee"},
                },
            }
        )
    params = {
        "mode": "payment",
        "payment_method_types": STRIPE_METHOD_TYPES[payment.method],
        "line_items": line_items,
        "client_reference_id": str(payment.pk),
        "metadata": {"payment_id": str(payment.pk)},
        "customer_email": payment.user.email or None,
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    try:
        session = client().v1.checkout.sessions.create(
            params={key: value for key, value in params.items() if value is not None},
            options={"idempotency_key": f"payment-{payment.pk}-checkout"},
        )
    except stripe.StripeError as error:
        logger.error("stripe: creating the session of payment %s failed: %s", payment.pk, error)
        raise GatewayError("The card gateway did not answer; nothing was charged.") from error
    return session.to_dict()


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
