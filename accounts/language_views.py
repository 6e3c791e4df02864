"""The header's language switch (templates/includes/language_switch.html): a form on every page,
posting here, back to the page it was on."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .language import offered, set_language_cookie
from .services import user_language_set


def _back(request: HttpRequest) -> str:
    """The page the switch was on (only this site's), else the home page."""
    page = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        page, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return page
    return reverse("home")


@require_POST
def language_choose(request: HttpRequest) -> HttpResponse:
    """Read the portal in the language chosen: kept in the browser's cookie and, for a
    signed-in person, on their account (their emails and texts follow it)."""
    response = HttpResponseRedirect(_back(request))
    language = request.POST.get("language", "")
    if not offered(language):
        messages.error(request, _("Choose one of the languages the switch offers."))
        return response
    if request.user.is_authenticated:
        user_language_set(user=request.user, language=language)
    translation.activate(language)
    request.LANGUAGE_CODE = language
    set_language_cookie(response, language)
    return response
