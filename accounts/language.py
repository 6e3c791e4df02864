"""Which language a person reads the portal in (issue 25; docs/i18n.md).

A visitor's is the language cookie, else their browser's Accept-Language (Django's
LocaleMiddleware). A signed-in person's is their account's (`User.language`): the header's switch
sets it, and an account that has none takes the language its pages were in at its first sign-in.
Everything sent to a person (notifications, allauth's emails) is rendered in `language_of` them,
in a request or a Celery task alike; an address with no account gets the portal's default.
"""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.functions import Lower
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import translation


def offered(language: str | None) -> bool:
    return bool(language) and language in dict(settings.LANGUAGES)


def language_of(user) -> str:
    """The language to write to this user in: their account's, else the portal's default."""
    chosen = getattr(user, "language", "")
    return chosen if offered(chosen) else settings.LANGUAGE_CODE


def languages_of(user_ids: Iterable[int]) -> dict[int, str]:
    """Each user's language (`language_of`), in one query."""
    ids = {pk for pk in user_ids if pk}
    if not ids:
        return {}
    found = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "language"))
    return {pk: found[pk] if offered(found.get(pk)) else settings.LANGUAGE_CODE for pk in ids}


def language_for_address(email: str) -> str:
    """The language of the active account with this address, or "" when there is none (or it
    has not chosen one)."""
    chosen = (
        get_user_model()
        .objects.annotate(address=Lower("email"))
        .filter(address=email.strip().lower(), is_active=True)
        .values_list("language", flat=True)
        .first()
    )
    return chosen if offered(chosen) else ""


def set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def _account_language(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    return user.language if offered(user.language) else ""


class AccountLanguageMiddleware:
    """After LocaleMiddleware and AuthenticationMiddleware: a signed-in person's pages are in
    their account's language, on any browser; the browser's language cookie is set to it, so
    that the pages stay in it after signing out."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = _account_language(request)
        if chosen and chosen != translation.get_language():
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        # The person may have signed in (or chosen a language) during this request.
        chosen = _account_language(request)
        if chosen and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != chosen:
            set_language_cookie(response, chosen)
        return response


@receiver(user_logged_in, dispatch_uid="accounts.language.keep_first_language")
def keep_first_language(sender, request, user, **kwargs) -> None:
    """An account without a language takes the one its pages were in when it signed in (the
    switch's cookie or the browser's): its emails are then in the language it reads."""
    if request is None or offered(getattr(user, "language", "")):
        return
    from .services import user_language_set

    # Only the language this request was served in (LocaleMiddleware's choice): a sign-in
    # without one (a test client's force_login, a script) would otherwise store whatever
    # language the thread last served.
    current = getattr(request, "LANGUAGE_CODE", "")
    if offered(current):
        user_language_set(user=user, language=current)
