"""Delivery you can see (issue 24, requirement 5): email goes through django-anymail's backend of
the service the settings name (here Mailgun, its API a local fake server), the message keeps the
service's id, the service's signed tracking webhook records delivered, bounced and marked as
spam, a bounced address is shown to its owner and to staff and gets no more email until it is
cleared, and admin lists each person's and each permit's messages with their states."""

import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.events import event_record
from notifications.models import BouncedAddress, Message, MessageState, Notice
from notifications.services import notify
from notifications.tracking import delivery_record
from tests.factories import PermitFactory, UserFactory

REPO = Path(__file__).resolve().parents[2]
SIGNING_KEY = "mailgun-webhook-signing-key-for-the-tests"
WEBHOOK = "/anymail/mailgun/tracking/"


class FakeMailgun:
    """Mailgun's messages API on the loopback: answers each send with a new message id, as
    Mailgun does, and keeps what it was sent."""

    def __init__(self):
        self.sent: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                message_id = (
                    f"<{time.strftime('%Y%m%d%H%M%S')}.{uuid.uuid4().hex[:12]}@mg.example.gov>"
                )
                fake.sent.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization", ""),
                        "content_type": self.headers.get("Content-Type", ""),
                        "body": body,
                        "id": message_id,
                    }
                )
                answer = json.dumps({"id": message_id, "message": "Queued. Thank you."}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v3"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mailgun(settings):
    """The portal set to send through Mailgun (EMAIL_PROVIDER=mailgun), Mailgun being a local
    fake server."""
    with FakeMailgun() as fake:
        settings.EMAIL_PROVIDER = "mailgun"
        settings.EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"
        settings.ANYMAIL = {
            "MAILGUN_API_KEY": "key-for-the-fake",
            "MAILGUN_API_URL": fake.url,
            "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
        }
        yield fake


def tell(user_or_address, permit, event_type="permit.finaled"):
    """One event on the permit, told to one person through notify (sent at once)."""
    event = event_record(event_type, subject=permit)
    notify(
        event,
        to=[user_or_address],
        permit=permit,
        template="permit_status_changed",
        context={"permit": permit, "what": event_type.removeprefix("permit."), "url": "/x/"},
    )
    return Message.objects.filter(notices__event=event).get()


def signed(event_data: dict, *, key: str = SIGNING_KEY) -> dict:
    """A Mailgun webhook body, signed as Mailgun signs: HMAC-SHA256 of timestamp + token with
    the webhook signing key."""
    timestamp = str(int(time.time()))
    token = uuid.uuid4().hex * 2
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": event_data,
    }


def mailgun_event(message: Message, event: str, at: datetime, **extra) -> dict:
    return {
        "event": event,
        "id": uuid.uuid4().hex,
        "timestamp": at.timestamp(),
        "recipient": message.address,
        "message": {"headers": {"message-id": message.provider_id.strip("<>")}},
        **extra,
    }


def bounce_event(message: Message, at: datetime) -> dict:
    return mailgun_event(
        message,
        "failed",
        at,
        severity="permanent",
        reason="bounce",
        **{
            "delivery-status": {
                "code": 550,
                "message": "5.1.1 The email account that you tried to reach does not exist",
                "description": "",
            }
        },
    )


def post(client, body: dict):
    return client.post(WEBHOOK, data=json.dumps(body), content_type="application/json")


def message_on(permit, user, *, key: str, state: str, address: str = "") -> Message:
    event = event_record("permit.finaled", subject=permit)
    notice = Notice.objects.create(
        event=event,
        recipient=f"user:{user.pk}",
        user=user,
        email=user.email,
        permit=permit,
        group="permits",
        subject=f"{permit.number} finaled",
        text="x",
    )
    message = Message.objects.create(
        channel="email",
        recipient=f"user:{user.pk}",
        user=user,
        address=address or user.email,
        permit=permit if key.startswith("permit:") else None,
        key=key,
        state=state,
        subject=f"{key} to {user.username}",
    )
    message.notices.add(notice)
    return message


# Sending -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_message_sent_through_mailgun_keeps_mailguns_message_id(mailgun):
    user = UserFactory(email="pat@example.com")
    message = tell(user, PermitFactory())

    message.refresh_from_db()
    assert message.state == MessageState.SENT
    [request] = mailgun.sent
    assert message.provider_id == request["id"]
    # Anymail's Mailgun backend, as Mailgun is called: the sender's domain, the API key.
    assert request["path"] == "/v3/example.gov/messages"
    assert request["authorization"].startswith("Basic ")
    assert parse_qs(request["body"].decode())["to"] == ["pat@example.com"]
    assert mail.outbox == []  # not the test settings' locmem: it went to "Mailgun"


