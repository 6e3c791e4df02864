"""/robots.txt (issue 23's newcomer walk: it answered 404): crawlers may read the public pages
(home, Search Permits, a permit's public page, the check page, the guide to applying) and none
behind a sign-in; served as plain text with the portal's security headers."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

NUMBER = "RES26-0001"


def rules(text: str) -> list[tuple[bool, str]]:
    """(allowed, path pattern) of the one `User-agent: *` group."""
    found = []
    for line in text.splitlines():
        field, _, value = line.partition(":")
        if field.strip().lower() in ("allow", "disallow") and value.strip():
            found.append((field.strip().lower() == "allow", value.strip()))
    return found


def allowed(text: str, path: str) -> bool:
    """As Google reads robots.txt (RFC 9309): the longest matching rule wins, `*` is any run
    of characters, `$` the end; Allow wins a tie; no rule: allowed."""
    best: tuple[int, bool] | None = None
    for allow, pattern in rules(text):
        regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\$", "$")
        if re.match(regex, path):
            candidate = (len(pattern), allow)
            if best is None or candidate > best:
                best = candidate
    return best is None or best[1]


def test_robots_txt_is_plain_text_with_the_security_headers(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "max-age=86400" in response["Cache-Control"]
    text = response.text
    assert text.splitlines()[0].startswith("# City of Springfield Permit Portal")
    assert "User-agent: *" in text
    # The portal publishes no sitemap, so robots.txt names none.
    assert "Sitemap:" not in text


@pytest.mark.parametrize(
    "path",
    [
        "/",
        reverse("permits:search"),
        reverse("permits:search") + "?address=Oak+St",
        reverse("permits:detail", args=[NUMBER]),
        reverse("permits:verify_code"),
        reverse("permits:verify", args=["7KQ2-M9XP"]),
        reverse("applications:guide"),
        reverse("applications:type", args=["RES"]),
        reverse("accounts:register"),
    ],
)
def test_public_pages_may_be_crawled(client, path):
    assert allowed(client.get("/robots.txt").text, path)


@pytest.mark.parametrize(
    "path",
    [
        reverse("admin:index"),
        reverse("account_login"),
        reverse("mfa_authenticate"),
        reverse("accounts:manage"),
        reverse("accounts:register_account"),
        reverse("accounts:business", args=[1]),
        reverse("dashboard"),
        reverse("health"),
        reverse("permits:search_csv"),
        reverse("permits:my_records"),
        reverse("permits:collections"),
        reverse("permits:card", args=[NUMBER]),
        reverse("permits:document_download", args=[NUMBER, 1]),
        reverse("permits:contact_add", args=[NUMBER]),
        reverse("reviews:permit_reviews", args=[NUMBER]),
        reverse("reviews:permit_corrections", args=[NUMBER]),
        reverse("reviews:condition_answer", args=[NUMBER, 1]),
        reverse("applications:start", args=["RES"]),
        reverse("applications:mine"),
        reverse("inspections:my_stops"),
        reverse("inspections:request", args=[NUMBER]),
        reverse("payments:cart"),
        reverse("payments:receipt", args=["R-0001"]),
        reverse("notifications:list"),
    ],
)
def test_pages_behind_a_sign_in_may_not(client, path):
    assert not allowed(client.get("/robots.txt").text, path)
