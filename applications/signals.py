"""An application's permit issued: its applicant and contacts are emailed (however it was
issued: on payment, on the last document or condition, or by a clerk)."""

from django.dispatch import receiver

from core.mail import enqueue_after_commit
from core.status import status_moved
from permits.models import Permit, PermitStatus


@receiver(status_moved, sender=Permit, dispatch_uid="applications.permit_issued")
def permit_issued(sender, instance: Permit, status: str, previous: str, **kwargs) -> None:
    if status != PermitStatus.ISSUED or previous != PermitStatus.READY_TO_ISSUE:
        return
    from .models import Application
    from .tasks import send_permit_issued

    application_id = (
        Application.objects.filter(permit=instance).values_list("pk", flat=True).first()
    )
    if application_id is not None:
        enqueue_after_commit(send_permit_issued, application_id)
