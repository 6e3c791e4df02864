"""Celery tasks of the bottom layer."""

from celery import shared_task

from .outbox import outbox_relay


@shared_task(ignore_result=True)
def relay_outbox() -> None:
    """Beat's backstop for `manage.py relay_outbox`: publish what the broker did not take."""
    outbox_relay()