@pytest.mark.django_db
def test_without_an_email_service_the_tests_keep_mail_in_memory():
    message = tell(UserFactory(email="pat@example.com"), PermitFactory())
    message.refresh_from_db()
    assert message.state == MessageState.SENT and message.provider_id == ""
    assert [m.to for m in mail.outbox] == [["pat@example.com"]]


def run_settings(script: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANYMAIL_", "EMAIL_", "DJANGO_")) and k != "DATABASE_URL"
    }
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=REPO,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_email_service_is_chosen_by_the_environment_and_its_keys_are_anymails():
    script = (
        "from django.conf import settings as s; print(s.EMAIL_BACKEND); "
        "print(sorted(s.ANYMAIL.items())); print('anymail' in s.INSTALLED_APPS)"
    )
    chosen = run_settings(
        script,
        DJANGO_SETTINGS_MODULE="portal.settings.local",
        EMAIL_PROVIDER="Postmark",
        ANYMAIL_POSTMARK_SERVER_TOKEN="token-1",
        ANYMAIL_WEBHOOK_SECRET="hook:secret",
    )
    assert chosen.stdout.split("\n")[:3] == [
        "anymail.backends.postmark.EmailBackend",
        "[('POSTMARK_SERVER_TOKEN', 'token-1'), ('WEBHOOK_SECRET', 'hook:secret')]",
        "True",
    ], chosen.stderr
    demo = run_settings(script, DJANGO_SETTINGS_MODULE="portal.settings.local")
    assert demo.stdout.split("\n")[0] == "django.core.mail.backends.filebased.EmailBackend"
    unknown = run_settings(
        script, DJANGO_SETTINGS_MODULE="portal.settings.local", EMAIL_PROVIDER="pigeon"
    )
    assert unknown.returncode != 0
    assert "EMAIL_PROVIDER='pigeon': not one of django-anymail's email services" in unknown.stderr


def test_production_takes_an_email_service_instead_of_a_mail_server():
    from tests.portal.test_settings import PRODUCTION, run_manage

    without_url = {k: v for k, v in PRODUCTION.items() if k != "EMAIL_URL"}
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **without_url,
        EMAIL_PROVIDER="mailgun",
        ANYMAIL_MAILGUN_API_KEY="key-1",
        ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY="signing-1",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    neither = run_manage("check", **without_url)
    assert neither.returncode != 0
    assert "EMAIL_PROVIDER (e.g. mailgun" in neither.stderr


# The tracking webhook ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_mailguns_signed_webhook_records_delivered_then_marked_as_spam(client, mailgun):
    message = tell(UserFactory(email="pat@example.com"), PermitFactory())
    message.refresh_from_db()
    delivered_at = datetime(2026, 5, 1, 14, 30, tzinfo=UTC)

    response = post(client, signed(mailgun_event(message, "delivered", delivered_at)))

    assert response.status_code == 200
    message.refresh_from_db()
    assert (message.state, message.tracked_at, message.detail) == (
        MessageState.DELIVERED,
        delivered_at,
        "",
    )
    later = delivered_at + timedelta(hours=2)
    assert post(client, signed(mailgun_event(message, "complained", later))).status_code == 200
    message.refresh_from_db()
    assert (message.state, message.tracked_at) == (MessageState.COMPLAINED, later)
    assert message.detail == "Its recipient marked it as spam"
    # The news of its delivery, sent again late, does not undo the complaint.
    post(client, signed(mailgun_event(message, "delivered", delivered_at)))
    message.refresh_from_db()
    assert message.state == MessageState.COMPLAINED
    assert BouncedAddress.objects.get(email="pat@example.com").state == MessageState.COMPLAINED


@pytest.mark.django_db
def test_mailguns_signed_bounce_records_the_reason_and_the_address(client, mailgun):
    message = tell("Owner@Example.com", PermitFactory())
    message.refresh_from_db()
    at = timezone.now().replace(microsecond=0) - timedelta(minutes=5)

    assert post(client, signed(bounce_event(message, at))).status_code == 200

    message.refresh_from_db()
    assert message.state == MessageState.BOUNCED
    assert message.tracked_at == at
    assert "The email account that you tried to reach does not exist" in message.detail
    bounce = BouncedAddress.objects.get()
    assert (bounce.email, bounce.state, bounce.at, bounce.message) == (
        "owner@example.com",
        MessageState.BOUNCED,
        at,
        message,
    )


