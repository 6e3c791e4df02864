"""Celery tasks: each takes ids and calls a service. (Emails are sent by the subscribers of
payment events: payments.subscribers.)"""

from celery import shared_task

from .reconcile import reconcile_payments as reconcile


@shared_task
def reconcile_payments() -> dict[str, int]:
    """Every quarter hour (Celery beat): settle open payments whose news never came (a lost
    Stripe webhook, an offline debit that cleared). Returns how many payments had each
    outcome."""
    report = reconcile()
    return {outcome: len(lines) for outcome, lines in report.outcomes.items()}
