"""Forget the cached holiday list whenever staff change a holiday; cancel the inspections of a
permit that expires or is cancelled."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_noop

from core.status import status_moved
from permits.models import Permit, PermitStatus

from .models import Holiday, Inspection, InspectionStatus
from .scheduling import forget_holidays
from .services import inspections_cancel_for_ended_permit


@receiver([post_save, post_delete], sender=Holiday, dispatch_uid="inspections.forget_holidays")
def holidays_changed(sender, **kwargs) -> None:
    forget_holidays()


# Why the inspections were cancelled: kept in English in the history and the result's comments
# (stored data), marked for a translation where they are shown.
ENDED = {
    PermitStatus.EXPIRED: gettext_noop("the permit expired"),
    PermitStatus.CANCELLED: gettext_noop("the permit was cancelled"),
}


@receiver(status_moved, sender=Permit, dispatch_uid="inspections.permit_ended")
def permit_ended(sender, instance: Permit, status: str, **kwargs) -> None:
    if status in ENDED:
        inspections_cancel_for_ended_permit(permit=instance, reason=ENDED[status])


@receiver(status_moved, sender=Inspection, dispatch_uid="inspections.card_after_result")
def card_after_result(sender, instance: Inspection, status: str, **kwargs) -> None:
    """A result is on the permit card: its next revision shows it."""
    if status == InspectionStatus.COMPLETED:
        from core.mail import enqueue_after_commit
        from permits.tasks import refresh_permit_card

        enqueue_after_commit(refresh_permit_card, instance.permit_id)
