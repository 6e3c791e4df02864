"""Unsubscribing signed out (issue 24, requirement 6): every email that can be turned off carries
RFC 8058's one-click List-Unsubscribe for its group(s) and a footer linking to Choose what you
receive; a mail provider's POST, with no cookies and no CSRF token, turns the group's email off;
a GET changes nothing; a changed token is refused; the signed-out page saves a user's and an
address's choices."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.events import event_record
from core.mail import absolute_url
from core.models import Event
from notifications.catalogue import OWNER, RULES, Channel, Group, Timing
from notifications.models import AddressOptOut, Message, Notice, Preference
from notifications.sending import send_due_messages
from notifications.services import notify
from notifications.unsubscribe import (
    preferences_token,
    read_unsubscribe_token,
    unsubscribe_token,
)
from permits.models import ContactType, PermitContact
from tests.factories import PermitFactory, UserFactory

pytestmark = pytest.mark.django_db

OWNER_ADDRESS = "owner@example.org"
ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def permit():
    return PermitFactory()


@pytest.fixture
def contact(permit):
    """A user on the permit: the permit's status events tell them."""
    user = UserFactory()
    PermitContact.objects.create(permit=permit, user=user, contact_type=ContactType.CONTACT)
    return user


@pytest.fixture
def happen(permit, django_capture_on_commit_callbacks):
    """Record an event and let its subscribers hear it, as after a commit."""

    def record(event_type, subject=None, **payload):
        with django_capture_on_commit_callbacks(execute=True):
            return event_record(event_type, subject=subject or permit, **payload)

    return record


def tell(event_type, permit, to, roles=()):
    """Tell people of an event through notify itself (the subscribers' way), with any template:
    what is tested here is the email around it. (The event alone, without the change it records:
    no subscriber hears it.)"""
    event = Event.objects.create(
        type=event_type, content_type=ContentType.objects.get_for_model(permit), object_id=permit.pk
    )
    return notify(
        event,
        to=to,
        roles=roles,
        permit=permit,
        template="permit_status_changed",
        context={
            "permit": permit,
            "what": "finaled",
            "url": absolute_url(reverse("permits:detail", args=[permit.number])),
        },
    )


def sent_to(address):
    return [email for email in mail.outbox if email.to == [address]]


def path_of(header_or_url: str) -> str:
    return urlsplit(header_or_url.strip("<>")).path


def one_click(url, client=None):
    """What a mail provider sends: a POST with the RFC 8058 body, no cookie, no CSRF token."""
    client = client or Client(enforce_csrf_checks=True)
    return client.post(
        path_of(url), data=ONE_CLICK, content_type="application/x-www-form-urlencoded"
    )


def footer_link(email, name):
    found = re.search(rf"{name}: (\S+)", email.body)
    assert found, email.body
    return found[1]


def checked(page, name):
    """The value of the radio button checked for `name` on a page."""
    return re.search(rf'<input type="radio"[^>]*name="{name}" value="(\w+)"[^>]*checked', page)[1]


# Headers -------------------------------------------------------------------------------------


def test_headers_exactly_when_the_email_can_be_turned_off(permit):
    """Every event in the table, told to an address: List-Unsubscribe and its one-click
    companion on each that can be turned off, and neither (nor the footer) on a receipt, a
    security message or an invitation."""
    for number, (event_type, rule) in enumerate(RULES.items()):
        address = f"person{number}@example.org"
        tell(event_type, permit, [address])
        if rule.gather:  # a reminder goes with the day's others, at the digest hour
            send_due_messages(now=timezone.now() + timedelta(days=1))
        (email,) = sent_to(address)
        headers = email.extra_headers
        if rule.can_turn_off:
            assert headers["List-Unsubscribe-Post"] == ONE_CLICK, event_type
            url = headers["List-Unsubscribe"]
            assert re.fullmatch(r"<http://127\.0\.0\.1:8000/notifications/unsubscribe/\S+/>", url)
            holder, groups = read_unsubscribe_token(path_of(url).split("/")[-2])
            assert (holder.email, groups) == (address, [rule.group]), event_type
            assert "Choose what you receive" in email.body, event_type
        else:
            assert "List-Unsubscribe" not in headers, event_type
            assert "List-Unsubscribe-Post" not in headers, event_type
            assert "Choose what you receive" not in email.body, event_type
            assert "Choose what you receive" not in email.alternatives[0][0], event_type


