"""The offline card gateway: a local imitation of a hosted payment page for the demo and tests,
when no Stripe keys are set, after saleor's dummy gateway: it runs every state the real one has.
The payer approves, declines, or leaves the payment processing like a bank debit that settles
later; a processing payment is then settled by staff in admin, or cleared by reconciliation
once it is `CLEARS_AFTER` old (the imitation bank's clock). It drives the same payment states
and the same confirmation as Stripe. Never offered with production settings."""

import datetime
from collections.abc import Callable
from typing import ClassVar

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import stripe_gateway
from ..exceptions import PaymentError
from ..models import Payment, PaymentMethod, PaymentStatus
from ..services.confirm import payment_confirm, payment_mark_processing, payment_release
from ..services.refunds import refund_record
from .base import HostedPaymentProvider


class OfflineDecision:
    APPROVE = "approve"
    PROCESS = "process"
    DECLINE = "decline"
    CHOICES = [
        (APPROVE, gettext_lazy("Approve")),
        (PROCESS, gettext_lazy("Leave processing")),
        (DECLINE, gettext_lazy("Decline")),
    ]


class OfflineGatewayProvider(HostedPaymentProvider):
    identifier = "offline"
    methods: ClassVar[tuple[str, ...]] = (PaymentMethod.CARD, PaymentMethod.ACH)
    verbose_name = "Offline card gateway"
    # How long the imitation bank takes to clear a processing payment.
    CLEARS_AFTER = datetime.timedelta(minutes=10)

    def is_enabled(self) -> bool:
        return (
            not stripe_gateway.stripe_configured() and settings.PORTAL_ENVIRONMENT != "production"
        )

    def payment_page(
        self, payment: Payment, *, absolute: Callable[[str], str], made_here: bool = True
    ) -> str:
        return reverse("payments:offline", args=[payment.pk])

    def decide(self, payment: Payment, *, decision: str) -> Payment:
        """The payer's choice on the gateway's page. Only an open, unfinished payment is
        decided; otherwise it is returned as it stands (a second tab, a reload)."""
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment.pk)
            if payment.status != PaymentStatus.CREATED:
                return payment
            if decision == OfflineDecision.APPROVE:
                source = (
                    "offline gateway (e-check)"
                    if payment.method == PaymentMethod.ACH
                    else "offline gateway"
                )
                return payment_confirm(payment_id=payment.pk, source=source)
            if decision == OfflineDecision.PROCESS:
                return payment_mark_processing(payment_id=payment.pk)
            if decision == OfflineDecision.DECLINE:
                return payment_release(
                    payment_id=payment.pk,
                    status=PaymentStatus.FAILED,
                    reason="declined at the offline gateway",
                )
        raise PaymentError(_("Approve, leave processing, or decline."))

    def can_sync(self, payment: Payment) -> bool:
        return payment.status == PaymentStatus.PROCESSING

    def sync(self, payment: Payment, *, source: str) -> str:
        if payment.status != PaymentStatus.PROCESSING:
            return payment.status
        if payment.created_at > timezone.now() - self.CLEARS_AFTER:
            return "processing"
        payment_confirm(payment_id=payment.pk, source=f"{source}: offline debit cleared")
        return "confirmed"

    def settle(self, payment: Payment, *, succeeded: bool, source: str) -> Payment:
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment.pk)
            if payment.status != PaymentStatus.PROCESSING:
                raise PaymentError(
                    f"{payment.describe()} is {payment.get_status_display().lower()}: only a "
                    "processing one is settled."
                )
            if succeeded:
                return payment_confirm(payment_id=payment.pk, source=source)
            return payment_release(
                payment_id=payment.pk, status=PaymentStatus.FAILED, reason=source
            )

    def refund(self, payment: Payment, *, by, fees_become: str) -> Payment:
        # No money moved, so none moves back.
        return refund_record(payment_id=payment.pk, by=by, fees_become=fees_become)
