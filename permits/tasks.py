from celery import shared_task


@shared_task
def expire_permits() -> int:
    """Run daily by Celery beat (see CELERY_BEAT_SCHEDULE)."""
    # Imported here: the services enqueue this module's tasks.
    from .services import permits_expire

    return len(permits_expire())


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def refresh_permit_card(permit_id: int) -> None:
    """The permit card's next revision, if what it shows changed (permits.cards)."""
    from .cards import permit_card_refresh
    from .models import Permit

    permit = Permit.objects.filter(pk=permit_id).first()
    if permit is not None:
        permit_card_refresh(permit=permit)
