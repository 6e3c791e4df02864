"""Writes to permits that span rows or models."""

import datetime

from django.db import transaction
from django.utils import timezone

from .models import Permit, PermitStatus


@transaction.atomic
def permits_expire(*, today: datetime.date | None = None) -> list[Permit]:
    """Issued permits whose expiry date has passed become Expired. Returns the permits changed.

    Rows are locked, so a staff member renewing a permit at the same moment wins or loses
    cleanly, and the job can run twice without doing anything twice.
    """
    today = today or timezone.localdate()
    due = (
        Permit.objects.select_for_update(skip_locked=True)
        .filter(status=PermitStatus.ISSUED, expires_on__lt=today)
        .order_by("expires_on", "id")
    )
    changed = []
    for permit in due:
        permit.move_to(
            PermitStatus.EXPIRED, note=f"Expired on {permit.expires_on:%m/%d/%Y}", on=today
        )
        changed.append(permit)
    return changed
