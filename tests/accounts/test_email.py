"""Email goes out through Celery, after the commit, with text and HTML parts, retried when the
mail server fails; and, in CI, through the real Redis broker to a real worker process."""

import os
import smtplib
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import OperationalError, connection, transaction

from core.events import deliver_event, event_record
from core.mail import deliver_email, send_templated_email
from licenses.services import license_link_request
from tests.factories import LicenseFactory, UserFactory

REPO = Path(__file__).resolve().parents[2]
REGISTRATION = "notifications.subscribers.accounts.send_registration_received"


@pytest.mark.django_db
def test_a_task_sends_text_and_html_from_templates(django_capture_on_commit_callbacks):
    user = UserFactory(email="o'brien@example.com", first_name="Pat", last_name="O'Brien")
    with django_capture_on_commit_callbacks(execute=True):
        event_record("account.registered", subject=user)
    message = mail.outbox[0]
    assert message.subject == "[City of Springfield Permit Portal] Registration received"
    assert "Pat O'Brien" in message.body  # plain text is not HTML-escaped
    html, mime = message.alternatives[0]
    assert mime == "text/html" and "Pat O&#x27;Brien" in html


@pytest.mark.django_db(transaction=True)
def test_no_email_for_a_change_that_rolled_back():
    user = UserFactory()
    license = LicenseFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        license_link_request(user=user, license=license)
        raise RuntimeError("the request failed after the link was written")
    assert mail.outbox == []
    license_link_request(user=user, license=license)
    assert len(mail.outbox) == 0 or all("License link to review" in m.subject for m in mail.outbox)


@pytest.mark.django_db(transaction=True)
def test_email_is_sent_only_after_the_commit(settings):
    settings.LICENSE_REVIEWER_EMAILS = ["rev@city.example"]
    user = UserFactory()
    with transaction.atomic():
        license_link_request(user=user, license=LicenseFactory())
        assert mail.outbox == []  # not yet: the transaction is open
    assert [m.to for m in mail.outbox] == [["rev@city.example"]]


MESSAGE = {"subject": "s", "text": "t", "html": "", "to": ["a@example.com"]}


@pytest.fixture
def mail_server_down(monkeypatch):
    attempts = []

    def down(message):
        attempts.append(message)
        raise smtplib.SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr("core.mail.send_message", down)
    # Celery draws the wait at random below the backoff ("full jitter"); draw the top, so the
    # test reads the backoff itself.
    monkeypatch.setattr("celery.utils.time.random.randrange", lambda stop: stop - 1)
    return attempts


@pytest.mark.parametrize(("retries", "countdown"), [(0, 30), (1, 60), (3, 240), (8, 1800)])
def test_a_failing_mail_server_is_retried_with_growing_backoff(
    mail_server_down, retries, countdown
):
    with pytest.raises(Retry) as retry:
        deliver_email.apply(args=[MESSAGE], retries=retries)
    assert retry.value.when == countdown
    assert "mail server went away" in str(retry.value)


def test_after_the_last_retry_the_failure_is_reported(mail_server_down):
    with pytest.raises(smtplib.SMTPServerDisconnected):
        deliver_email.apply(args=[MESSAGE], retries=deliver_email.max_retries)


def test_a_mail_server_that_recovers_delivers(monkeypatch):
    sent = []
    monkeypatch.setattr("core.mail.send_message", sent.append)
    assert deliver_email.apply(args=[MESSAGE], retries=2).successful()
    assert sent == [MESSAGE]


@pytest.mark.django_db
def test_a_database_down_under_the_worker_is_retried_like_a_mail_server(monkeypatch):
    """PostgreSQL restarting while a worker reads what an email says: the email waits for it
    rather than being dropped (issue 12, requirement 4)."""

    def unreachable(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    event = event_record("account.registered", subject=UserFactory())
    monkeypatch.setattr("django.db.models.query.QuerySet.get", unreachable)
    with pytest.raises(Retry) as retry:
        deliver_event.apply(args=[event.pk, REGISTRATION])
    assert "server closed the connection" in str(retry.value)


@pytest.mark.django_db
@pytest.mark.parametrize(("retries", "countdown"), [(0, 30), (1, 60), (3, 240), (8, 1800)])
def test_a_subscriber_whose_mail_server_fails_is_tried_again_later_and_later(
    mail_server_down, retries, countdown
):
    event = event_record("account.registered", subject=UserFactory())
    with pytest.raises(Retry) as retry:
        deliver_event.apply(args=[event.pk, REGISTRATION], retries=retries)
    assert retry.value.when == countdown
    assert "mail server went away" in str(retry.value)


@pytest.mark.django_db
def test_after_a_subscribers_last_try_the_failure_is_reported_and_kept(mail_server_down):
    from core.models import EventDelivery

    event = event_record("account.registered", subject=UserFactory())
    with pytest.raises(smtplib.SMTPServerDisconnected):
        deliver_event.apply(args=[event.pk, REGISTRATION], retries=deliver_event.max_retries)
    delivery = EventDelivery.objects.get(event=event)
    assert delivery.delivered_at is None
    assert delivery.last_error == "SMTPServerDisconnected: mail server went away"


def test_a_message_to_nobody_is_not_sent():
    send_templated_email(template="registration_received", to=[""], context={})
    assert mail.outbox == []


@pytest.mark.postgres
@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_delivery_through_the_real_broker_and_a_worker_process(tmp_path):
    """A real worker, started as a subprocess against the local Redis and the test database,
    delivers the email that the portal enqueued after its commit."""
    from portal.celery import app

    queue = f"portal-test-{uuid.uuid4().hex[:8]}"
    user = UserFactory(email="broker@example.com")
    settings_dict = connection.settings_dict
    database_url = (
        f"postgres://{settings_dict['USER'] or 'postgres'}@{settings_dict['HOST'] or '127.0.0.1'}:"
        f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DATABASE_URL": database_url,
        "EMAIL_FILE_PATH": str(tmp_path),
        "EMAIL_URL": "",
        "CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"],
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "-Q",
            queue,
            "--pool=solo",
            "--concurrency=1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    eager, default_queue = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    try:
        with transaction.atomic():
            event_record("account.registered", subject=user)
        deadline = time.monotonic() + 60
        files = []
        while time.monotonic() < deadline and not files:
            files = list(tmp_path.glob("*.log"))
            time.sleep(0.3)
        assert files, "the worker delivered nothing within a minute"
        body = files[0].read_text()
        assert "To: broker@example.com" in body
        assert "Registration received" in body
    finally:
        app.conf.task_always_eager = eager
        app.conf.task_default_queue = default_queue
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        print(output[-3000:])