def test_a_security_message_from_its_subscriber_has_no_unsubscribe(happen):
    user = UserFactory()
    happen(
        "account.second_factor_locked",
        subject=user,
        wrong_codes=10,
        locked_until=timezone.now().isoformat(),
    )
    (email,) = sent_to(user.email)
    assert "List-Unsubscribe" not in email.extra_headers
    assert "/notifications/" not in email.body


def test_a_gathered_message_unsubscribes_from_each_group_in_it(permit, contact, settings):
    """A burst on one permit (a status and an inspection) is one email: its link covers both
    groups, and its footer is there once, not once per event listed."""
    settings.NOTIFY_GATHER_SECONDS = 60
    tell("permit.finaled", permit, [contact])
    tell("inspection.requested", permit, [contact])
    assert mail.outbox == []
    send_due_messages(now=timezone.now() + timedelta(minutes=2))
    (email,) = sent_to(contact.email)
    url = email.extra_headers["List-Unsubscribe"]
    holder, groups = read_unsubscribe_token(path_of(url).split("/")[-2])
    assert holder.user == contact
    assert groups == [Group.INSPECTIONS, Group.PERMITS]
    assert email.body.count("Choose what you receive") == 1
    assert "Inspections, Permit status and expiry" in email.body

    assert one_click(url).status_code == 200
    off = Preference.objects.filter(user=contact, channel=Channel.EMAIL, timing=Timing.OFF)
    assert sorted(off.values_list("group", flat=True)) == [Group.INSPECTIONS, Group.PERMITS]


# One click -----------------------------------------------------------------------------------


def test_one_click_turns_the_group_off_and_the_next_event_sends_no_email(permit, contact, happen):
    happen("permit.finaled")
    (email,) = sent_to(contact.email)
    response = one_click(email.extra_headers["List-Unsubscribe"])
    assert response.status_code == 200
    assert "no longer receives emails about: Permit status and expiry" in response.text
    assert Preference.objects.get(user=contact, group=Group.PERMITS).timing == Timing.OFF
    assert not Preference.objects.exclude(group=Group.PERMITS).exists()  # only its group

    mail.outbox.clear()
    event = happen("permit.expired")
    assert sent_to(contact.email) == []
    # The portal still tells them.
    notice = Notice.objects.get(event=event, user=contact)
    assert notice.in_portal
    assert not Message.objects.filter(notices=notice, channel=Channel.EMAIL).exists()
    # Another group still emails.
    tell("inspection.requested", permit, [contact])
    assert len(sent_to(contact.email)) == 1


def test_one_click_for_an_address_without_an_account(permit):
    tell("permit.finaled", permit, [OWNER_ADDRESS], roles=[OWNER])
    (email,) = sent_to(OWNER_ADDRESS)
    assert one_click(email.extra_headers["List-Unsubscribe"]).status_code == 200
    assert list(AddressOptOut.objects.values_list("email", "group")) == [
        (OWNER_ADDRESS, Group.PERMITS)
    ]
    mail.outbox.clear()
    tell("permit.expired", permit, [OWNER_ADDRESS], roles=[OWNER])
    assert sent_to(OWNER_ADDRESS) == []


def test_one_click_ignores_whoever_is_signed_in(permit, contact, client):
    """The token names the person: a session (someone else's, here) changes nothing."""
    tell("permit.finaled", permit, [contact])
    (email,) = sent_to(contact.email)
    other = UserFactory()
    client.force_login(other)
    assert one_click(email.extra_headers["List-Unsubscribe"], client).status_code == 200
    assert Preference.objects.filter(user=contact, timing=Timing.OFF).count() == 1
    assert not Preference.objects.filter(user=other).exists()


