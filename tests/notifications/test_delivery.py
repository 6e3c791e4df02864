"""Delivery you can see (issue 24, requirement 5): email goes through django-anymail's backend of
the service the settings name (here Mailgun, its API a local fake server), and the message keeps
the service's id."""

import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from django.core import mail

from core.events import event_record
from notifications.models import Message, MessageState
from notifications.services import notify
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
