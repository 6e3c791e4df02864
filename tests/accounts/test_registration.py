"""Contractor Registration: terms, license lookup, account information, submit."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from licenses.models import LicenseLink, LicenseStatus
from policy.permits import can_view_private
from tests.factories import (
    LicenseFactory,
    LicenseLinkFactory,
    LicenseTypeFactory,
    PermitFactory,
    UserFactory,
    set_status,
)

pytestmark = pytest.mark.django_db

REGISTER = reverse("accounts:register")
LICENSES = reverse("accounts:register_licenses")
ACCOUNT = reverse("accounts:register_account")
PASSWORD = "a long pass phrase for permits"


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
        holder__phone="(217) 555-0172",
    )


def accept(client):
    return client.post(REGISTER, {"accept": "on"})


def add(client, license):
    return client.post(LICENSES, {"license": license.pk, "action": "add"}, follow=True)


def account_data(**overrides):
    data = {
        "username": "sparky",
        "email": "sparky@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "first_name": "Sam",
        "last_name": "Sparks",
        "business_address": "1 Main St",
        "business_city": "Springfield",
        "business_state": "il",
        "business_zip": "62701",
        "mailing_same": "on",
        "phone": "(217) 555-0100",
        "preferred_contact": "email",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def register(client, license, **overrides):
    accept(client)
    add(client, license)
    return client.post(ACCOUNT, account_data(**overrides))


def test_contractor_registration_is_in_the_header(client):
    response = client.get(reverse("home"))
    assert f'href="{REGISTER}"' in response.text
    assert "Contractor Registration" in response.text


def test_the_terms_cannot_be_skipped(client, license):
    response = client.get(LICENSES)
    assert response.status_code == 302 and response.url == REGISTER
    assert client.get(ACCOUNT).url == REGISTER
    response = client.post(REGISTER, {})
    assert "I have read and accepted the above terms" in response.text
    assert "to continue" in response.text
    response = accept(client)
    assert response.url == LICENSES


def test_lookup_without_the_prefix_finds_the_license_with_the_types_prefix(client, license):
    """Issue 13, requirement 10: digits alone, with the type chosen, are that type's number
    (as the public search reads them), not refused."""
    accept(client)
    response = client.get(LICENSES, {"license_type": "EC", "license_number": "10002"})
    assert response.context["found"] == license
    assert "Add the two-letter prefix" not in response.text


def test_the_type_mismatch_message_says_a_or_an(client, license):
    from accounts.forms import LicenseLookupForm

    LicenseTypeFactory(prefix="PC", name="Plumbing")
    form = LicenseLookupForm({"license_type": "EC", "license_number": "PC10002"})
    assert not form.is_valid()
    assert "An Electrical license number starts with EC" in str(form.errors)
    form = LicenseLookupForm({"license_type": "PC", "license_number": "EC10002"})
    assert not form.is_valid()
    assert "A Plumbing license number starts with PC" in str(form.errors)


def test_lookup_with_another_types_prefix_is_explained(client, license):
    LicenseTypeFactory(prefix="PC", name="Plumbing")
    accept(client)
    response = client.get(LICENSES, {"license_type": "PC", "license_number": "EC10002"})
    assert "starts with PC" in response.text


def test_lookup_not_found_offers_search_again(client, license):
    accept(client)
    response = client.get(LICENSES, {"license_type": "EC", "license_number": "EC99999"})
    assert "is on the city" in response.text and "record" in response.text
    assert "Search Again" in response.text


def test_lookup_found_shows_the_license_and_business(client, license):
    accept(client)
    response = client.get(LICENSES, {"license_type": "EC", "license_number": "ec10002"})
    text = response.text
    assert "License EC10002" in text
    assert "Prairie Electric Co." in text and "1200 E Cook St" in text
    assert "Add to My Licenses" in text
    assert "data-confirm=" in text  # the add asks for confirmation
    assert "555-0172" not in text  # the business phone is not public


def test_adding_licenses_the_same_one_twice_is_refused(client, license):
    other = LicenseFactory(license_type=license.license_type)
    accept(client)
    response = add(client, license)
    assert "was added to My Licenses" in response.text
    add(client, other)
    response = add(client, license)
    assert "already in your list" in response.text
    assert client.session["contractor_registration"]["licenses"] == [license.pk, other.pk]


@pytest.mark.parametrize(
    "status", [LicenseStatus.EXPIRED, LicenseStatus.SUSPENDED, LicenseStatus.REVOKED]
)
def test_an_inactive_license_cannot_be_added(client, license, status):
    set_status(license, status)
    accept(client)
    looked_up = client.get(LICENSES, {"license_type": "EC", "license_number": "EC10002"})
    assert "cannot be added" in looked_up.text
    assert "Add to My Licenses" not in looked_up.text
    response = add(client, license)  # a forged post is refused too
    assert "cannot be added" in response.text
    assert client.session["contractor_registration"]["licenses"] == []


def test_a_license_linked_to_someone_else_can_still_be_requested(client, license):
    LicenseLinkFactory(license=license, status="approved", decided_at="2025-01-01T00:00Z")
    response = register(client, license)
    assert response.status_code == 302
    assert LicenseLink.objects.filter(license=license).count() == 2


def test_account_step_needs_a_license(client):
    accept(client)
    response = client.get(ACCOUNT)
    assert response.url == LICENSES


def test_submit_creates_the_account_pending_links_and_three_emails(
    client, license, django_capture_on_commit_callbacks
):
    reviewers = Group.objects.create(name="License Reviewers")
    reviewer = UserFactory(username="reviewer", email="reviewer@city.example", is_staff=True)
    reviewer.groups.add(reviewers)
    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, license)
    assert response.status_code == 302
    # The "verify your email" page, signed out: the answer a taken address gets too.
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    user = get_user_model().objects.get(username="sparky")
    assert user.first_name == "Sam" and user.business_state == "IL"
    assert user.mailing_address == "1 Main St"  # "same as business"
    link = LicenseLink.objects.get(user=user)
    assert link.status == "pending" and link.license == license
    subjects = {message.subject: message for message in mail.outbox}
    verification = next(m for s, m in subjects.items() if "Confirm" in s or "onfirm" in s)
    assert "sparky@example.com" in verification.to
    received = next(m for s, m in subjects.items() if "Registration received" in s)
    assert received.to == ["sparky@example.com"]
    assert received.alternatives and received.alternatives[0][1] == "text/html"
    review = next(m for s, m in subjects.items() if "License link to review" in s)
    assert review.to == ["reviewer@city.example"]
    assert "EC10002" in review.body
    # The wizard is done and forgotten.
    assert "contractor_registration" not in client.session


def test_until_approved_the_user_sees_what_a_visitor_sees(client, license):
    register(client, license)
    user = get_user_model().objects.get(username="sparky")
    client.force_login(user)  # signing in needs no verified address
    permit = PermitFactory(licenses=[license])
    assert not can_view_private(user, permit)
    assert client.get(reverse("accounts:manage")).status_code == 200


def test_autofill_copies_the_business_address_of_the_chosen_license(client, license):
    response = register(
        client,
        license,
        autofill="on",
        autofill_from=str(license.pk),
        business_address="",
        business_city="",
        business_state="",
        business_zip="",
    )
    assert response.status_code == 302, response.context["form"].errors
    user = get_user_model().objects.get(username="sparky")
    assert (user.business_address, user.business_city, user.business_zip) == (
        "1200 E Cook St",
        "Springfield",
        "62703",
    )


def test_the_account_page_offers_autofill_data_for_the_script(client, license):
    accept(client)
    add(client, license)
    response = client.get(ACCOUNT)
    assert 'id="autofill-data"' in response.text
    assert "1200 E Cook St" in response.text
    assert "Auto-fill with" in response.text
    assert "Preferred Method of Contact" in response.text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"username": "abc"}, "username", "at least 4"),
        ({"username": "x" * 33}, "username", "at most 32"),
        ({"username": "bad name!"}, "username", "letters, digits"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"password2": "something else entirely"}, "password2", "same password"),
        ({"business_state": "Illinois"}, "business_state", "two-letter"),
        ({"business_zip": "6270"}, "business_zip", "5-digit"),
        ({"phone": "call me"}, "phone", "phone number"),
        ({"first_name": ""}, "first_name", "required"),
        ({"preferred_contact": "pigeon"}, "preferred_contact", "valid choice"),
        ({"mailing_same": None}, "mailing_address", "mailing address"),
    ],
)
def test_every_field_is_checked_with_a_clear_message(client, license, overrides, field, message):
    response = register(client, license, **overrides)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message.lower() in " ".join(errors[field]).lower()
    assert (
        not get_user_model().objects.filter(username=overrides.get("username", "sparky")).exists()
    )


def test_a_taken_username_is_refused(client, license):
    UserFactory(username="sparky")
    response = register(client, license)
    assert "username" in response.context["form"].errors


def test_a_taken_email_gets_the_answer_a_new_one_gets_and_its_owner_an_email(
    license, django_capture_on_commit_callbacks
):
    """Issue 12, finding 8: registration never says "A user is already registered with this
    email address"; the address's owner hears of the attempt instead."""
    from django.test import Client

    owner = UserFactory(username="other", email="taken@example.com")
    answers = {}
    for email in ("fresh@example.com", "TAKEN@example.com"):
        client = Client()
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = register(client, license, email=email, username=f"u{email[:5].lower()}")
        page = client.get(response.url)
        answers[email] = (
            response.status_code,
            response.url,
            [str(m).replace(email.lower(), "EMAIL") for m in page.context["messages"]],
            "_auth_user_id" in client.session,
        )
        sent = {message.to[0]: message for message in mail.outbox}
        assert email.lower() in sent
    assert answers["fresh@example.com"] == answers["TAKEN@example.com"]
    assert answers["fresh@example.com"][1] == reverse("account_email_verification_sent")
    assert "Registration received" in " ".join(answers["fresh@example.com"][2])
    # Nothing was made for the taken address; its owner was told, with the way back in.
    assert not get_user_model().objects.filter(username="utaken").exists()
    assert not LicenseLink.objects.filter(user=owner).exists()
    already = sent["taken@example.com"]
    assert "already exists" in already.body and "/accounts/password/reset/" in already.body


