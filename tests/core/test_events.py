"""The event record (core.events): every move and every change people hear of is one event,
written in the change's transaction; subscribers hear it after the commit, each on its own, once,
and one failing neither undoes the change nor keeps the others from hearing it. A permit's history
is every event linked to it (its fees', payments' and inspections' too)."""

import pytest
from django.apps import apps
from django.db import transaction

from core import events
from core.events import (
    CATALOGUE,
    UnknownEvent,
    deliveries_retry,
    event_deliver,
    event_record,
    subscriber,
)
from core.history import history_of
from core.models import Event, EventDelivery, OutboxTask
from core.status import StatusMachine
from permits.models import FeeStatus, PermitStatus
from tests.factories import FeeFactory, InspectionFactory, PermitFactory, UserFactory

pytestmark = pytest.mark.django_db

HEARD: list[tuple[str, str, int]] = []


@pytest.fixture
def listeners(monkeypatch):
    """Two subscribers of permit.issued: one that fails, one that hears."""
    HEARD.clear()
    registry = {key: list(value) for key, value in events._subscribers.items()}
    monkeypatch.setattr(events, "_subscribers", events.defaultdict(list, registry))
    subscriber("permit.issued")(failing)
    subscriber("permit.issued", "permit.finaled")(hearing)
    yield HEARD


def failing(event: Event) -> None:
    HEARD.append(("failing", event.type, event.object_id))
    raise RuntimeError("the mail server said no")


def hearing(event: Event) -> None:
    HEARD.append(("hearing", event.type, event.object_id))


def test_every_move_of_every_stateful_model_has_an_event_in_the_catalogue():
    stateful = [m for m in apps.get_models() if issubclass(m, StatusMachine)]
    assert len(stateful) >= 9
    for model in stateful:
        assert model.EVENT_SUBJECT, model
        for status, _ in model._meta.get_field(model.STATUS_FIELD).choices:
            assert model().move_event(status) in CATALOGUE, (model, status)


def test_a_move_is_one_event_with_who_when_why_and_the_records_it_is_about():
    clerk = UserFactory(is_staff=True)
    permit = PermitFactory(status=PermitStatus.ISSUED)
    fee = FeeFactory(permit=permit)
    fee.move_to(FeeStatus.WAIVED, by=clerk, note="Non-profit")
    event = Event.objects.get()
    assert (event.type, event.subject, event.actor) == ("fee.waived", fee, clerk)
    assert event.payload == {"from": "due", "to": "waived", "note": "Non-profit"}
    # In the fee's history and in its permit's.
    assert [entry.title for entry in history_of(fee, for_staff=True)] == ["Fee waived"]
    (entry,) = history_of(permit, for_staff=True)
    assert (entry.change, entry.actor, entry.note) == (
        "Due → Waived",
        clerk.get_full_name(),
        "Non-profit",
    )


def test_a_contractor_reads_city_staff_where_staff_see_the_clerks_name():
    clerk = UserFactory(is_staff=True, first_name="Jane", last_name="Clerk")
    permit = PermitFactory(status=PermitStatus.READY_TO_ISSUE)
    permit.move_to(PermitStatus.ISSUED, by=clerk, note="Counter")
    inspection = InspectionFactory(permit=permit)
    inspection.move_to("cancelled", by=None, note="Cancelled online")
    entries = history_of(permit, for_staff=False)
    assert [(e.title, e.actor) for e in entries] == [
        ("Inspection cancelled", "the portal"),
        ("Permit issued", "City staff"),
    ]
    assert history_of(permit, for_staff=True)[1].actor == "Jane Clerk"


def test_a_rolled_back_change_takes_its_event_with_it():
    permit = PermitFactory(status=PermitStatus.READY_TO_ISSUE)
    with pytest.raises(RuntimeError), transaction.atomic():
        permit.move_to(PermitStatus.ISSUED)
        raise RuntimeError("the request failed after the move")
    assert not Event.objects.exists()


def test_an_event_the_catalogue_does_not_name_is_a_programming_error():
    with pytest.raises(UnknownEvent, match=r"permit\.teleported"):
        event_record("permit.teleported", subject=PermitFactory())
    with pytest.raises(UnknownEvent, match=r"permit\.teleported"):
        subscriber("permit.teleported")(hearing)