def test_a_get_shows_a_button_and_changes_nothing(permit, contact):
    tell("permit.finaled", permit, [contact])
    (email,) = sent_to(contact.email)
    url = path_of(email.extra_headers["List-Unsubscribe"])
    response = Client().get(url)
    assert response.status_code == 200
    assert "Stop emails to" in response.text and "Permit status and expiry" in response.text
    assert '<button type="submit" class="btn btn-primary">Unsubscribe</button>' in response.text
    assert "no-store" in response["Cache-Control"]
    assert not Preference.objects.exists()
    # Its button is the one-click POST (the page's form, no CSRF token).
    assert 'name="List-Unsubscribe" value="One-Click"' in response.text
    button = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})
    assert button.status_code == 200
    assert Preference.objects.get(user=contact).timing == Timing.OFF


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "bad:token:here",
        # A genuine preferences token is not an unsubscribe one (its own salt).
        preferences_token(recipient="user:1"),
        # Signed with the right salt but another key.
        signing.Signer(
            key="another-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            salt="notifications.unsubscribe",
        ).sign_object({"r": "email:owner@example.org", "g": ["permits"]}),
    ],
)
def test_a_tampered_or_foreign_token_is_refused(token):
    for method in ("get", "post"):
        response = getattr(Client(enforce_csrf_checks=True), method)(
            f"/notifications/unsubscribe/{token}/"
        )
        assert response.status_code == 400
        assert "This link is not valid" in response.text
    assert not Preference.objects.exists() and not AddressOptOut.objects.exists()


def test_a_changed_group_or_person_in_a_real_token_is_refused(contact):
    token = unsubscribe_token(recipient=f"user:{contact.pk}", groups=[Group.PERMITS])
    payload, signature = token.rsplit(":", 1)
    forged = unsubscribe_token(recipient="user:999999", groups=[Group.FEES]).rsplit(":", 1)[0]
    for bad in (f"{forged}:{signature}", f"{payload}:{signature[:-2]}xx", token[1:]):
        response = one_click(f"/notifications/unsubscribe/{bad}/")
        assert response.status_code == 400, bad
    assert not Preference.objects.exists()
    assert one_click(f"/notifications/unsubscribe/{token}/").status_code == 200  # the control


def test_a_token_for_an_account_gone_is_a_404():
    token = unsubscribe_token(recipient="user:999999", groups=[Group.PERMITS])
    response = one_click(f"/notifications/unsubscribe/{token}/")
    assert response.status_code == 404
    assert "no longer exists" in response.text


# The footer and Choose what you receive ------------------------------------------------------


def test_the_footer_is_in_text_and_html_and_not_kept_in_the_notice(permit, contact):
    (notice,) = tell("permit.finaled", permit, [contact])
    (email,) = sent_to(contact.email)
    choices = footer_link(email, "Choose what you receive")
    unsubscribe = footer_link(email, "Unsubscribe from these emails")
    assert choices.startswith("http://127.0.0.1:8000/notifications/preferences/")
    assert f"<{unsubscribe}>" == email.extra_headers["List-Unsubscribe"]
    html = email.alternatives[0][0]
    assert f'<a href="{choices}">Choose what you receive</a>' in html
    # Inside the email's frame, after the city's line.
    assert html.index("Building Department") < html.index("Choose what you receive")
    assert html.index("Choose what you receive") < html.index("</div>")
    # The notice (the portal's, a digest's entry) keeps no link to anyone's choices.
    assert "/notifications/" not in notice.text + notice.html
    assert Client().get(path_of(choices)).status_code == 200


def test_signed_out_choices_for_a_user(permit, contact):
    tell("permit.finaled", permit, [contact])
    url = path_of(footer_link(sent_to(contact.email)[0], "Choose what you receive"))
    client = Client()
    page = client.get(url)
    assert page.status_code == 200
    assert contact.email in page.text
    assert "Always sent: a receipt: it is the record of money paid or refunded." in page.text
    assert {group: checked(page.text, group) for group in Group.values} == dict.fromkeys(
        Group.values, Timing.NOW
    )

    choices = dict.fromkeys(Group.values, Timing.NOW)
    choices |= {Group.PERMITS: Timing.OFF, Group.INSPECTIONS: Timing.DIGEST}
    saved = client.post(url, choices, follow=True)
    assert saved.status_code == 200
    assert f"Saved: what {contact.email} receives by email." in saved.text
    # Only what changed is a choice of theirs (the rest keeps following their defaults).
    assert dict(Preference.objects.filter(user=contact).values_list("group", "timing")) == {
        Group.PERMITS: Timing.OFF,
        Group.INSPECTIONS: Timing.DIGEST,
    }
    assert Preference.objects.filter(channel=Channel.EMAIL).count() == 2
    assert checked(saved.text, "permits") == Timing.OFF
    assert checked(saved.text, "inspections") == Timing.DIGEST

    mail.outbox.clear()
    tell("permit.expired", permit, [contact])
    assert sent_to(contact.email) == []


