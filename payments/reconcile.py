"""Bringing open payments in line with their gateways (every quarter hour, and by hand), and
staff settling a processing payment where its gateway lets them."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from .exceptions import GatewayError
from .models import Payment
from .registry import provider_for, registered
from .services.confirm import OPEN_STATUSES


@dataclass
class ReconcileReport:
    checked: int = 0
    outcomes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def reconcile_payments(
    *, older_than: datetime.timedelta = datetime.timedelta(minutes=10)
) -> ReconcileReport:
    """Settle open payments whose news never came (a lost webhook, a debit that cleared, a
    request that died before recording its Stripe session), by asking each one's provider; let
    each provider close what its gateway holds that no open payment accounts for; then list
    every payment staff must look at. No transaction is held here: each provider asks its
    gateway first and writes after."""
    report = ReconcileReport()
    cutoff = timezone.now() - older_than
    open_payments = Payment.objects.filter(
        status__in=OPEN_STATUSES, created_at__lt=cutoff
    ).order_by("pk")
    for payment in open_payments:
        provider = provider_for(payment)
        if not provider.can_sync(payment):
            continue
        report.checked += 1
        try:
            outcome = provider.sync(payment, source="reconcile_payments")
        except GatewayError as error:
            report.outcomes["error"].append(f"payment {payment.pk}: {error}")
            continue
        report.outcomes[outcome.split(":")[0]].append(
            f"payment {payment.pk} ({provider.reference(payment)}): {outcome}"
        )
    # Card and e-check by Stripe are two providers over one gateway: sweep it once.
    for provider in {provider.identifier: provider for provider in registered()}.values():
        try:
            for outcome, line in provider.sweep(source="reconcile_payments"):
                report.outcomes[outcome.split(":")[0]].append(line)
        except GatewayError as error:
            report.outcomes["error"].append(f"{provider.verbose_name}: {error}")
    for payment in Payment.objects.exclude(needs_review="").order_by("pk"):
        report.outcomes["needs review"].append(f"payment {payment.pk}: {payment.needs_review}")
    return report


def payment_settle(*, payment: Payment, succeeded: bool, by) -> Payment:
    """Staff settle a processing payment by hand (the debit cleared, or failed), where its
    provider allows it; Stripe's are settled by Stripe."""
    outcome = "cleared" if succeeded else "failed"
    return provider_for(payment).settle(
        payment, succeeded=succeeded, source=f"settled by {by} in admin: {outcome}"
    )
