"""Reads for the portal's notifications: the header's unread count and the Notifications page."""

from django.db.models import QuerySet

from .models import Notice


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notice.objects.filter(user=user, in_portal=True, read_at__isnull=True).count()


def notices_for(user, *, group: str = "", unread: bool = False) -> QuerySet[Notice]:
    notices = Notice.objects.filter(user=user, in_portal=True).select_related("permit", "event")
    if group:
        notices = notices.filter(group=group)
    if unread:
        notices = notices.filter(read_at__isnull=True)
    return notices.order_by("-created_at", "-id")


# The bell counts up to this many and shows "99+" past it: a count that stops at the 100th row of
# the unread index costs the same for a user with 100,000 unread as for one with three.
BELL_CAP = 100


def unread_count_capped(user, cap: int = BELL_CAP) -> int:
    """The user's unread notifications, counted up to `cap` (one COUNT over the unread index)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    unread = Notice.objects.filter(user=user, in_portal=True, read_at__isnull=True)
    return unread.order_by().values("pk")[:cap].count()
