"""Celery beat's jobs for notifications: they take no arguments and call the services."""

from celery import shared_task

from . import reminders, sending


@shared_task(ignore_result=True)
def send_due_messages() -> int:
    """Every minute: the messages whose time has come (bursts, digests, retries)."""
    return sending.send_due_messages()


@shared_task(ignore_result=True)
def remind_permits_expiring() -> int:
    """Daily: permits expiring in PERMIT_EXPIRY_REMINDER_DAYS (each threshold once)."""
    return reminders.permits_expiring_remind()


@shared_task(ignore_result=True)
def remind_permits_inactive() -> int:
    """Daily: issued permits with no inspection for PERMIT_INACTIVITY_REMINDER_DAYS."""
    return reminders.permits_inactive_remind()


@shared_task(ignore_result=True)
def remind_licenses_expiring() -> int:
    """Daily: licenses expiring in LICENSE_EXPIRY_REMINDER_DAYS (each threshold once)."""
    return reminders.licenses_expiring_remind()


@shared_task(ignore_result=True)
def remind_trust_accounts_below_alert() -> int:
    """Daily: trust accounts under their Manager's alert (once per crossing)."""
    return reminders.trust_accounts_below_alert_remind()
