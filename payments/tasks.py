"""Celery tasks: each takes ids and calls a service or sends an email. Services never import
this module; they send a signal (`payments.signals`) and `payments.receivers` queues these."""

from celery import shared_task
from django.urls import reverse

from core.mail import MAIL_RETRY, absolute_url, send_templated_email
from licenses.models import Membership
from permits.access import can_manage_business

from .models import Payment, TrustAccount
from .selectors import payment_lines, trust_balance
from .services.reconcile import reconcile_payments as reconcile


def _email_payer(payment_id: int, template: str) -> None:
    """Email the payer about their payment: its lines as paid, and its receipt's page."""
    payment = Payment.objects.select_related("user", "trust_account__contractor").get(pk=payment_id)
    send_templated_email(
        template=template,
        to=[payment.user.email],
        context={
            "payment": payment,
            "lines": list(payment_lines(payment)),
            "url": absolute_url(reverse("payments:receipt", args=[payment.receipt_number])),
        },
    )


@shared_task(**MAIL_RETRY)
def send_receipt(payment_id: int) -> None:
    _email_payer(payment_id, "payment_receipt")


@shared_task(**MAIL_RETRY)
def send_refund_notice(payment_id: int) -> None:
    """The payer of a refunded payment: what was refunded, where the money goes, and that its
    fees are due again (or waived)."""
    _email_payer(payment_id, "payment_refunded")


@shared_task(**MAIL_RETRY)
def send_low_balance_alert(account_id: int) -> None:
    account = TrustAccount.objects.select_related("contractor").get(pk=account_id)
    memberships = Membership.objects.filter(
        contractor=account.contractor, can_manage=True, user__is_active=True
    ).select_related("user")
    # The managers the policy counts as such (a verified address, among other things).
    managers = [m.user for m in memberships if can_manage_business(m.user, account.contractor_id)]
    if not managers:
        return
    send_templated_email(
        template="trust_low_balance",
        to=[manager.email for manager in managers],
        context={
            "account": account,
            "balance": trust_balance(account),
            "url": absolute_url(reverse("payments:trust", args=[account.contractor_id])),
        },
    )


@shared_task
def reconcile_payments() -> dict[str, int]:
    """Every quarter hour (Celery beat): settle open payments whose news never came (a lost
    Stripe webhook, an offline debit that cleared). Returns how many payments had each
    outcome."""
    report = reconcile()
    return {outcome: len(lines) for outcome, lines in report.outcomes.items()}
