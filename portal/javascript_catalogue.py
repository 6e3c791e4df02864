"""The JavaScript catalogue: the portal's scripts' words (locale/<language>/LC_MESSAGES/
djangojs.po) and the language's formats, as Django's JavaScriptCatalog writes them (gettext,
ngettext, interpolate, get_format as globals).

Each language's catalogue is made once per process and served at a URL naming its language and
a hash of its content, so a browser keeps it for a year and asks again only when it changes (a
deploy with new words); base.html links it before portal.js."""

import hashlib
from functools import cache

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog

# The portal's own catalogue only (LOCALE_PATHS, which Django always adds): not the admin's or
# another app's words, which no portal page's script shows.
PACKAGES = ["portal"]
A_YEAR = 365 * 24 * 60 * 60


@cache
def catalogue_script(language: str) -> bytes:
    with translation.override(language):
        return JavaScriptCatalog(packages=PACKAGES).get(None).content


def catalogue_version(language: str) -> str:
    return hashlib.sha256(catalogue_script(language)).hexdigest()[:12]


def catalogue_url(language: str) -> str:
    return reverse("javascript_catalogue", args=[language, catalogue_version(language)])


@require_GET
def javascript_catalogue(request: HttpRequest, language: str, version: str) -> HttpResponse:
    if language not in dict(settings.LANGUAGES):
        raise Http404("No such language")
    response = HttpResponse(catalogue_script(language), content_type="text/javascript")
    if version == catalogue_version(language):
        response["Cache-Control"] = f"public, max-age={A_YEAR}, immutable"
    return response
