"""The security question, off unless ACCOUNT_SECURITY_QUESTION is set.

NIST SP 800-63B and OWASP ASVS forbid relying on knowledge-based answers, so the question is only
ever asked in addition to something stronger (the emailed reset link), never instead of it.
"""

import logging

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from core.ratelimit import client_address

SECURITY_QUESTIONS = [
    ("first_job", gettext_lazy("What was the name of the company where you had your first job?")),
    ("first_street", gettext_lazy("What street did you live on in third grade?")),
    ("first_vehicle", gettext_lazy("What was the make and model of your first vehicle?")),
    ("mentor", gettext_lazy("What was the last name of the person who taught you your trade?")),
    ("birth_city", gettext_lazy("In what city or town were you born?")),
]
QUESTION_TEXT = dict(SECURITY_QUESTIONS)

security_log = logging.getLogger("portal.security")


def security_question_enabled() -> bool:
    return bool(settings.ACCOUNT_SECURITY_QUESTION)


def client_ip(request: HttpRequest | None) -> str:
    """The client's address as the one trusted proxy setting tells it (TRUSTED_PROXY_COUNT or
    TRUSTED_CLIENT_IP_HEADER, handed to allauth): the same answer for allauth's rate limits,
    django-axes's lock-outs (AXES_CLIENT_IP_CALLABLE), the security log and the portal's own
    limits (core.ratelimit). Behind a proxy that is not configured, every client would be the
    proxy."""
    return client_address(request)


def axes_client_ip(request: HttpRequest | None) -> str | None:
    """client_ip for django-axes, which stores the address in an inet column on PostgreSQL: an
    unknown address is NULL there ("-" was a 500 at every sign-in without one, e.g. a test
    client's force_login or a proxy header that is not an address)."""
    address = client_ip(request)
    return None if address == "-" else address


def axes_username(request: HttpRequest, credentials: dict | None = None) -> str:
    """The account a sign-in attempt is for, whether it names the user or their email, so that
    five failures lock the account however it was named."""
    from django.contrib.auth import get_user_model

    credentials = credentials or {}
    data = getattr(request, "POST", {}) if request is not None else {}
    value = (
        credentials.get("username")
        or credentials.get("email")
        or data.get("login")
        or data.get("username")
        or ""
    ).strip()
    if "@" in value:
        from allauth.account.models import EmailAddress

        user = get_user_model().objects.filter(email__iexact=value).only("username").first()
        if user is None:
            # Any verified address of the account (allauth signs in with each of them).
            address = (
                EmailAddress.objects.filter(email__iexact=value, verified=True)
                .select_related("user")
                .first()
            )
            user = address.user if address is not None else None
        if user is not None:
            return user.username.lower()
    return value.lower()
