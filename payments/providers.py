"""Payment providers, after pretix's: one class per way a payment leaves for a hosted page.

A provider may decide whether it is offered (`available`) and where the payer goes to pay
(`begin`); it never confirms a payment itself: that is `services.payment_confirm`, for every
provider alike. The trust account pays in place (`services.trust_pay`) and needs no provider.
"""

from django.conf import settings
from django.urls import reverse

from . import stripe_gateway
from .exceptions import GatewayError
from .models import Payment, PaymentStatus
from .services import payment_release


class PaymentProvider:
    identifier = ""
    label = ""

    def available(self) -> bool:  # pragma: no cover - the subclasses answer
        raise NotImplementedError

    def begin(self, request, payment: Payment) -> str:  # pragma: no cover
        """Return the URL of the page where the payer pays."""
        raise NotImplementedError


class StripeCheckoutProvider(PaymentProvider):
    """Card and electronic check through Stripe Checkout: card data never touch the portal
    (PCI SAQ A)."""

    identifier = "stripe"
    label = "Stripe"

    def available(self) -> bool:
        return stripe_gateway.stripe_configured()

    def begin(self, request, payment: Payment) -> str:
        if payment.stripe_session_id:
            return stripe_gateway.retrieve_session(payment.stripe_session_id)["url"]
        success = request.build_absolute_uri(reverse("payments:return", args=[payment.pk]))
        cancel = request.build_absolute_uri(reverse("payments:checkout"))
        try:
            session = stripe_gateway.create_checkout_session(
                payment=payment,
                success_url=success + "?session_id={CHECKOUT_SESSION_ID}",
                cancel_url=cancel,
            )
        except GatewayError:
            payment_release(payment.pk, status=PaymentStatus.FAILED, reason="gateway unavailable")
            raise
        Payment.objects.filter(pk=payment.pk).update(stripe_session_id=session["id"])
        return session["url"]


class OfflineGatewayProvider(PaymentProvider):
    """A local imitation of the hosted page ("Approve" or "Decline") for the demo and tests,
    when no Stripe keys are set. It drives the same payment states and the same confirmation.
    Never offered with production settings."""

    identifier = "offline"
    label = "Offline card gateway"

    def available(self) -> bool:
        return (
            not stripe_gateway.stripe_configured() and settings.PORTAL_ENVIRONMENT != "production"
        )

    def begin(self, request, payment: Payment) -> str:
        return reverse("payments:offline", args=[payment.pk])


def hosted_provider() -> PaymentProvider | None:
    for provider in (StripeCheckoutProvider(), OfflineGatewayProvider()):
        if provider.available():
            return provider
    return None