def test_subscribers_hear_after_the_commit_each_on_its_own(
    listeners, django_capture_on_commit_callbacks
):
    permit = PermitFactory(status=PermitStatus.READY_TO_ISSUE)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        permit.move_to(PermitStatus.ISSUED)
    assert listeners == []  # nothing before the commit
    for callback in callbacks:
        callback()
    # The failing one did not keep the other from hearing, nor undo the move.
    assert sorted(listeners) == [
        ("failing", "permit.issued", permit.pk),
        ("hearing", "permit.issued", permit.pk),
    ]
    permit.refresh_from_db()
    assert permit.status == PermitStatus.ISSUED
    deliveries = {d.subscriber.rsplit(".", 1)[1]: d for d in EventDelivery.objects.all()}
    assert deliveries["hearing"].delivered_at is not None
    assert deliveries["failing"].delivered_at is None
    assert deliveries["failing"].last_error == "RuntimeError: the mail server said no"


def test_a_delivery_made_twice_is_heard_once_and_a_failed_one_is_tried_again(listeners):
    permit = PermitFactory(status=PermitStatus.READY_TO_ISSUE)
    event = permit.move_to(PermitStatus.ISSUED)
    name = f"{hearing.__module__}.hearing"
    assert event_deliver(event_id=event.pk, subscriber_name=name)
    assert event_deliver(event_id=event.pk, subscriber_name=name)
    assert listeners.count(("hearing", "permit.issued", permit.pk)) == 1
    failing_name = f"{failing.__module__}.failing"
    for _ in range(2):
        with pytest.raises(RuntimeError):
            event_deliver(event_id=event.pk, subscriber_name=failing_name)
    assert EventDelivery.objects.get(subscriber=failing_name).attempts == 2


def test_with_a_broker_each_delivery_is_queued_in_the_outbox_with_the_change(
    listeners, monkeypatch, django_capture_on_commit_callbacks
):
    from portal.celery import app

    published = []
    monkeypatch.setattr("core.outbox.broker_publish", lambda **kwargs: published.append(kwargs))
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        permit = PermitFactory(status=PermitStatus.READY_TO_ISSUE)
        with django_capture_on_commit_callbacks(execute=True):
            event = permit.move_to(PermitStatus.ISSUED)
    finally:
        app.conf.task_always_eager = eager
    queued = OutboxTask.objects.filter(task_name="core.events.deliver_event")
    assert queued.count() == len(events.subscribers_of("permit.issued"))
    assert all(task.sent_at for task in queued)
    deliveries = [
        m["args"]
        for m in published
        if m["name"] == "core.events.deliver_event" and m["args"][1].startswith("tests.")
    ]
    assert sorted((pk, name.rsplit(".", 1)[1]) for pk, name in deliveries) == [
        (event.pk, "failing"),
        (event.pk, "hearing"),
    ]


def test_deliveries_given_up_are_queued_again(listeners, django_capture_on_commit_callbacks):
    permit = PermitFactory(status=PermitStatus.READY_TO_ISSUE)
    with django_capture_on_commit_callbacks(execute=True):
        permit.move_to(PermitStatus.ISSUED)
    failing_name = f"{failing.__module__}.failing"
    EventDelivery.objects.update(created_at=events.timezone.now() - events.timedelta(hours=1))
    listeners.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_retry() == 1
    assert listeners == [("failing", "permit.issued", permit.pk)]
    assert EventDelivery.objects.get(subscriber=failing_name).attempts == 2


def test_the_permit_page_shows_its_contractor_the_history_and_a_visitor_none(client):
    from django.urls import reverse

    from tests.factories import LicenseFactory, contractor_user

    license = LicenseFactory()
    permit = PermitFactory(status=PermitStatus.READY_TO_ISSUE, licenses=[license])
    clerk = UserFactory(is_staff=True, first_name="Jane", last_name="Clerk")
    permit.move_to(PermitStatus.ISSUED, by=clerk, note="Fees paid at the counter")
    url = reverse("permits:detail", args=[permit.number])
    assert "History" not in client.get(url).text
    client.force_login(contractor_user(license))
    page = client.get(url).text
    assert 'id="history-heading">History' in page
    assert "Permit issued" in page and "Ready to Issue → Issued" in page
    assert "by City staff" in page and "Fees paid at the counter" in page
    assert "Jane Clerk" not in page


