"""Issue 25, requirement 2: English left on a French page fails the build. The pseudo-locale
(tests/i18n/pseudo.py) renders the pages of the accessibility test in French with every word
from a catalogue marked; any other words are English that slipped through.

So far the header and the footer (templates/base.html) are translated: CONVERTED names what is
checked. As the pages are translated, widen it (a page's <main>, then the whole page, with the
data each shows in DATA) until it is the whole page and the admin's pages too."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext, ngettext

from demo.seed import seed_demo_city
from tests.e2e.test_accessibility import clerk_pages, contractor_pages, public_pages
from tests.factories import UserFactory

from .pseudo import CLOSE, OPEN, pseudo_french, untranslated

# The parts of every portal page translated so far.
CONVERTED = ("header", "footer")


def data() -> list[str]:
    """What a page shows that is not the portal's words: the city's own."""
    return [settings.CITY_NAME, settings.CITY_OFFICE_PHONE]


def portal_pages(paths: list[str]) -> list[str]:
    """The portal's own pages among the accessibility test's (admin's are Django's and have
    their own header)."""
    return [path for path in paths if not path.startswith("/admin/")]


# The helper itself -------------------------------------------------------------------------------


def test_the_pseudo_translation_marks_what_a_catalogue_translates_and_only_that():
    with pseudo_french(), translation.override("fr-ca"):
        assert gettext("Search Permits") == f"{OPEN}Rechercher des permis{CLOSE}"  # the portal's
        assert gettext("This field is required.") == f"{OPEN}Ce champ est obligatoire.{CLOSE}"
        assert gettext("Words no catalogue has") == "Words no catalogue has"
        assert ngettext("%(n)s word", "%(n)s words", 2) == "%(n)s words"
    with translation.override("fr-ca"):  # and French is itself again afterwards
        assert gettext("Search Permits") == "Rechercher des permis"


def test_untranslated_lists_the_words_outside_the_marks_wherever_a_person_reads_them():
    page = f"""<html><head><title>{OPEN}Accueil{CLOSE} · City of Springfield</title></head><body>
      <header><a href="/">{OPEN}Rechercher{CLOSE}</a> <a href="/x">Dashboard</a>
        <button aria-label="Close menu">×</button>
        <input type="submit" value="{OPEN}Envoyer{CLOSE}"><input type="hidden" value="token">
        <form><button lang="en">English</button></form>
        <p>{OPEN}Appelez le <a href="tel:1">(217) 555-0100</a> au besoin{CLOSE}</p>
        <p>{OPEN}Un titre coupé…</p><p>Left in English</p>
        <script>var words = "not read";</script>
      </header><main>Not checked here</main></body></html>"""
    slips = untranslated(page, within=("header",), data=["City of Springfield"])
    assert sorted(slip.text for slip in slips) == ["Close menu", "Dashboard", "Left in English"]
    everything = untranslated(page, data=["City of Springfield"])
    assert "Not checked here" in [slip.text for slip in everything]


# The pages ---------------------------------------------------------------------------------------


@pytest.fixture
def city(db):
    seed_demo_city()


def check(client: Client, paths: list[str], who: str) -> list[str]:
    problems = []
    with pseudo_french():
        for path in paths:
            response = client.get(path, HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9")
            assert response.status_code == 200, f"{who} {path}: {response.status_code}"
            assert response["Content-Language"] == "fr-ca"
            html = response.content.decode()
            assert '<html lang="fr-ca">' in html, f"{who} {path}: the page does not say French"
            problems += [
                f"{who} {path}: {slip}"
                for slip in untranslated(html, within=CONVERTED, data=data())
            ]
    return problems


def test_the_translated_parts_of_every_page_have_no_english_for_a_visitor(city, client):
    assert not check(client, public_pages(), "visitor")


def sign_in_in_french(client: Client, username: str) -> None:
    user = get_user_model().objects.get(username=username)
    user.language = "fr-ca"
    user.save(update_fields=["language"])
    client.force_login(user)


def test_the_translated_parts_of_every_page_have_no_english_for_a_contractor(city, client):
    sign_in_in_french(client, "demo")
    assert not check(client, portal_pages(contractor_pages()), "contractor")


def test_the_translated_parts_of_every_page_have_no_english_for_a_clerk(city, client):
    sign_in_in_french(client, "clerk")
    assert not check(client, portal_pages(clerk_pages()), "clerk")


def test_english_that_slips_onto_a_translated_part_is_caught(client, db, settings, tmp_path):
    """The check's control: a header with one English word (as if a new link were added
    without {% translate %}) fails it."""
    header = tmp_path / "includes"
    header.mkdir()
    (header / "language_switch.html").write_text("<a href='/new'>A new link</a>")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    client.force_login(UserFactory(language="fr-ca"))
    problems = check(client, ["/"], "contractor")
    assert [problem.split(": ", 1)[1] for problem in problems] == ["'A new link' in a"]
