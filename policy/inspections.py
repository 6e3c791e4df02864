"""Inspection rules (the permit rules decide through the inspection's permit):

- `can_view_inspection` (its page): as the permit's private details (`can_view_private`);
- `can_cancel_inspection`: policy.permits;
- `can_follow_calendar_feed` (their private iCalendar link answers): an active account; the
  feed lists only what that user may see of their records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .permits import can_view_private

if TYPE_CHECKING:
    from inspections.models import Inspection


def can_view_inspection(user, inspection: Inspection) -> bool:
    return can_view_private(user, inspection.permit)


def can_follow_calendar_feed(user) -> bool:
    return bool(user.is_authenticated and user.is_active)