def test_no_app_sends_mail_but_through_a_subscriber():
    """Every email the portal sends is a subscriber's (notifications/subscribers/), told
    through `notify` and sent by notifications.sending; core.mail is the machinery, and
    allauth's own security messages (a verification or reset link, a secret an event must not
    hold) go through its adapter."""
    import re

    from tests.test_import_contracts import REPO, app_modules

    allowed = {"core/mail.py", "accounts/adapter.py", "notifications/sending.py"}
    sending = re.compile(r"send_templated_email\(|send_mail\(|EmailMultiAlternatives\(|\.send\(\)")
    offenders = []
    modules = app_modules()
    assert {path.relative_to(REPO).parts[0] for path in modules} >= {
        "reviews",
        "demo",
        "policy",
        "notifications",
    }
    for path in modules:
        relative = path.relative_to(REPO).as_posix()
        if relative in allowed:
            continue
        if sending.search(path.read_text()):
            offenders.append(relative)
    assert offenders == []


def test_the_parties_of_a_permit_are_each_person_once_with_every_role():
    from licenses.models import Membership
    from permits.models import PermitContact
    from permits.parties import APPLICANT, CONTACT, parties_of, register_party_source
    from tests.factories import LicenseFactory, contractor_user

    license = LicenseFactory()
    permit = PermitFactory(licenses=[license])
    manager = contractor_user(license, can_manage=True, username="boss")
    payer = contractor_user(license, can_pay=True, username="payer")
    contact = UserFactory(username="architect")
    PermitContact.objects.create(permit=permit, user=contact, contact_type="architect")
    PermitContact.objects.create(permit=permit, user=payer, contact_type="other")
    stranger = contractor_user(LicenseFactory(), can_manage=True, username="stranger")
    assert Membership.objects.filter(user=stranger).exists()

    def applied(of):
        from permits.parties import Party

        return [Party("Boss@example.com", "", None, frozenset({APPLICANT}))] if of == permit else []

    register_party_source(applied)
    try:
        parties = {party.email.lower(): party for party in parties_of(permit)}
    finally:
        from permits import parties as module

        module._sources.remove(applied)
    assert set(parties) == {"boss@example.com", "payer@example.com", "architect@example.com"}
    assert parties["boss@example.com"].roles >= {
        APPLICANT,
        "business:manage",
        "business:pay",
        "business:apply",
    }
    assert parties["payer@example.com"].roles == {CONTACT, "business:pay"}
    assert parties["architect@example.com"].roles == {CONTACT}
    assert manager.pk == parties["boss@example.com"].user_id


def test_the_architecture_docs_list_every_event_and_who_hears_it():
    """docs/architecture.md's table names every event of the catalogue and, for each, exactly
    the subscribers registered for it."""
    import re
    from pathlib import Path

    from core.events import subscriptions

    text = (Path(__file__).resolve().parents[2] / "docs" / "architecture.md").read_text()
    table = text.split("### The catalogue, and who hears each event", 1)[1].split("###", 1)[0]
    documented: dict[str, set[str]] = {}
    for line in table.splitlines():
        cells = line.split("|")
        if len(cells) < 4 or not cells[1].strip().startswith("`"):
            continue
        names = {
            f"{module}.{function}"
            for module, function in re.findall(r"`([\w.]+): (\w+)`", cells[3])
        }
        for event_type in re.findall(r"`([\w.]+)`", cells[1]):
            documented[event_type] = names
    registered = {event_type: set(names) for event_type, names in subscriptions().items()}
    assert set(documented) == set(registered)
    for event_type, names in registered.items():
        assert documented[event_type] == names, event_type


# Subscribers that hear many events at once ------------------------------------------------------

HEARD_MANY: list[list[int]] = []
FAIL_MANY: list[bool] = []


def hearing_many(heard: list[Event]) -> None:
    HEARD_MANY.append(sorted(event.object_id for event in heard))
    if FAIL_MANY:
        raise RuntimeError("the mail server said no")


MANY = f"{hearing_many.__module__}.hearing_many"


