"""Notification rules (a notification is its recipient's alone):

- `can_open_notice` (open it from the Notifications page, mark it read): the user it was told
  to, while it is kept in the portal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from notifications.models import Notice


def can_open_notice(user, notice: Notice) -> bool:
    return bool(user.is_authenticated and notice.in_portal and notice.user_id == user.pk)