@pytest.mark.django_db
def test_a_webhook_with_a_bad_signature_is_refused_and_changes_nothing(client, mailgun):
    message = tell(UserFactory(email="pat@example.com"), PermitFactory())
    message.refresh_from_db()
    forged = signed(bounce_event(message, timezone.now()), key="not-the-signing-key")

    response = post(client, forged)

    assert response.status_code == 400
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert not BouncedAddress.objects.exists()
    # The same body, signed with the key, is taken (the refusal was the signature's).
    body = signed(bounce_event(message, timezone.now()))
    tampered = {**body, "event-data": {**body["event-data"], "recipient": "someone@else.example"}}
    tampered["signature"] = {**body["signature"], "token": body["signature"]["token"][::-1]}
    assert post(client, tampered).status_code == 400
    assert post(client, body).status_code == 200


@pytest.mark.django_db
def test_only_the_configured_services_webhook_answers(client, settings):
    settings.EMAIL_PROVIDER = ""
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    body = {
        "signature": {"timestamp": "1", "token": "t", "signature": "s"},
        "event-data": {"event": "failed", "recipient": "victim@example.com"},
    }
    assert post(client, body).status_code == 404
    # A service anymail checks by the webhook's secret alone (basic auth) is refused until the
    # secret is set: anymail by itself would take anyone's word that an address bounced.
    settings.EMAIL_PROVIDER = "postmark"
    bounce = {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "MessageID": "f4b2a1c0-0000-0000-0000-000000000000",
        "Email": "victim@example.com",
        "BouncedAt": "2026-05-01T14:30:00Z",
        "Description": "The server was unable to deliver your message",
    }
    url = reverse("anymail:postmark_tracking_webhook")
    refused = client.post(url, data=json.dumps(bounce), content_type="application/json")
    assert refused.status_code == 403
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:secret"}
    no_auth = client.post(url, data=json.dumps(bounce), content_type="application/json")
    assert no_auth.status_code == 400
    assert not BouncedAddress.objects.exists()
    authed = client.post(
        url,
        data=json.dumps(bounce),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic aG9vazpzZWNyZXQ=",  # hook:secret
    )
    assert authed.status_code == 200
    assert BouncedAddress.objects.get().email == "victim@example.com"


@pytest.mark.django_db
def test_inbound_mail_webhooks_are_not_mounted(client, mailgun):
    assert client.post("/anymail/mailgun/inbound/", data={}).status_code == 404


# No more email to a bounced address --------------------------------------------------------------


