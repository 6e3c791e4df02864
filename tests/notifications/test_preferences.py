"""The Notification preferences page, the business defaults page and the table of who hears what,
from the newcomer walk (issue 24): a business's default is marked as such and a choice as the
user's own; each channel offers only the timings that mean something on it (a digest of texts is
refused, and one stored from before is read sensibly); every row has a plain name, none reads
like another; a contractor's page shows only what they can hear, a staff member's theirs; every
email the portal sends outside the events (the sign-in system's) is in the table."""

import re

import pytest
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.core import context
from django.contrib.auth.models import Group as StaffGroup
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from accounts.adapter import PortalAccountAdapter
from core.events import event_record
from notifications import preferences, services
from notifications.catalogue import (
    CHANNEL_TIMINGS,
    RULES,
    SIGN_IN_EMAILS,
    Channel,
    Group,
    Rule,
    Timing,
)
from notifications.models import BusinessDefault, Message, Notice, Preference
from notifications.preferences import who_hears_what, who_hears_what_markdown
from notifications.services import business_defaults_save, notify, preferences_save, timings_for
from tests.factories import (
    LicenseFactory,
    MembershipFactory,
    PermitFactory,
    UserFactory,
    contractor_user,
    make_inspector,
    verify_email,
)

pytestmark = pytest.mark.django_db

URL = "/notifications/preferences/"


@pytest.fixture
def business():
    license = LicenseFactory(holder__business_name="Lincoln Builders LLC")
    manager = contractor_user(license, username="boss", can_manage=True)
    member = contractor_user(license, username="crew", can_apply=True)
    return license.holder, manager, member


def select(page: str, group: str, channel: str) -> str:
    found = re.search(rf'<select name="{group}-{channel}".*?</select>', page, re.S)
    assert found, f"{group}-{channel} not on the page"
    return found.group(0)


def options(page: str, group: str, channel: str) -> list[tuple[str, str]]:
    return re.findall(r'<option value="(\w+)"[^>]*>([^<]*)</option>', select(page, group, channel))


def chosen(page: str, group: str, channel: str) -> str:
    return re.search(r'<option value="(\w+)" selected>', select(page, group, channel)).group(1)


def source(page: str, group: str, channel: str) -> str:
    """The words under a line's choice: where its value comes from."""
    note = re.search(rf'<div [^>]*id="id_{group}-{channel}-source">([^<]*)</div>', page)
    assert note, f"{group}-{channel} says nothing of where its value comes from"
    assert f"id_{group}-{channel}-source" in select(page, group, channel)  # aria-describedby
    return note.group(1)


def as_shown(page: str) -> dict[str, str]:
    """The form as the page shows it, ready to post back."""
    return {
        f"{group}-{channel}": chosen(page, group, channel)
        for group in Group.values
        for channel in Channel.values
    }


def event_rows(page: str) -> list[str]:
    """The labels of the who-hears-what table on a page."""
    table = page.split('id="who-heading"')[1]
    return [
        label.replace("&#x27;", "'")
        for label in re.findall(r'<tr>\s*<th scope="row">([^<]*)</th>', table)
    ]


# 1. Where a value comes from ---------------------------------------------------------------------


def test_a_business_default_is_marked_as_such_and_my_own_choice_as_mine(client, business):
    contractor, _manager, member = business
    BusinessDefault.objects.create(
        contractor=contractor, group=Group.PERMITS, channel=Channel.EMAIL, timing=Timing.DIGEST
    )
    client.force_login(member)
    page = client.get(URL).text
    assert chosen(page, Group.PERMITS, Channel.EMAIL) == Timing.DIGEST
    assert source(page, Group.PERMITS, Channel.EMAIL) == "Business default (Lincoln Builders LLC)"
    assert source(page, Group.FEES, Channel.EMAIL) == "Portal default"
    assert "choose here and yours replaces it" in page

    data = as_shown(page) | {f"{Group.PERMITS}-{Channel.EMAIL}": Timing.NOW}
    data[f"{Group.FEES}-{Channel.PORTAL}"] = Timing.OFF
    assert client.post(URL, data).status_code == 302
    page = client.get(URL).text
    assert source(page, Group.PERMITS, Channel.EMAIL) == "Your choice"
    assert source(page, Group.FEES, Channel.PORTAL) == "Your choice"
    assert source(page, Group.FEES, Channel.EMAIL) == "Portal default"


