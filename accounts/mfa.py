"""Staff's second factor (allauth's MFA) before the staff pages.

Staff (is_staff) open Django admin only from a session that passed a second factor: an
authenticator app's code, or one of its recovery codes, at sign-in (allauth's MFA stage) or when
asked again. allauth records each factor a session passed (its "authentication records"); this
module reads them. STAFF_REQUIRE_MFA turns the rule off for a site that signs staff in some
other way. Contractors may add an authenticator app too; they are never required to.
"""

from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy

from policy.staff import is_city_staff

# The session's staff member came through their one-time set-up link (accounts.enrolment_views).
ENROLMENT_SESSION_KEY = "accounts.enrolment_user"

WHY_STAFF_NEED_A_SECOND_FACTOR = gettext_lazy(
    "City staff need a second factor before they open the staff pages: a stolen password "
    "alone must not reach the city's records. Set up an authenticator app on your phone "
    "(it takes a minute); you also get recovery codes for the day the phone is not at hand."
)


def mfa_installed() -> bool:
    return apps.is_installed("allauth.mfa")


def needs_second_factor(user) -> bool:
    """Whether this user must pass a second factor before the staff pages."""
    return bool(
        settings.STAFF_REQUIRE_MFA
        and getattr(user, "is_authenticated", False)
        and is_city_staff(user)
    )


def session_passed_second_factor(request: HttpRequest) -> bool:
    """Whether this session's user passed a second factor in this session (allauth keeps the
    record of every factor passed, tied to the user; a new sign-in starts a new list)."""
    from allauth.account.internal.flows.login import get_authentication_records

    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def may_open_staff_pages(request: HttpRequest) -> bool:
    """The second-factor half of "may this person open Django admin" (the admin site checks
    is_active and is_staff itself)."""
    return not needs_second_factor(request.user) or session_passed_second_factor(request)


def has_authenticator_app(user) -> bool:
    if not mfa_installed():
        return False
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import is_mfa_enabled

    return is_mfa_enabled(user, [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN])


def needs_set_up_link(user) -> bool:
    """Staff who must pass a second factor and have no authenticator app yet: their first is
    set up only through the link an administrator emails them, never with the password
    alone (a stolen password must not be enough to add the thief's app)."""
    return needs_second_factor(user) and not has_authenticator_app(user)


def came_through_set_up_link(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and request.session.get(ENROLMENT_SESSION_KEY) == user.pk)


def may_set_up_first_authenticator(request: HttpRequest) -> bool:
    """Whether this session may open the set-up page: anyone who needs no link (a contractor,
    staff adding a second app), or the staff member who came through their link."""
    return not needs_set_up_link(request.user) or came_through_set_up_link(request)


def _next_url(request: HttpRequest) -> str:
    next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse("admin:index")


def _with_next(url: str, next_url: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")


def staff_sign_in_redirect(request: HttpRequest) -> HttpResponse | None:
    """Where the admin's sign-in page sends a person while staff need a second factor, or None
    to let Django's admin sign-in page answer (the rule is off).

    Nobody signs in on the admin's own form then: a visitor goes to the portal's sign-in
    (django-axes and allauth's limits, then allauth's MFA stage); a staff member who has not
    passed a second factor in this session is asked for a code; one who has no authenticator
    app is told to ask for their set-up link (or, come through it, sent to set it up); a
    signed-in contractor is refused."""
    if not settings.STAFF_REQUIRE_MFA:
        return None
    if not mfa_installed():
        raise ImproperlyConfigured(
            "STAFF_REQUIRE_MFA is on but allauth's MFA is not installed: "
            "pip install 'django-allauth[mfa]' (or turn STAFF_REQUIRE_MFA off)."
        )
    user = request.user
    next_url = _next_url(request)
    if not user.is_authenticated:
        return _with_next(reverse("account_login"), next_url)
    if not is_city_staff(user):
        raise PermissionDenied("The staff pages are for city staff.")
    if session_passed_second_factor(request):
        return HttpResponseRedirect(next_url)
    if has_authenticator_app(user):
        return _with_next(reverse("mfa_reauthenticate"), next_url)
    if came_through_set_up_link(request):
        return HttpResponseRedirect(reverse("mfa_activate_totp"))
    # Signed in by password alone with no app (a session from before the rule): no set-up
    # page, the link it takes.
    return authenticator_link_needed(request)


def authenticator_link_needed(request: HttpRequest, *, status: int = 403) -> HttpResponse:
    """What staff without an authenticator app read instead of a set-up page."""
    return render(request, "accounts/authenticator_link_needed.html", status=status)


def record_second_factor_at_activation(request: HttpRequest, user, authenticator) -> None:
    """Activating an authenticator app takes a valid code from it: the session has passed the
    second factor as surely as at a sign-in, so the staff member goes on without waiting for
    the app's next code."""
    from allauth.account.internal.flows.login import record_authentication

    # As a fresh confirmation too (allauth's "reauthenticated"): the recovery codes page that
    # follows asks for one, and a staff member come through their set-up link has no password
    # of their own to type.
    record_authentication(
        request,
        user,
        "mfa",
        id=authenticator.pk,
        type=authenticator.type,
        reauthenticated=True,
    )
