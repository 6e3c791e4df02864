"""A staff member's first authenticator app: set up only through the one-time link an
administrator emailed them, never with the password alone (accounts.mfa says who needs one)."""

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .exceptions import EnrolmentLinkError
from .mfa import (
    ENROLMENT_SESSION_KEY,
    authenticator_link_needed,
    may_set_up_first_authenticator,
)
from .security import client_ip, security_log
from .services import authenticator_link_open

# The link signs the staff member in (as a password reset link would): through the backend
# that knows every account, not django-axes's, which only counts passwords.
LINK_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


@never_cache
@require_http_methods(["GET", "POST"])
def authenticator_link(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: a button, so that a mail scanner opening the link uses nothing; the
    button uses the link, signs its staff member in and opens the set-up page."""
    if request.method == "GET":
        return render(request, "accounts/authenticator_link.html", {"token": token})
    try:
        user = authenticator_link_open(token=token)
    except EnrolmentLinkError as error:
        return render(
            request,
            "accounts/authenticator_link.html",
            {"token": token, "error": str(error)},
            status=410,
        )
    login(request, user, backend=LINK_BACKEND)
    request.session[ENROLMENT_SESSION_KEY] = user.pk
    security_log.info(
        "authenticator set-up link used: user=%s ip=%s", user.get_username(), client_ip(request)
    )
    return HttpResponseRedirect(reverse("mfa_activate_totp"))


def activate_totp(request: HttpRequest) -> HttpResponse:
    """allauth's set-up page, refused to staff who did not come through their link."""
    from allauth.mfa.totp.views import activate_totp as allauths

    if not may_set_up_first_authenticator(request):
        return authenticator_link_needed(request)
    return allauths(request)