@pytest.mark.django_db
def test_no_email_goes_to_a_bounced_address_until_an_email_to_it_is_delivered(client, mailgun):
    user = UserFactory(email="pat@example.com")
    permit = PermitFactory()
    first = tell(user, permit)
    first.refresh_from_db()
    bounced_at = timezone.now() - timedelta(hours=1)
    post(client, signed(bounce_event(first, bounced_at)))

    second = tell(user, permit, "permit.expired")

    second.refresh_from_db()
    assert second.state == MessageState.DROPPED
    assert second.detail.startswith("Not sent: email to pat@example.com bounced on ")
    assert "until the address changes or an email to it is delivered" in second.detail
    assert len(mailgun.sent) == 1
    # An email delivered to it since (a password reset, sent outside the notifications) clears
    # it; news of a delivery before the bounce would not have.
    delivery_record(
        provider_id="<other@mg>",
        recipient="pat@example.com",
        state=MessageState.DELIVERED,
        at=bounced_at - timedelta(minutes=1),
    )
    assert tell(user, permit, "permit.cancelled").state == MessageState.DROPPED
    delivery_record(
        provider_id="<other@mg>", recipient="PAT@example.com", state=MessageState.DELIVERED
    )
    third = tell(user, permit, "permit.issued")
    third.refresh_from_db()
    assert third.state == MessageState.SENT and len(mailgun.sent) == 2
    # The old bounce, its webhook sent again, does not stop it again.
    post(client, signed(bounce_event(first, bounced_at)))
    assert not BouncedAddress.objects.filter(cleared_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_new_address_is_emailed_at_once(mailgun):
    user = UserFactory(email="old@example.com")
    delivery_record(provider_id="", recipient="old@example.com", state=MessageState.BOUNCED)
    assert tell(user, PermitFactory()).state == MessageState.DROPPED

    user.email = "new@example.com"
    user.save()
    message = tell(user, PermitFactory(), "permit.expired")

    message.refresh_from_db()
    assert (message.state, message.address) == (MessageState.SENT, "new@example.com")


@pytest.mark.django_db
def test_the_beats_batch_drops_only_the_emails_to_bounced_addresses_in_one_query(
    django_assert_num_queries, mailgun
):
    from notifications.sending import send_due_messages
    from notifications.tracking import bounced_addresses_blocker

    permit = PermitFactory()
    users = [UserFactory(email=f"user{n}@example.com") for n in range(6)]
    for user in users[::2]:
        delivery_record(provider_id="", recipient=user.email, state=MessageState.BOUNCED)
    messages = [message_on(permit, user, key="digest", state=MessageState.OPEN) for user in users]
    text = Message(pk=10**9, channel="sms", address=users[0].email, key="digest")
    with django_assert_num_queries(1):
        held = bounced_addresses_blocker([*messages, text])
    assert set(held) == {message.pk for message in messages[::2]}  # not the text message

    assert send_due_messages() == 3

    states = dict(Message.objects.filter(channel="email").values_list("address", "state"))
    assert states == {
        user.email: MessageState.DROPPED if n % 2 == 0 else MessageState.SENT
        for n, user in enumerate(users)
    }
    assert len(mailgun.sent) == 3


# The owner sees it -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_owner_of_a_bounced_address_sees_it_on_every_page_and_can_change_it(client):
    user = UserFactory(email="pat@example.com")
    client.force_login(user)
    search = reverse("permits:search")
    assert "email-bounced" not in client.get(search).content.decode()

    delivery_record(
        provider_id="<1@mg>",
        recipient="pat@example.com",
        state=MessageState.BOUNCED,
        reason="550 5.1.1 No such user",
        at=datetime(2026, 5, 1, 15, tzinfo=UTC),
    )

    for page in (search, reverse("notifications:list"), reverse("accounts:manage")):
        html = client.get(page).content.decode()
        assert (
            'Email to <strong class="text-break">pat@example.com</strong> bounced on '
            "05/01/2026: we can't reach you by email — check or change your address." in html
        )
        assert f'href="{reverse("account_email")}"' in html
    # Someone else, and a visitor, see nothing of it.
    other = client.__class__()
    other.force_login(UserFactory(email="sam@example.com"))
    assert "email-bounced" not in other.get(search).content.decode()
    assert "email-bounced" not in client.__class__().get(search).content.decode()
    # A new address: the banner is gone.
    user.email = "pat@new.example.com"
    user.save()
    assert "email-bounced" not in client.get(search).content.decode()


@pytest.mark.django_db
def test_the_owner_says_their_address_works_again(client, mailgun):
    user = UserFactory(email="pat@example.com")
    client.force_login(user)
    delivery_record(provider_id="", recipient="pat@example.com", state=MessageState.BOUNCED)
    search = reverse("permits:search")

    response = client.post(reverse("notifications:email_again"), {"next": search}, follow=True)

    assert response.redirect_chain == [(search, 302)]
    html = response.content.decode()
    assert "We will email pat@example.com again." in html and "email-bounced" not in html
    assert tell(user, PermitFactory()).state != MessageState.DROPPED
    # Only their own address: another user's stays stopped.
    delivery_record(provider_id="", recipient="sam@example.com", state=MessageState.BOUNCED)
    client.post(reverse("notifications:email_again"), {"next": "https://evil.example/"})
    assert BouncedAddress.objects.get(email="sam@example.com").is_active


@pytest.mark.django_db
def test_verifying_the_address_again_clears_its_bounce():
    from allauth.account.signals import email_confirmed

    from tests.factories import verify_email

    user = UserFactory(email="pat@example.com")
    delivery_record(provider_id="", recipient="pat@example.com", state=MessageState.BOUNCED)
    email_confirmed.send(sender=None, request=None, email_address=verify_email(user))
    assert not BouncedAddress.objects.get().is_active


# Staff see it ------------------------------------------------------------------------------------


@pytest.fixture
def applied_permit(db):
    """A permit applied for online: its applicant has an account, its owner only an address."""
    from applications.models import Application
    from tests.applications.conftest import make_form

    permit = PermitFactory()
    applicant = UserFactory(email="applicant@example.com")
    Application.objects.create(
        template=make_form(),
        applicant=applicant,
        owner_email="Owner@Example.com",
        permit=permit,
    )
    return permit


@pytest.mark.django_db
def test_staff_see_on_the_permits_page_that_the_owners_email_bounced(admin_client, applied_permit):
    page = reverse("admin:permits_permit_change", args=[applied_permit.pk])
    assert "errornote" not in admin_client.get(page).content.decode()

    delivery_record(
        provider_id="",
        recipient="owner@example.com",
        state=MessageState.BOUNCED,
        reason="550 No such user",
        at=datetime(2026, 5, 1, 15, tzinfo=UTC),
    )
    delivery_record(provider_id="", recipient="stranger@example.com", state=MessageState.BOUNCED)

    html = admin_client.get(page).content.decode()
    assert (
        "The owner&#x27;s email (Owner@Example.com) bounced on 05/01/2026 (550 No such user): "
        "nothing is emailed to it until it changes or an email to it is delivered." in html
    )
    assert "stranger@example.com" not in html
    assert "applicant" not in html.split("Email and messages")[1].split("</fieldset>")[0]


# Admin: each person's and each permit's messages -------------------------------------------------


@pytest.mark.django_db
def test_admin_lists_a_permits_messages_with_their_states(admin_client):
    permit, other = PermitFactory(), PermitFactory()
    pat, sam = UserFactory(username="pat"), UserFactory(username="sam")
    burst = message_on(permit, pat, key=f"permit:{permit.pk}", state=MessageState.DELIVERED)
    digest = message_on(permit, sam, key="digest", state=MessageState.BOUNCED)
    elsewhere = message_on(other, pat, key=f"permit:{other.pk}", state=MessageState.SENT)

    page = admin_client.get(reverse("admin:permits_permit_change", args=[permit.pk]))
    html = page.content.decode()
    changelist = reverse("admin:notifications_message_changelist")
    assert (
        f'<a href="{changelist}?permit={permit.pk}&amp;state__exact=delivered">Delivered: 1</a>'
        in html
    )
    assert (
        f'<a href="{changelist}?permit={permit.pk}&amp;state__exact=bounced">Bounced: 1</a>' in html
    )
    assert f'<a href="{changelist}?permit={permit.pk}">All 2 messages</a>' in html

    listed = admin_client.get(changelist, {"permit": permit.pk})
    assert listed.status_code == 200
    assert set(listed.context["cl"].result_list) == {burst, digest}
    assert permit.number in listed.content.decode()  # the filter names the permit
    bounced = admin_client.get(changelist, {"permit": permit.pk, "state__exact": "bounced"})
    assert list(bounced.context["cl"].result_list) == [digest]
    assert list(admin_client.get(changelist, {"permit": other.pk}).context["cl"].result_list) == [
        elsewhere
    ]
    assert admin_client.get(changelist, {"permit": "x"}).context["cl"].result_list.count() == 0


@pytest.mark.django_db
def test_admin_lists_a_persons_messages_from_their_page(admin_client):
    permit = PermitFactory()
    pat, sam = UserFactory(username="pat"), UserFactory(username="sam")
    mine = [
        message_on(permit, pat, key=f"permit:{permit.pk}", state=MessageState.SENT),
        message_on(permit, pat, key="digest", state=MessageState.COMPLAINED),
    ]
    message_on(permit, sam, key="digest", state=MessageState.SENT)
    delivery_record(provider_id="", recipient=pat.email, state=MessageState.COMPLAINED)

    html = admin_client.get(reverse("admin:accounts_user_change", args=[pat.pk])).content.decode()
    changelist = reverse("admin:notifications_message_changelist")
    assert f'<a href="{changelist}?user={pat.pk}&amp;state__exact=sent">Sent: 1</a>' in html
    assert (
        f'<a href="{changelist}?user={pat.pk}&amp;state__exact=complained">Marked as spam: 1</a>'
        in html
    )
    assert f"Their email ({pat.email}) was marked as spam on" in html

    listed = admin_client.get(changelist, {"user": pat.pk})
    assert set(listed.context["cl"].result_list) == set(mine)
    assert "pat" in listed.content.decode()


@pytest.mark.django_db
def test_staff_who_may_change_bounced_addresses_email_one_again(admin_client):
    delivery_record(provider_id="", recipient="pat@example.com", state=MessageState.COMPLAINED)
    bounce = BouncedAddress.objects.get()
    changelist = reverse("admin:notifications_bouncedaddress_changelist")

    admin_client.post(changelist, {"action": "email_again", "_selected_action": [bounce.pk]})

    bounce.refresh_from_db()
    assert not bounce.is_active and bounce.cleared_by == "staff: admin"
