"""Inspection rules (the permit rules decide through the inspection's permit):

- `can_view_inspection` (its page): as the permit's private details (`can_view_private`);
- `can_cancel_inspection`: policy.permits;
- `can_record_inspection_result` (record its result, and request the re-inspection of one that
  failed): city staff who are its assigned inspector (in the Inspectors group), or who have
  admin's permission to change inspections (clerks); reads the inspection's inspector;
- `can_follow_calendar_feed` (their private iCalendar link answers): an active account; the
  feed lists only what that user may see of their records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .permits import can_view_private
from .staff import is_city_staff, is_inspector

CHANGE_INSPECTIONS = "inspections.change_inspection"

if TYPE_CHECKING:
    from inspections.models import Inspection


def can_view_inspection(user, inspection: Inspection) -> bool:
    return can_view_private(user, inspection.permit)


def can_follow_calendar_feed(user) -> bool:
    return bool(user.is_authenticated and user.is_active)


def can_record_inspection_result(user, inspection: Inspection) -> bool:
    if not is_city_staff(user):
        return False
    if user.has_perm(CHANGE_INSPECTIONS):
        return True
    assigned = inspection.inspector_id is not None and inspection.inspector.user_id == user.pk
    return assigned and is_inspector(user)