def test_signed_out_choices_for_an_owner_address(permit):
    tell("permit.finaled", permit, [OWNER_ADDRESS], roles=[OWNER])
    url = path_of(footer_link(sent_to(OWNER_ADDRESS)[0], "Choose what you receive"))
    client = Client()
    page = client.get(url)
    assert page.status_code == 200
    assert OWNER_ADDRESS in page.text and 'value="digest"' not in page.text

    off = dict.fromkeys(Group.values, Timing.NOW) | {Group.PERMITS: Timing.OFF}
    assert client.post(url, off).status_code == 302
    assert list(AddressOptOut.objects.values_list("email", "group")) == [
        (OWNER_ADDRESS, Group.PERMITS)
    ]
    mail.outbox.clear()
    tell("permit.expired", permit, [OWNER_ADDRESS], roles=[OWNER])
    assert sent_to(OWNER_ADDRESS) == []

    # Back on.
    assert client.post(url, dict.fromkeys(Group.values, Timing.NOW)).status_code == 302
    assert not AddressOptOut.objects.exists()
    tell("permit.cancelled", permit, [OWNER_ADDRESS], roles=[OWNER])
    assert len(sent_to(OWNER_ADDRESS)) == 1


def test_signed_out_choices_refuse_a_bad_token_and_a_bad_choice(contact):
    response = Client().get("/notifications/preferences/nonsense/")
    assert response.status_code == 400
    assert "This link is not valid" in response.text
    # An unsubscribe token is not a preferences one.
    token = unsubscribe_token(recipient=f"user:{contact.pk}", groups=[Group.PERMITS])
    assert Client().get(f"/notifications/preferences/{token}/").status_code == 400

    url = f"/notifications/preferences/{preferences_token(recipient='email:a@example.org')}/"
    bad = Client().post(url, dict.fromkeys(Group.values, Timing.DIGEST))
    assert bad.status_code == 400
    assert "Select a valid choice" in bad.text
    assert not AddressOptOut.objects.exists()


# Text messages -----------------------------------------------------------------------------------


def test_the_signed_out_pages_say_how_texts_stop_and_link_the_text_messages_page(
    permit, contact, settings
):
    """From the newcomer walk: both pages change email only and said nothing of texts."""
    tell("permit.finaled", permit, [contact])
    (email,) = sent_to(contact.email)
    unsubscribe = path_of(email.extra_headers["List-Unsubscribe"])
    choices = path_of(footer_link(email, "Choose what you receive"))
    phone = f'<a href="{reverse("notifications:phone")}">Text messages</a>'
    pages = {
        "unsubscribe": Client().get(unsubscribe).text,
        "unsubscribed": Client().post(unsubscribe, {"List-Unsubscribe": "One-Click"}).text,
        "choices": Client().get(choices).text,
    }
    for name, page in pages.items():
        assert "Text messages are not changed here" in page, name
        assert "reply <strong>STOP</strong> to any text from us" in page, name
        assert phone in page, name
    assert "in the portal and your text messages stay as they were" in pages["unsubscribed"]

    # A city that sends no texts, and an address without an account (never texted): no word.
    settings.SMS_PROVIDER = ""
    assert "STOP" not in Client().get(unsubscribe).text
    assert "STOP" not in Client().get(choices).text
    settings.SMS_PROVIDER = "offline"
    tell("permit.finaled", permit, [OWNER_ADDRESS], roles=[OWNER])
    (owners,) = sent_to(OWNER_ADDRESS)
    assert "STOP" not in Client().get(path_of(owners.extra_headers["List-Unsubscribe"])).text
    assert "STOP" not in Client().get(path_of(footer_link(owners, "Choose what you receive"))).text