def test_the_defaults_page_marks_what_the_manager_chose(client, business):
    contractor, manager, _member = business
    BusinessDefault.objects.create(
        contractor=contractor, group=Group.FEES, channel=Channel.SMS, timing=Timing.NOW
    )
    client.force_login(manager)
    page = client.get(reverse("notifications:business_defaults", args=[contractor.pk])).text
    assert source(page, Group.FEES, Channel.SMS) == "Chosen for the business"
    assert source(page, Group.FEES, Channel.EMAIL) == "Portal default"


def test_of_two_businesses_the_one_whose_default_applies_is_named(client, business):
    contractor, _manager, member = business
    other = LicenseFactory(holder__business_name="Oak Street Roofing")
    MembershipFactory(user=member, contractor=other.holder, can_pay=True)
    BusinessDefault.objects.create(
        contractor=contractor, group=Group.FEES, channel=Channel.EMAIL, timing=Timing.OFF
    )
    BusinessDefault.objects.create(
        contractor=other.holder, group=Group.FEES, channel=Channel.EMAIL, timing=Timing.DIGEST
    )
    client.force_login(member)
    page = client.get(URL).text
    assert chosen(page, Group.FEES, Channel.EMAIL) == Timing.DIGEST
    assert source(page, Group.FEES, Channel.EMAIL) == "Business default (Oak Street Roofing)"


# 2. Each channel's own timings -------------------------------------------------------------------


def test_each_channel_offers_only_the_timings_that_mean_something_on_it(client, business):
    contractor, manager, member = business
    client.force_login(member)
    page = client.get(URL).text
    for group in Group.values:
        assert options(page, group, Channel.EMAIL) == [
            ("now", "At once"),
            ("digest", "Daily digest"),
            ("off", "Off"),
        ]
        assert options(page, group, Channel.PORTAL) == [("now", "On"), ("off", "Off")]
        assert options(page, group, Channel.SMS) == [("now", "At once"), ("off", "Off")]
    client.force_login(manager)
    defaults = client.get(reverse("notifications:business_defaults", args=[contractor.pk])).text
    assert options(defaults, Group.FEES, Channel.EMAIL) == options(page, Group.FEES, Channel.EMAIL)
    assert options(defaults, Group.FEES, Channel.PORTAL) == [("now", "On"), ("off", "Off")]
    assert options(defaults, Group.FEES, Channel.SMS) == [("now", "At once"), ("off", "Off")]


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        (Channel.SMS, "Text messages come at once or not at all: choose At once or Off."),
        (
            Channel.PORTAL,
            "In the portal, choose On or Off: every notification is listed there as it comes.",
        ),
    ],
)
def test_a_posted_digest_where_there_is_none_is_refused_with_a_clear_message(
    client, business, channel, message
):
    contractor, manager, member = business
    client.force_login(member)
    data = as_shown(client.get(URL).text)
    data[f"{Group.PERMITS}-{Channel.EMAIL}"] = Timing.OFF  # typed alongside: kept on the page
    data[f"{Group.INSPECTIONS}-{channel}"] = Timing.DIGEST
    response = client.post(URL, data)
    assert response.status_code == 400
    assert message in response.text
    assert "Nothing was saved" in response.text
    assert chosen(response.text, Group.PERMITS, Channel.EMAIL) == Timing.OFF
    assert not Preference.objects.exists()

    client.force_login(manager)
    url = reverse("notifications:business_defaults", args=[contractor.pk])
    data = as_shown(client.get(url).text) | {f"{Group.FEES}-{channel}": Timing.DIGEST}
    response = client.post(url, data)
    assert response.status_code == 400 and message in response.text
    assert not BusinessDefault.objects.exists()


def test_the_services_and_the_model_refuse_a_digest_of_texts(business):
    contractor, manager, member = business
    with pytest.raises(ValidationError, match="Text messages come at once or not at all"):
        preferences_save(user=member, choices={(Group.FEES, Channel.SMS): Timing.DIGEST})
    with pytest.raises(ValidationError, match="In the portal, choose On or Off"):
        business_defaults_save(
            contractor=contractor,
            by=manager,
            choices={(Group.FEES, Channel.EMAIL): Timing.NOW, (Group.FEES, "portal"): "digest"},
        )
    assert not Preference.objects.exists() and not BusinessDefault.objects.exists()
    preference = Preference(user=member, group=Group.FEES, channel=Channel.SMS, timing="digest")
    with pytest.raises(ValidationError) as refused:
        preference.full_clean()
    assert "timing" in refused.value.message_dict
    Preference(user=member, group=Group.FEES, channel=Channel.EMAIL, timing="digest").full_clean()
    assert [value for value, _ in CHANNEL_TIMINGS[Channel.SMS]] == [Timing.NOW, Timing.OFF]


