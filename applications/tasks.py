"""Drafts lapsing (Celery beat). (The applicant's emails: applications.subscribers.)"""

from celery import shared_task


@shared_task
def expire_application_drafts() -> tuple[int, int]:
    """Run daily by Celery beat (CELERY_BEAT_SCHEDULE)."""
    from .services import application_drafts_expire

    return application_drafts_expire()
