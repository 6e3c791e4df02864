"""A permit Ready to Issue is issued on its own once its fees are paid (or waived) and nothing
another app requires is missing (permits.checks), when the city issues on its own
(PAYMENTS_AUTO_ISSUE)."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_noop

from .checks import issue_blockers
from .exceptions import InvalidPermitStatusMove
from .models import FeeStatus, Permit, PermitStatus


@transaction.atomic
def permit_issue_when_ready(*, permit: Permit, by=None, note: str = "") -> bool:
    """Issue a permit Ready to Issue when its fees are paid (or waived) and nothing registered
    is missing, if the city issues on its own (PAYMENTS_AUTO_ISSUE; otherwise a clerk issues
    it). Whether it was issued."""
    if not settings.PAYMENTS_AUTO_ISSUE:
        return False
    permit = Permit.objects.select_for_update(no_key=True).get(pk=permit.pk)
    if permit.status != PermitStatus.READY_TO_ISSUE:
        return False
    if permit.fees.filter(status=FeeStatus.DUE).exists() or issue_blockers(permit):
        return False
    try:
        permit.move_to(
            PermitStatus.ISSUED,
            by=by,
            note=note or gettext_noop("Issued: fees paid, nothing missing"),
        )
    except InvalidPermitStatusMove:
        return False
    return True
