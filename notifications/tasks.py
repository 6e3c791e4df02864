"""Celery beat's jobs for notifications: they take ids and call the services."""

from celery import shared_task

from . import sending


@shared_task(ignore_result=True)
def send_due_messages() -> int:
    """Every minute: the messages whose time has come (bursts, digests, retries)."""
    return sending.send_due_messages()