def test_a_license_that_lapses_during_registration_stops_the_submit(client, license):
    accept(client)
    add(client, license)
    set_status(license, LicenseStatus.SUSPENDED)
    response = client.post(ACCOUNT, account_data())
    assert response.status_code == 200
    assert "suspended" in response.text
    assert not get_user_model().objects.filter(username="sparky").exists()


def test_a_signed_in_user_is_sent_to_account_management(client, license):
    client.force_login(UserFactory())
    assert client.get(REGISTER).url == reverse("accounts:manage")


def test_allauths_bare_signup_page_leads_to_the_wizard(client):
    response = client.get("/accounts/signup/")
    assert response.status_code == 302 and response.url == REGISTER


def test_registration_posts_need_csrf(license):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(REGISTER, {"accept": "on"}).status_code == 403


def test_errors_are_summarised_at_the_top_each_linking_to_its_field(client, license):
    """Issue 23, requirement 14: on a phone the fields in error can be far down the page."""
    response = register(
        client, license, email="not-an-email", business_zip="6270", preferred_contact="pigeon"
    )
    page = response.text
    summary = page.split('id="error-summary"')[1].split("</div>")[0]
    assert "3 things to fix" in summary
    for anchor, label in [
        ("id_email", "Email address"),
        ("id_business_zip", "ZIP"),
        ("id_preferred_contact_0", "Preferred Method of Contact"),
    ]:
        link = re.search(rf'<a class="alert-link" href="#{anchor}">([^<]*)</a>', summary)
        assert link and label.lower() in link.group(1).lower(), (anchor, summary)
        assert f'id="{anchor}"' in page  # the link leads somewhere
    # Above the form, under the page's heading.
    assert page.index('id="error-summary"') < page.index('class="registration-form"')


def test_a_clean_form_has_no_error_summary(client, license):
    accept(client)
    add(client, license)
    assert 'id="error-summary"' not in client.get(ACCOUNT).text
