"""The permits app in more than one language (issue 25): what a page shows in the reader's
language is never shared with a reader of another, and what must not depend on the language
(whether a permit's card changed) does not."""

import datetime
import zlib

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from permits.cards import permit_card_refresh
from permits.models import Permit, PermitCard
from permits.views import without_csrf_token
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("permits:search")


@pytest.fixture
def translating():
    """Translation on, as it is once the portal speaks French, whatever the settings say
    (Django serves the translation functions it chose first: forget them on both sides)."""
    with override_settings(USE_I18N=True):
        translation._trans.__dict__.clear()
        yield
        translation.deactivate()
    translation._trans.__dict__.clear()


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_a_cached_public_search_page_is_never_served_in_another_language(
    client, settings, translating
):
    settings.PERMIT_SEARCH_CACHE_SECONDS = 60
    PermitFactory(street_name="Oak St", applied_on=datetime.date(2026, 3, 31))
    # Each request's language is its reader's (the cookie, else the browser's: LocaleMiddleware).
    english = client.get(SEARCH, {"address": "oak"}, HTTP_ACCEPT_LANGUAGE="en-US")
    assert "03/31/2026" in english.text
    french = client.get(SEARCH, {"address": "oak"}, HTTP_ACCEPT_LANGUAGE="fr-CA")
    # The French page of the same search, made for it (its dates written the Canadian way).
    assert "03/31/2026" not in french.text and "2026-03-31" in french.text
    again = client.get(SEARCH, {"address": "oak"}, HTTP_ACCEPT_LANGUAGE="en-US")
    # The English page kept (but for each visitor's own CSRF token: permits.views).
    assert without_csrf_token(again.content) == without_csrf_token(english.content)


def pdf_text(data: bytes) -> str:
    """The PDF's text as drawn (fpdf2 writes the content streams compressed)."""
    text = []
    for chunk in data.split(b"stream")[1:]:
        try:
            text.append(zlib.decompress(chunk.split(b"endstream")[0].strip(b"\r\n")))
        except zlib.error:
            continue
    return b"\n".join(text).decode("latin-1")


def test_the_card_is_drawn_in_the_active_language_and_revised_only_when_its_facts_change(
    translating,
):
    permit = PermitFactory(issued_on=datetime.date(2026, 12, 7))
    with translation.override("en"):
        first = permit_card_refresh(permit=permit)
    assert first.revision == 0 and "December 7, 2026" in pdf_text(first.file.read())
    with translation.override("fr"):
        # Its words are French now (the month is Django's own French), its facts are not new.
        assert permit_card_refresh(permit=permit) is None
        Permit.objects.filter(pk=permit.pk).update(description="Rear deck")
        second = permit_card_refresh(permit=permit)
    assert second.revision == 1
    text = pdf_text(second.file.read())
    assert "7 décembre 2026" in text or "décembre 7, 2026" in text
    assert "Rear deck" in text
    with translation.override("en"):
        assert permit_card_refresh(permit=permit) is None
    assert PermitCard.objects.filter(permit=permit).count() == 2