@pytest.fixture
def many_listener(monkeypatch):
    """A subscriber of permit.finaled that hears a list of events at once, and nothing else."""
    HEARD_MANY.clear()
    FAIL_MANY.clear()
    monkeypatch.setattr(events, "_subscribers", events.defaultdict(list))
    monkeypatch.setattr(events, "_within", events.defaultdict(list))
    monkeypatch.setattr(events, "_many", set())
    subscriber("permit.finaled", many=True)(hearing_many)
    yield HEARD_MANY


def finaled(permits) -> list:
    return events.events_record_many(
        [events.EventSpec("permit.finaled", subject=permit) for permit in permits]
    )


def test_events_recorded_together_reach_a_many_subscriber_in_one_delivery(
    many_listener, django_capture_on_commit_callbacks
):
    """A reminder job's batch: one delivery hands the subscriber every event, and each event's
    delivery is still kept as its own; a delivery run again hears nothing twice."""
    permits = [PermitFactory() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True) as deliveries:
        recorded = finaled(permits)
    assert len(deliveries) == 1
    assert many_listener == [sorted(p.pk for p in permits)]
    delivered = EventDelivery.objects.filter(subscriber=MANY)
    assert sorted(d.event_id for d in delivered) == sorted(e.pk for e in recorded)
    assert all(d.delivered_at and d.attempts == 1 for d in delivered)
    ids = [e.pk for e in recorded]
    assert events.events_deliver(event_ids=ids, subscriber_name=MANY) == 0
    assert len(many_listener) == 1


def test_a_many_subscriber_hears_an_event_recorded_alone_as_a_list_of_one(
    many_listener, django_capture_on_commit_callbacks
):
    permit = PermitFactory()
    with django_capture_on_commit_callbacks(execute=True):
        event_record("permit.finaled", subject=permit)
    assert many_listener == [[permit.pk]]


def test_a_big_batch_is_delivered_in_batches_and_a_failed_one_is_tried_again(
    many_listener, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(events, "DELIVERY_BATCH", 2)
    permits = [PermitFactory() for _ in range(5)]
    FAIL_MANY.append(True)
    with django_capture_on_commit_callbacks(execute=True) as deliveries:
        recorded = finaled(permits)
    assert len(deliveries) == 3
    assert [len(batch) for batch in many_listener] == [2, 2, 1]
    failed = EventDelivery.objects.filter(subscriber=MANY)
    assert {(d.attempts, d.delivered_at, d.last_error) for d in failed} == {
        (1, None, "RuntimeError: the mail server said no")
    }
    # Fixed, then tried again (the task's retry): every event heard, each delivery recorded.
    FAIL_MANY.clear()
    many_listener.clear()
    assert events.events_deliver(event_ids=[e.pk for e in recorded], subscriber_name=MANY) == 5
    assert many_listener == [sorted(p.pk for p in permits)]
    failed = EventDelivery.objects.filter(subscriber=MANY)
    assert {(d.attempts, d.last_error) for d in failed} == {(2, "")}
    assert all(d.delivered_at for d in failed)


def test_a_batch_given_up_is_queued_again_as_a_batch(
    many_listener, django_capture_on_commit_callbacks
):
    permits = [PermitFactory() for _ in range(3)]
    FAIL_MANY.append(True)
    with django_capture_on_commit_callbacks(execute=True):
        finaled(permits)
    FAIL_MANY.clear()
    many_listener.clear()
    EventDelivery.objects.update(created_at=events.timezone.now() - events.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True) as deliveries:
        assert deliveries_retry() == 3
    assert len(deliveries) == 1
    assert many_listener == [sorted(p.pk for p in permits)]


def test_with_a_broker_a_batch_is_one_task_in_the_outbox(
    many_listener, monkeypatch, django_capture_on_commit_callbacks
):
    from portal.celery import app

    published = []
    monkeypatch.setattr("core.outbox.broker_publish", lambda **kwargs: published.append(kwargs))
    permits = [PermitFactory() for _ in range(3)]
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with django_capture_on_commit_callbacks(execute=True):
            recorded = finaled(permits)
    finally:
        app.conf.task_always_eager = eager
    (task,) = OutboxTask.objects.filter(task_name="core.events.deliver_events")
    assert task.sent_at
    assert [(m["name"], m["args"]) for m in published] == [
        ("core.events.deliver_events", [[e.pk for e in recorded], MANY])
    ]