def test_a_digest_stored_before_is_on_in_the_portal_and_off_for_texts(
    client, business, monkeypatch
):
    """Chosen when every channel offered a digest: the portal always listed it at once (On);
    nobody asked for a text about each event (Off). The page shows what is sent."""
    contractor, _manager, member = business
    monkeypatch.setattr(services, "_sms_numbers", [lambda ids: dict.fromkeys(ids, "+12175550100")])
    for channel in (Channel.PORTAL, Channel.SMS):
        Preference.objects.create(
            user=member, group=Group.PERMITS, channel=channel, timing=Timing.DIGEST
        )
    BusinessDefault.objects.create(
        contractor=contractor, group=Group.FEES, channel=Channel.SMS, timing=Timing.DIGEST
    )
    assert timings_for([member.pk], Group.PERMITS)[member.pk] == {
        Channel.EMAIL: Timing.NOW,
        Channel.PORTAL: Timing.NOW,
        Channel.SMS: Timing.OFF,
    }
    assert timings_for([member.pk], Group.FEES)[member.pk][Channel.SMS] == Timing.OFF

    permit = PermitFactory()
    for event_type in ("permit.finaled", "fee.assessed"):
        event = event_record(event_type, subject=permit)
        (notice,) = notify(
            event,
            to=[member],
            permit=permit,
            template="permit_status_changed",
            context={"permit": permit, "what": "finaled", "note": "", "url": "/"},
        )
        assert notice.in_portal
    assert set(Message.objects.values_list("channel", flat=True)) == {Channel.EMAIL}
    assert Notice.objects.filter(user=member).count() == 2

    client.force_login(member)
    page = client.get(URL).text
    assert chosen(page, Group.PERMITS, Channel.PORTAL) == Timing.NOW
    assert chosen(page, Group.PERMITS, Channel.SMS) == Timing.OFF
    assert chosen(page, Group.FEES, Channel.SMS) == Timing.OFF
    # Saving the page as shown is no error (and changes nothing).
    assert client.post(URL, as_shown(page)).status_code == 302


# 3 and 4. Plain names, each row distinct ---------------------------------------------------------


def test_every_row_has_a_plain_name_and_none_reads_like_another():
    rows = who_hears_what()
    labels = [row.label for row in rows]
    assert len(labels) == len(set(labels))
    for row in rows:
        assert not re.search(r"\w\.\w|_|/", row.label), row.label
        assert row.label[0].isupper(), row.label
    kinds = [kind for row in rows for kind in row.kinds]
    assert sorted(kinds) == sorted([*RULES, *SIGN_IN_EMAILS])
    assert str(RULES["application.submitted"].label) in labels


def test_the_two_trust_account_events_are_one_row():
    (trust,) = [row for row in who_hears_what() if "trust.low_balance" in row.kinds]
    assert trust.kinds == ("trust.low_balance", "trust.below_threshold")
    assert trust.label == "Your business's trust account went below its low-balance alert"
    line = next(line for line in who_hears_what_markdown().splitlines() if "trust." in line)
    assert "`trust.low_balance`, `trust.below_threshold`" in line


def test_two_events_named_alike_but_heard_differently_are_refused(monkeypatch):
    twin = Rule(RULES["permit.issued"].label, Group.PERMITS, ("applicant",))
    monkeypatch.setattr(preferences, "RULES", {**RULES, "permit.finaled": twin})
    with pytest.raises(ValueError, match=r"permit\.finaled reads as permit\.issued"):
        who_hears_what()


def test_the_page_names_no_event_by_its_type(client, business):
    _contractor, manager, _member = business
    client.force_login(manager)
    page = client.get(URL).text
    for event_type in [*RULES, *SIGN_IN_EMAILS]:
        assert event_type not in page
    assert "An application was submitted to the city" in event_rows(page)


# 5. Each person's own rows -----------------------------------------------------------------------


