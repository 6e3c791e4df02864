"""Idle sessions end: staff after STAFF_IDLE_MINUTES, everyone else after
CONTRACTOR_IDLE_MINUTES without a request."""

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from core.kept_forms import view_keeps_typed
from policy.staff import is_city_staff

from .security import client_ip, security_log

LAST_ACTIVITY_SESSION_KEY = "portal_last_activity"
# The time of the last request is written at most this often: writing it on every request would
# save the session (a database write) on every page. A session may so end up to this much
# before its limit, never after.
RECORD_ACTIVITY_EVERY = timedelta(minutes=1)


def idle_limit(user) -> timedelta:
    minutes = (
        settings.STAFF_IDLE_MINUTES if is_city_staff(user) else settings.CONTRACTOR_IDLE_MINUTES
    )
    return timedelta(minutes=minutes)


def record_activity(request: HttpRequest) -> None:
    request.session[LAST_ACTIVITY_SESSION_KEY] = timezone.now().timestamp()


def is_navigation(request: HttpRequest) -> bool:
    """A person opening a page, not the browser fetching a favicon or a script's request
    (browsers say which in Sec-Fetch-Mode; a client that does not say is taken at its word)."""
    return request.headers.get("Sec-Fetch-Mode", "navigate") == "navigate"


class IdleSignOutMiddleware:
    """Ends a signed-in session idle past its limit at the person's next page, and sends them
    to "Signed out for inactivity" (with the page they asked for, to come back to after signing
    in again). A session's time starts at sign-in (accounts.signals).

    The first request after the limit may be the browser's own (a favicon) rather than the
    person's click: it is served as to a visitor, and the session, which no request can use any
    more, ends at their next page, which so says why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = timezone.now().timestamp()
            last = request.session.get(LAST_ACTIVITY_SESSION_KEY)
            if not isinstance(last, int | float):
                record_activity(request)
            elif now - last > idle_limit(user).total_seconds():
                if request.method == "POST" and view_keeps_typed(request.path_info):
                    # The form's view keeps what was typed for after the next sign-in.
                    self.sign_out(request, user)
                    return self.get_response(request)
                if is_navigation(request):
                    return self.sign_out(request, user)
                request.user = AnonymousUser()
            elif now - last >= RECORD_ACTIVITY_EVERY.total_seconds():
                record_activity(request)
        return self.get_response(request)

    def sign_out(self, request: HttpRequest, user) -> HttpResponse:
        security_log.info(
            "signed out for inactivity: user=%s ip=%s", user.get_username(), client_ip(request)
        )
        logout(request)
        url = reverse("accounts:signed_out_idle")
        if request.method == "GET":
            url = f"{url}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}"
        return HttpResponseRedirect(url)
