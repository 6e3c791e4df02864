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
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from policy.staff import is_city_staff

WHY_STAFF_NEED_A_SECOND_FACTOR = (
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
    passed a second factor in this session is asked for a code, or sent to set up an
    authenticator app if they have none; a signed-in contractor is refused."""
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
    if _password_asked_first(request):
        # allauth asks for the password again before adding a factor: say why on that page (the
        # set-up page says it itself).
        messages.info(
            request,
            "City staff need a second factor before they open the staff pages: confirm your "
            "password, then set up an authenticator app.",
        )
    return HttpResponseRedirect(reverse("mfa_activate_totp"))


def _password_asked_first(request: HttpRequest) -> bool:
    from allauth.account.internal.flows.reauthentication import is_reauthentication_required

    return is_reauthentication_required(request, app="allauth.mfa")


def record_second_factor_at_activation(request: HttpRequest, user, authenticator) -> None:
    """Activating an authenticator app takes a valid code from it: the session has passed the
    second factor as surely as at a sign-in, so the staff member goes on without waiting for
    the app's next code."""
    from allauth.account.internal.flows.login import record_authentication

    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
