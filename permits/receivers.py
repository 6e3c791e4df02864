"""The permits app's own listeners: forget the cached list of permit types when one changes
(permits.selectors.permit_type_choices); a permit Ready to Issue whose last fee due is waived is
issued if nothing else is missing (paid fees: payments' confirmation does the same). Connected
in PermitsConfig.ready."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_noop

from core.status import status_moved

from .models import Fee, FeeStatus, Permit, PermitStatus, PermitType
from .selectors import forget_permit_types


@receiver([post_save, post_delete], sender=PermitType, dispatch_uid="permits.permit_types")
def permit_types_changed(sender, **kwargs) -> None:
    forget_permit_types()


@receiver(status_moved, sender=Fee, dispatch_uid="permits.fee_waived")
def fee_waived(sender, instance: Fee, status: str, by=None, **kwargs) -> None:
    if status == FeeStatus.WAIVED:
        from .issuing import permit_issue_when_ready

        permit_issue_when_ready(
            permit=instance.permit, by=by, note=gettext_noop("Issued: its fees are settled")
        )


@receiver(status_moved, sender=Permit, dispatch_uid="permits.card")
def permit_card_after_move(sender, instance: Permit, status: str, **kwargs) -> None:
    """Issued: its card is made; moved later (expired, finaled, cancelled): Rev n says so."""
    if status == PermitStatus.ISSUED or instance.issued_on is not None:
        from core.mail import enqueue_after_commit

        from .tasks import refresh_permit_card

        enqueue_after_commit(refresh_permit_card, instance.pk)
