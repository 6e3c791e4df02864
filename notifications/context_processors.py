"""The header's bell: the signed-in user's unread notifications, counted only when a page shows
the header, in one query over the unread index; nothing for anonymous visitors."""

from functools import cached_property

from django.http import HttpRequest

from .selectors import BELL_CAP, unread_count_capped


class Bell:
    """Counted on first use (a page without the header, a redirect, costs nothing)."""

    def __init__(self, user) -> None:
        self.user = user

    @cached_property
    def count(self) -> int:
        return unread_count_capped(self.user)

    @property
    def label(self) -> str:
        """What the bell shows: the count, or "99+" past the cap."""
        return f"{BELL_CAP - 1}+" if self.count >= BELL_CAP else str(self.count)


def notifications(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notification_bell": Bell(user)}
