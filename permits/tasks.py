from celery import shared_task

from .services import permits_expire


@shared_task
def expire_permits() -> int:
    """Run daily by Celery beat (see CELERY_BEAT_SCHEDULE)."""
    return len(permits_expire())
