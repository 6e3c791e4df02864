"""The account pages speak through the catalogue (issue 25): under a pseudo-translation (every
catalogue string as ⟦…⟧), nothing on the sign-in, registration, Account Management, business,
set-up link and second-factor pages is left in English but the data (names, numbers, addresses),
and the messages they send the person come through it too."""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from licenses.models import LicenseLink, LicenseStatus, Role
from tests.factories import (
    ContractorFactory,
    LicenseFactory,
    LicenseLinkFactory,
    LicenseTypeFactory,
    MembershipFactory,
    UserFactory,
    verify_email,
)

pytestmark = pytest.mark.django_db

ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "data-confirm"}


@pytest.fixture
def pseudo(monkeypatch):
    """Every string that goes through the catalogue reads ⟦like this⟧ (placeholders kept)."""
    from django.utils import translation

    trans = translation._trans
    monkeypatch.setattr(trans, "gettext", lambda message: f"⟦{message}⟧")
    monkeypatch.setattr(trans, "ngettext", lambda one, many, n: f"⟦{one if n == 1 else many}⟧")
    monkeypatch.setattr(trans, "pgettext", lambda context, message: f"⟦{message}⟧")
    monkeypatch.setattr(
        trans, "npgettext", lambda context, one, many, n: f"⟦{one if n == 1 else many}⟧"
    )


