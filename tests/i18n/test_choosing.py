"""Issue 25, requirement 3: choosing the language. A switch on every page (the portal's and
admin's), remembered on the account and, for visitors, in a cookie; the browser's language on a
first visit; the account's language applied at sign-in; URLs the same in both languages."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.language import language_of, languages_of
from permits.views import CSRF_FIELD
from tests.factories import TEST_PASSWORD, PermitFactory, UserFactory

pytestmark = pytest.mark.django_db

SWITCH = reverse("accounts:language")
HOME = reverse("home")
SEARCH = reverse("permits:search")
COOKIE = settings.LANGUAGE_COOKIE_NAME
FRENCH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "fr-CA,fr;q=0.9,en;q=0.8"}


def page_language(response) -> str:
    return response["Content-Language"]


def csrf_token_of(page) -> str:
    return CSRF_FIELD.search(page.content).group(0).decode().split('value="')[1].rstrip('"')


def switch_button(html: str, code: str) -> bool:
    return f'name="language" value="{code}" lang="{code}"' in html


# A first visit -----------------------------------------------------------------------------------


@pytest.mark.parametrize("asked", ["fr-CA,fr;q=0.9", "fr", "fr-FR,en;q=0.5", "fr-BE"])
def test_a_first_visit_from_a_french_browser_is_in_french(client, asked):
    response = client.get(HOME, HTTP_ACCEPT_LANGUAGE=asked)
    assert page_language(response) == "fr-ca"
    assert '<html lang="fr-ca">' in response.text
    assert "Passer au contenu principal" in response.text
    assert switch_button(response.text, "en") and ">English</button>" in response.text


@pytest.mark.parametrize("asked", ["", "en-US,en;q=0.9", "de-DE", "en,fr;q=0.5"])
def test_any_other_first_visit_is_in_english(client, asked):
    response = client.get(HOME, HTTP_ACCEPT_LANGUAGE=asked) if asked else client.get(HOME)
    assert page_language(response) == "en"
    assert '<html lang="en">' in response.text
    assert "Skip to main content" in response.text
    assert switch_button(response.text, "fr-ca") and ">Français</button>" in response.text


# A visitor's switch ------------------------------------------------------------------------------


def test_a_visitor_switches_and_every_page_after_is_in_the_language_chosen(client):
    page = SEARCH + "?address=oak&page=2"
    response = client.post(SWITCH, {"language": "fr-ca", "next": page})
    assert response.status_code == 302 and response["Location"] == page  # back where it was
    cookie = response.cookies[COOKIE]
    assert cookie.value == "fr-ca"
    assert cookie["max-age"] == settings.LANGUAGE_COOKIE_AGE
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert page_language(client.get(HOME)) == "fr-ca"
    # The cookie wins over the browser's language; the same URL serves either language.
    assert page_language(client.get(HOME, HTTP_ACCEPT_LANGUAGE="en-US")) == "fr-ca"
    client.post(SWITCH, {"language": "en", "next": HOME})
    assert page_language(client.get(HOME, **FRENCH_BROWSER)) == "en"


def test_the_switch_needs_its_csrf_token():
    client = Client(enforce_csrf_checks=True)
    assert client.post(SWITCH, {"language": "fr-ca", "next": HOME}).status_code == 403
    page = client.get(HOME)
    token = csrf_token_of(page)
    response = client.post(
        SWITCH, {"language": "fr-ca", "next": HOME, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302 and response.cookies[COOKIE].value == "fr-ca"


def test_the_switch_is_a_post(client):
    assert client.get(SWITCH, {"language": "fr-ca"}).status_code == 405


def test_a_language_the_portal_does_not_offer_is_refused_with_a_message(client):
    response = client.post(SWITCH, {"language": "de", "next": SEARCH}, follow=True)
    assert response.redirect_chain[-1][0] == SEARCH
    assert "Choose one of the languages the switch offers." in response.text
    assert COOKIE not in client.cookies or client.cookies[COOKIE].value != "de"
    assert page_language(response) == "en"


@pytest.mark.parametrize("elsewhere", ["https://evil.example/", "//evil.example/x", ""])
def test_the_switch_only_goes_back_to_a_page_of_the_portal(client, elsewhere):
    response = client.post(SWITCH, {"language": "fr-ca", "next": elsewhere})
    assert response["Location"] == HOME


def test_every_page_offers_the_switch_back_to_itself(client):
    page = client.get(SEARCH + "?address=oak")
    assert f'action="{SWITCH}"' in page.text
    assert 'name="next" value="/permits/search/?address=oak"' in page.text


# An account's language ---------------------------------------------------------------------------


def sign_in(client: Client, user, **headers):
    return client.post(
        reverse("account_login"), {"login": user.username, "password": TEST_PASSWORD}, **headers
    )


def test_a_signed_in_person_s_choice_is_kept_on_their_account_and_follows_them(client):
    user = UserFactory(language="en")
    client.force_login(user)
    client.post(SWITCH, {"language": "fr-ca", "next": HOME})
    user.refresh_from_db()
    assert user.language == "fr-ca"
    # Another browser, in English: their pages are in French as soon as they sign in.
    elsewhere = Client()
    assert page_language(elsewhere.get(HOME, HTTP_ACCEPT_LANGUAGE="en-US")) == "en"
    response = sign_in(elsewhere, user, HTTP_ACCEPT_LANGUAGE="en-US")
    assert response.status_code == 302
    assert page_language(elsewhere.get(HOME, HTTP_ACCEPT_LANGUAGE="en-US")) == "fr-ca"
    # ...and that browser keeps French after signing out.
    assert elsewhere.cookies[COOKIE].value == "fr-ca"
    elsewhere.post(reverse("account_logout"))
    assert page_language(elsewhere.get(HOME, HTTP_ACCEPT_LANGUAGE="en-US")) == "fr-ca"


def test_an_account_with_no_language_keeps_the_one_it_first_signs_in_with(client):
    user = UserFactory(language="")
    sign_in(client, user, **FRENCH_BROWSER)
    user.refresh_from_db()
    assert user.language == "fr-ca"
    assert language_of(user) == "fr-ca"


def test_an_account_s_language_is_not_changed_by_a_browser_signing_in(client):
    user = UserFactory(language="en")
    sign_in(client, user, **FRENCH_BROWSER)
    user.refresh_from_db()
    assert user.language == "en"
    assert page_language(client.get(HOME, **FRENCH_BROWSER)) == "en"


def test_who_has_chosen_no_language_is_written_to_in_the_portal_s(db):
    chosen, unchosen = UserFactory(language="fr-ca"), UserFactory(language="")
    assert language_of(unchosen) == settings.LANGUAGE_CODE
    assert languages_of([chosen.pk, unchosen.pk, None]) == {
        chosen.pk: "fr-ca",
        unchosen.pk: settings.LANGUAGE_CODE,
    }


def test_staff_admin_has_the_switch_too(client):
    staff = UserFactory(is_staff=True, is_superuser=True, language="fr-ca")
    client.force_login(staff)
    page = client.get(reverse("admin:index"))
    assert page.status_code == 200
    assert switch_button(page.text, "en") and 'class="admin-language-switch"' in page.text
    assert page_language(page) == "fr-ca"
    assert "Modifier le mot de passe" in page.text  # Django's own French


# A page kept for everyone ------------------------------------------------------------------------


@pytest.fixture
def cached_search(settings):
    settings.PERMIT_SEARCH_CACHE_SECONDS = 60
    PermitFactory(street_name="Oak St")


def test_a_cached_search_page_is_kept_per_language(client, cached_search):
    english = client.get(SEARCH, {"address": "oak"})
    assert "Skip to main content" in english.text
    french = Client().get(SEARCH, {"address": "oak"}, **FRENCH_BROWSER)
    assert "Passer au contenu principal" in french.text and page_language(french) == "fr-ca"


def test_a_cached_search_page_gives_each_visitor_a_switch_that_works(cached_search):
    first = Client(enforce_csrf_checks=True)
    first.get(SEARCH, {"address": "oak"})
    second = Client(enforce_csrf_checks=True)  # served from the cache
    page = second.get(SEARCH, {"address": "oak"})
    token = csrf_token_of(page)
    assert token
    response = second.post(
        SWITCH, {"language": "fr-ca", "next": HOME, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
