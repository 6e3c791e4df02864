"""core.outbox: with a broker, a task is written in the transaction that asked for it and
published after the commit; one the broker refused is kept and published by the relay, once,
under its own id, with backoff (issue 12, requirement 4). The real Redis outage is in
tests/security/test_outages.py."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from core.events import event_record
from core.mail import deliver_email, enqueue_after_commit
from core.models import OutboxTask
from core.outbox import outbox_publish, outbox_relay
from licenses.services import license_link_request
from portal.celery import app
from tests.factories import LicenseFactory, UserFactory


class FakeBroker:
    """The broker's side of core.outbox.broker_publish: records what it took, or refuses while
    down (the real Redis, stopped and started, is in tests/security/test_outages.py)."""

    def __init__(self) -> None:
        self.up = True
        self.published: list[dict] = []

    def publish(self, *, name, args, task_id):
        if not self.up:
            raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        self.published.append({"name": name, "args": args, "task_id": task_id})


@pytest.fixture
def broker(monkeypatch):
    fake = FakeBroker()
    monkeypatch.setattr("core.outbox.broker_publish", fake.publish)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield fake
    app.conf.task_always_eager = eager


def make_due(*intents: OutboxTask) -> None:
    OutboxTask.objects.filter(pk__in=[i.pk for i in intents]).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


@pytest.mark.django_db
def test_in_eager_mode_nothing_is_written_and_the_task_runs_after_the_commit(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        event_record("account.registered", subject=user)
    assert OutboxTask.objects.count() == 0
    assert [m.subject for m in mail.outbox] == [
        "[City of Springfield Permit Portal] Registration received"
    ]


@pytest.mark.django_db
def test_the_task_is_written_with_the_change_and_published_after_the_commit(
    broker, django_capture_on_commit_callbacks
):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        license_link_request(user=user, license=LicenseFactory())
    intent = OutboxTask.objects.get()
    # The reviewers hear of the request: its event's delivery to their subscriber.
    assert intent.task_name == "core.events.deliver_event"
    assert intent.args[1] == "notifications.subscribers.accounts.notify_license_reviewers"
    assert broker.published == []  # not before the commit
    for callback in callbacks:
        callback()
    assert broker.published == [
        {"name": intent.task_name, "args": intent.args, "task_id": str(intent.pk)}
    ]
    intent.refresh_from_db()
    assert intent.sent_at is not None and intent.attempts == 1
    assert intent.args == []  # a sent email's link is not kept


@pytest.mark.django_db(transaction=True)
def test_a_rollback_drops_the_task_with_the_change(broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        license_link_request(user=UserFactory(), license=LicenseFactory())
        assert OutboxTask.objects.count() == 1
        raise RuntimeError("the request failed after the link was written")
    assert OutboxTask.objects.count() == 0
    assert broker.published == []


@pytest.mark.django_db(transaction=True)
def test_broker_down_at_the_commit_keeps_the_task_and_the_change(broker):
    broker.up = False
    user = UserFactory()
    with transaction.atomic():  # the commit runs the publish: it must not raise
        enqueue_after_commit(deliver_email, {"subject": "s", "text": "t", "to": [user.email]})
    intent = OutboxTask.objects.get()
    assert intent.sent_at is None and intent.attempts == 1
    assert "Connection refused" in intent.last_error
    wait = (intent.next_attempt_at - timezone.now()).total_seconds()
    assert 3 < wait <= 5


@pytest.mark.django_db
def test_the_relay_backs_off_then_sends_each_task_once_under_its_id(broker):
    broker.up = False
    first = OutboxTask.objects.create(task_name="licenses.mail.deliver_email", args=[{"n": 1}])
    second = OutboxTask.objects.create(task_name="licenses.mail.deliver_email", args=[{"n": 2}])

    relayed = outbox_relay()
    # The broker is down: one refusal ends the pass, the other task is not charged a try.
    assert (relayed.sent, relayed.failed, relayed.pending) == (0, 1, 2)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.attempts, second.attempts) == (1, 0)

    outbox_relay()  # first is not due again yet (backoff): second's turn
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.attempts, second.attempts) == (1, 1)
    for attempts, longest_wait in [(2, 10), (3, 20)]:  # 5 s, doubled per failed try
        make_due(first)
        outbox_relay()
        first.refresh_from_db()
        assert first.attempts == attempts
        wait = (first.next_attempt_at - timezone.now()).total_seconds()
        assert longest_wait / 2 < wait <= longest_wait

    broker.up = True
    make_due(first, second)
    relayed = outbox_relay()
    assert (relayed.sent, relayed.failed, relayed.pending) == (2, 0, 0)
    assert outbox_relay().sent == 0  # nothing is published twice
    assert sorted(p["task_id"] for p in broker.published) == sorted([str(first.pk), str(second.pk)])


@pytest.mark.django_db
def test_backoff_stops_growing_at_the_configured_maximum(broker, settings):
    settings.OUTBOX_BACKOFF_MAX_SECONDS = 60
    broker.up = False
    intent = OutboxTask.objects.create(task_name="t", args=[], attempts=9)
    outbox_publish(intent_id=intent.pk)
    intent.refresh_from_db()
    assert 55 < (intent.next_attempt_at - timezone.now()).total_seconds() <= 60


@pytest.mark.django_db
def test_the_relay_command_sends_what_is_pending_and_prunes_old_sent_rows(broker, capsys):
    pending = OutboxTask.objects.create(task_name="t", args=[1])
    old = OutboxTask.objects.create(
        task_name="t", args=[], sent_at=timezone.now() - timedelta(days=8)
    )
    recent = OutboxTask.objects.create(
        task_name="t", args=[], sent_at=timezone.now() - timedelta(days=1)
    )
    call_command("relay_outbox", "--once")
    assert "Sent: 1" in capsys.readouterr().out
    assert [p["task_id"] for p in broker.published] == [str(pending.pk)]
    assert set(OutboxTask.objects.values_list("pk", flat=True)) == {pending.pk, recent.pk}
    assert not OutboxTask.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db
def test_the_relay_command_refuses_to_run_without_a_broker():
    with pytest.raises(CommandError, match="No broker"):
        call_command("relay_outbox", "--once")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_task_held_by_another_relay_is_skipped_not_published_twice(broker):
    intent = OutboxTask.objects.create(task_name="t", args=[])
    locked, release = threading.Event(), threading.Event()

    def other_relay() -> None:
        try:
            with transaction.atomic():
                OutboxTask.objects.select_for_update().get(pk=intent.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_relay)
    thread.start()
    try:
        assert locked.wait(10)
        assert outbox_publish(intent_id=intent.pk) == "skipped"
    finally:
        release.set()
        thread.join()
    assert broker.published == []
    assert outbox_publish(intent_id=intent.pk) == "sent"
    assert outbox_publish(intent_id=intent.pk) == "skipped"
    assert len(broker.published) == 1