class MainText(HTMLParser):
    """The text of the page's <main> (scripts and data blocks aside) and the attributes a
    person reads or hears (labels, titles, confirmations)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.skipping = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self.depth += 1
        if not self.depth:
            return
        if tag in {"script", "style"}:
            self.skipping += 1
        self.parts.extend(value or "" for name, value in attrs if name in ATTRIBUTES)

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self.skipping:
            self.skipping -= 1
        if tag == "main":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and not self.skipping:
            self.parts.append(data)


# The licenses area's own labels (a license's status, a request's, a business's roles), which its
# models put through the catalogue: not this area's words.
LICENSES_AREA = tuple(
    str(label) for labels in (LicenseStatus, LicenseLink.Status, Role) for label in labels.labels
)


def english_left(page: str, data: tuple[str, ...] = ()) -> str:
    """What a page says outside the catalogue, its data taken away: "" when every word came
    through it."""
    parser = MainText()
    parser.feed(page)
    assert parser.parts, "the page has no <main>"
    text = " ".join(parser.parts)
    while re.search(r"⟦[^⟦⟧]*⟧", text):
        text = re.sub(r"⟦[^⟦⟧]*⟧", " ", text)
    for value in sorted((*data, *LICENSES_AREA), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", text)
    return " ".join(re.findall(r"[^\W\d_]+", text))


@pytest.fixture
def license():
    return LicenseFactory(
        number="EC10002",
        license_type=LicenseTypeFactory(prefix="EC", name="Electrical"),
        holder__business_name="Prairie Electric Co.",
        holder__address="1200 E Cook St",
        holder__city="Springfield",
        holder__state="IL",
        holder__zip_code="62703",
        expires_on=datetime.date(2030, 1, 1),
    )


LICENSE_DATA = (
    "EC10002",
    "EC",
    "Electrical",
    "Prairie Electric Co.",
    "1200 E Cook St",
    "Springfield",
    "IL",
    "62703",
)


def test_the_sign_in_pages_speak_through_the_catalogue(client, pseudo):
    login = reverse("account_login")
    assert english_left(client.get(login).text) == ""
    assert english_left(client.get(login, {"next": "/admin/"}).text) == ""
    refused = client.post(login, {"login": "nobody", "password": "wrong"})
    assert english_left(refused.text) == ""


def test_registration_speaks_through_the_catalogue(client, license, pseudo, settings):
    settings.ACCOUNT_SECURITY_QUESTION = True
    register = reverse("accounts:register")
    assert english_left(client.get(register).text) == ""
    unticked = client.post(register, {})
    assert "⟦Tick “I have read and accepted the above terms” to continue.⟧" in unticked.text
    assert english_left(unticked.text) == ""
    client.post(register, {"accept": "on"})

    licenses = reverse("accounts:register_licenses")
    found = client.get(licenses, {"license_type": "EC", "license_number": "10002"})
    assert english_left(found.text, LICENSE_DATA) == ""
    wrong_prefix = client.get(licenses, {"license_type": "EC", "license_number": "PC1"})
    assert "⟦An Electrical license number starts with EC" in wrong_prefix.text
    assert english_left(wrong_prefix.text, LICENSE_DATA) == ""
    missing = client.get(licenses, {"license_type": "EC", "license_number": "EC99999"})
    assert english_left(missing.text, (*LICENSE_DATA, "EC99999")) == ""
    added = client.post(licenses, {"license": license.pk, "action": "add"}, follow=True)
    assert "was added to My Licenses" in added.text
    assert english_left(added.text, LICENSE_DATA) == ""

    account = client.post(reverse("accounts:register_account"), {"username": "x"})
    assert english_left(account.text, (*LICENSE_DATA, "x")) == ""


def test_account_management_speaks_through_the_catalogue(client, license, pseudo, settings):
    settings.ACCOUNT_SECURITY_QUESTION = True
    user = UserFactory(username="sparky", first_name="Sam", last_name="Sparks")
    verify_email(user, verified=False)
    LicenseLinkFactory(
        user=user,
        license=license,
        status="approved",
        decided_at=datetime.datetime.now(datetime.UTC),
    )
    MembershipFactory(user=user, contractor=license.holder, can_manage=True)
    client.force_login(user)
    data = (
        *LICENSE_DATA,
        "sparky",
        "sparky@example.com",
        "Sam Sparks",
        "Sam",
        "Sparks",
    )
    assert english_left(client.get(reverse("accounts:manage")).text, data) == ""
    profile = client.post(reverse("accounts:profile"), {"phone": "x", "business_state": "Ill"})
    assert english_left(profile.text, (*data, "Ill")) == ""
    question = reverse("accounts:security_question")
    assert english_left(client.post(question, {"current_password": "no"}).text, data) == ""
    add = client.get(reverse("accounts:license_add"), {"license_type": "EC", "license_number": "1"})
    assert english_left(add.text, data) == ""


def test_a_license_that_cannot_be_added_says_why_through_the_catalogue(client, pseudo):
    suspended = LicenseFactory(
        number="EC10009",
        license_type=LicenseTypeFactory(prefix="EC", name="Electrical"),
        holder__business_name="Dark Sparks",
        status=LicenseStatus.SUSPENDED,
    )
    client.force_login(UserFactory())
    page = client.get(
        reverse("accounts:license_add"), {"license_type": "EC", "license_number": "10009"}
    )
    data = ("EC10009", "EC", "Electrical", "Dark Sparks", suspended.holder.address, "Springfield")
    assert "⟦This license is" in page.text
    assert english_left(page.text, (*data, "IL", suspended.holder.zip_code)) == ""


def test_the_business_pages_speak_through_the_catalogue(client, pseudo):
    business = ContractorFactory(business_name="Lincoln Builders LLC")
    LicenseFactory(number="EC20001", holder=business)
    boss = UserFactory(username="boss", first_name="Bo", last_name="Boss")
    verify_email(boss)
    MembershipFactory(user=boss, contractor=business, can_manage=True)
    helper = UserFactory(username="helper", first_name="Hal", last_name="Helper")
    MembershipFactory(user=helper, contractor=business)
    client.force_login(boss)
    data = (
        "Lincoln Builders LLC",
        "EC20001",
        "Electrical",
        business.pin,
        business.address,
        "Springfield",
        "IL",
        business.zip_code,
        "Bo Boss",
        "boss",
        "Hal Helper",
        "helper",
    )
    page = client.get(reverse("accounts:business", args=[business.pk]))
    assert english_left(page.text, data) == ""
    associate = reverse("accounts:business_associate")
    assert english_left(client.get(associate).text) == ""
    refused = client.post(associate, {"pin": "NOPE2345"})
    assert "⟦No business has that PIN." in refused.text
    assert english_left(refused.text, ("NOPE2345",)) == ""
    membership = helper.memberships.get()
    removed = client.post(
        reverse("accounts:membership_remove", args=[business.pk, membership.pk]), follow=True
    )
    assert "⟦helper was removed from Lincoln Builders LLC.⟧" in removed.text
    assert english_left(removed.text, data) == ""


def test_the_security_pages_speak_through_the_catalogue(client, pseudo):
    request = RequestFactory().get("/")
    request.user = UserFactory()
    lockout = render_to_string(
        "account/lockout.html", {"cooloff_timedelta": None, "request": request}
    )
    assert english_left(lockout) == ""
    signed_out = client.get(reverse("accounts:signed_out_idle"))
    assert english_left(signed_out.text, ("30", "15")) == ""
    link = reverse("accounts:authenticator_link", args=["not-a-token"])
    assert english_left(client.get(link).text) == ""
    refused = client.post(link)
    assert "⟦This set-up link is not valid" in refused.text
    assert english_left(refused.text) == ""
    needed = render_to_string("accounts/authenticator_link_needed.html", {"request": request})
    assert english_left(needed) == ""


def test_the_authenticator_set_up_page_speaks_through_the_catalogue(client, pseudo, settings):
    from accounts.services import authenticator_link_send, enrolment_token

    settings.STAFF_REQUIRE_MFA = True
    boss = UserFactory(username="boss", is_staff=True, is_superuser=True)
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    link = enrolment_token(authenticator_link_send(user=boss, by=admin))
    page = client.post(reverse("accounts:authenticator_link", args=[link]), follow=True)
    assert page.redirect_chain[-1][0] == reverse("mfa_activate_totp")
    assert "⟦City staff need a second factor" in page.text
    assert english_left(page.text, (client.session["mfa.totp.secret"],)) == ""
    refused = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert english_left(refused.text, (client.session["mfa.totp.secret"],)) == ""
