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