def test_a_contractor_sees_only_what_they_can_hear(client, business):
    contractor, manager, member = business
    client.force_login(member)
    rows = event_rows(client.get(URL).text)
    assert "Your permit was issued" in rows and "A license expires soon" in rows
    for staff_row in (
        "A plan review was given to you",
        "Corrections were resubmitted for your review",
        "A contractor asked to act for a license: a request to decide",
        "Your link to set up an authenticator app for the staff pages",
    ):
        assert staff_row not in rows
    # Only a business's managers hear of its trust account.
    assert "Your business's trust account went below its low-balance alert" not in rows
    page = client.get(URL).text
    who = page.split('id="who-heading"')[1]
    assert "intake clerks" not in who and "inspector" not in who

    client.force_login(manager)
    assert "Your business's trust account went below its low-balance alert" in event_rows(
        client.get(URL).text
    )
    # The business's defaults are for all its users: every contractor's row, no staff one.
    defaults = client.get(reverse("notifications:business_defaults", args=[contractor.pk])).text
    rows = event_rows(defaults)
    assert "Your business's trust account went below its low-balance alert" in rows
    assert "Your registration was received" in rows
    assert "A plan review was given to you" not in rows
    assert "What your business's users can be told of" in defaults


def test_a_staff_member_sees_the_rows_of_their_work(client):
    clerk = UserFactory(username="clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="change_intakequeue"))
    client.force_login(clerk)
    page = client.get(URL).text
    rows = event_rows(page)
    assert "An application was submitted to the city" in rows
    assert "Your link to set up an authenticator app for the staff pages" in rows
    assert "Your permit was issued" not in rows
    assert "Your registration was received" not in rows
    assert "An inspection was requested" not in rows
    who = page.split('id="who-heading"')[1]
    assert "the intake clerks" in who
    assert "Business default" not in page  # staff have no business

    inspector = make_inspector("inspector").user
    client.force_login(inspector)
    rows = event_rows(client.get(URL).text)
    assert "An inspection was scheduled or moved" in rows
    assert "An application was submitted to the city" not in rows

    reviewer = UserFactory(username="reviewer", is_staff=True)
    reviewer.user_permissions.add(Permission.objects.get(codename="view_myreview"))
    reviewers = StaffGroup.objects.create(name="License Reviewers")
    reviewer.groups.add(reviewers)
    client.force_login(reviewer)
    rows = event_rows(client.get(URL).text)
    assert "A plan review was given to you" in rows
    assert "A contractor asked to act for a license: a request to decide" in rows
    assert "Fees are due on a permit" not in rows


# 6. Every email outside the events ---------------------------------------------------------------


def test_the_password_reset_and_the_other_sign_in_emails_are_always_sent(client, business):
    _contractor, _manager, member = business
    client.force_login(member)
    page = client.get(URL).text
    always = page.split('id="always-heading"')[1].split('id="who-heading"')[0]
    for what in (
        "A link to reset your password, when you ask for one",
        "A link to confirm your email address, when you register or change it",
        "Someone tried to register with your email address",
    ):
        assert f"<strong>{what}</strong>: security" in always
        assert what in event_rows(page)
    # An address without an account gets one; no account holder reads of it.
    assert "A password reset was asked for an address that has no account" not in page
    assert "A password reset was asked" in who_hears_what_markdown()


def test_every_email_the_sign_in_system_sends_is_in_the_table(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    """allauth's own emails leave through the portal's adapter: each one sent is a row of the
    table (a password reset, asked for an address with or without an account; an address's
    confirmation), and changing a password sends none."""
    sent: list[str] = []
    real = PortalAccountAdapter.send_mail

    def spy(self, template_prefix, email, context):
        sent.append(template_prefix)
        return real(self, template_prefix, email, context)

    monkeypatch.setattr(PortalAccountAdapter, "send_mail", spy)
    user = UserFactory(email="pat@example.com")
    user.set_password("an old passphrase 1")
    user.save()
    verify_email(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "pat@example.com"})
        client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert sent == ["account/email/password_reset_key", "account/email/unknown_account"]

    address = EmailAddress.objects.create(user=user, email="new@example.com", verified=False)
    request = RequestFactory().get("/")
    request.user = user
    with django_capture_on_commit_callbacks(execute=True), context.request_context(request):
        address.send_confirmation(request=request, signup=False)
        address.send_confirmation(request=request, signup=True)
        get_adapter(request).send_account_already_exists_mail("pat@example.com")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        changed = client.post(
            reverse("account_change_password"),
            {
                "oldpassword": "an old passphrase 1",
                "password1": "a new passphrase 22",
                "password2": "a new passphrase 22",
            },
        )
    assert changed.status_code == 302
    assert sent[2:] == [
        "account/email/email_confirmation",
        "account/email/email_confirmation_signup",
        "account/email/account_already_exists",
    ]
    assert set(sent) <= set(SIGN_IN_EMAILS)
