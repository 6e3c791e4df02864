"""Issue 24, requirement 7: reminders from Celery beat, each sent once per threshold and safe
across restarts (notifications.reminders): a permit expiring in 30 and 7 days, an issued permit
with no inspection for 150 days, a license expiring in 60 and 30 days, a trust account under its
Manager's alert (once per crossing), a draft about to lapse. One person's reminders of one kind
on one day are one message: the contractor with many permits expiring gets one email."""

import datetime
import threading
import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from core.events import event_deliver
from core.models import Event
from inspections.models import InspectionStatus
from licenses.models import LicenseStatus
from notifications import reminders, sending, tasks
from notifications.models import Message, Notice, Reminder
from payments.models import CartLine, EntryKind, TrustAccount, TrustEntry
from permits.models import PermitContact, PermitStatus
from tests.factories import (
    FeeFactory,
    InspectionFactory,
    LicenseFactory,
    MembershipFactory,
    PermitFactory,
    UserFactory,
    contractor_user,
    set_status,
    verify_email,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def license(db):
    return LicenseFactory()


@pytest.fixture
def manager(license):
    return contractor_user(license, username="manager", can_manage=True)


def send_all():
    """The digest hour comes: every message gathered goes."""
    sending.send_due_messages(now=timezone.now() + 2 * DAY)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a job (or a change) as beat does: its events are heard after each batch's commit,
    then the morning's messages go (the test's days pass in one real moment: without sending
    in between, a later "day"'s reminders would join the earlier day's message)."""

    def run(job, *args, send=True, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            result = job(*args, **kwargs)
        if send:
            send_all()
        return result

    return run


def to(user) -> list:
    return [message for message in mail.outbox if user.email in message.to]


def issued(license, today, *, expires_in=None, issued_ago=30, **fields):
    fields.setdefault("status", PermitStatus.ISSUED)
    return PermitFactory(
        licenses=[license],
        issued_on=today - datetime.timedelta(days=issued_ago),
        expires_on=None if expires_in is None else today + datetime.timedelta(days=expires_in),
        **fields,
    )


def kinds() -> list[tuple[str, int, str]]:
    return sorted(Reminder.objects.values_list("kind", "object_id", "threshold"))


# Permits expiring ------------------------------------------------------------------------------


def test_a_permit_is_reminded_30_and_7_days_before_it_expires_each_once(
    run, license, manager, today
):
    permit = issued(license, today, expires_in=30)
    expires = permit.expires_on
    assert run(reminders.permits_expiring_remind, today=today) == 1
    # Beat again the same day, and the days after until the next threshold: nothing.
    for day in range(23):
        assert run(reminders.permits_expiring_remind, today=today + day * DAY) == 0
    assert run(reminders.permits_expiring_remind, today=expires - 7 * DAY) == 1
    assert run(reminders.permits_expiring_remind, today=expires - 7 * DAY) == 0
    assert run(reminders.permits_expiring_remind, today=expires - 2 * DAY) == 0
    assert kinds() == [
        ("permit.expiring", permit.pk, f"30 days before {expires:%Y-%m-%d}"),
        ("permit.expiring", permit.pk, f"7 days before {expires:%Y-%m-%d}"),
    ]
    assert Event.objects.filter(type="permit.expiring", object_id=permit.pk).count() == 2
    send_all()
    subjects = [message.subject for message in to(manager)]
    assert len(subjects) == 2, subjects
    assert all(f"Permit {permit.number} expires on" in subject for subject in subjects)


def test_a_permit_found_late_in_its_window_is_reminded_once_at_the_nearest_threshold(
    run, license, manager, today
):
    twenty = issued(license, today, expires_in=20)
    six = issued(license, today, expires_in=6)
    far = issued(license, today, expires_in=31)
    assert run(reminders.permits_expiring_remind, today=today) == 2
    assert kinds() == [
        ("permit.expiring", twenty.pk, f"30 days before {twenty.expires_on:%Y-%m-%d}"),
        ("permit.expiring", six.pk, f"7 days before {six.expires_on:%Y-%m-%d}"),
    ]
    assert not Reminder.objects.filter(object_id=far.pk).exists()


def test_a_crash_part_way_leaves_each_permit_reminded_once_after_the_restart(
    run, license, manager, today, monkeypatch
):
    """Batches of one: the job dies in its second batch (its transaction rolls back); the next
    run (a new call, as after a restart) records only what the first did not."""
    permits = [issued(license, today, expires_in=30) for _ in range(3)]
    real = reminders.events_record_many
    calls = []

    def dies_on_the_second_batch(specs):
        calls.append(specs)
        if len(calls) == 2:
            raise ConnectionError("the worker died")
        return real(specs)

    monkeypatch.setattr(reminders, "events_record_many", dies_on_the_second_batch)
    with pytest.raises(ConnectionError):
        run(reminders.permits_expiring_remind, today=today, batch=1)
    assert [r[1] for r in kinds()] == [permits[0].pk]
    monkeypatch.setattr(reminders, "events_record_many", real)
    assert run(reminders.permits_expiring_remind, today=today, batch=1) == 2
    assert sorted(r[1] for r in kinds()) == sorted(p.pk for p in permits)
    assert Event.objects.filter(type="permit.expiring").count() == 3
    send_all()
    (message,) = to(manager)
    assert "3 permits expire soon" in message.subject


def test_the_permits_people_hear_it_and_the_business_s_other_users_do_not(
    run, license, manager, today
):
    permit = issued(license, today, expires_in=30)
    payer = contractor_user(license, username="payer", can_pay=True)
    contact = UserFactory(username="contact")
    PermitContact.objects.create(permit=permit, user=contact, contact_type="contact")
    run(reminders.permits_expiring_remind, today=today)
    send_all()
    assert len(to(manager)) == 1 and len(to(contact)) == 1
    assert to(payer) == []
    body = to(contact)[0].body
    assert permit.number in body and permit.address in body
    assert f"/permits/{permit.number}/" in body  # the permit's page
    assert "request its final inspection" in body and "renew the permit" in body


def test_a_permit_renewed_or_ended_since_is_not_reminded_of_its_old_date(
    run, license, manager, today
):
    renewed = issued(license, today, expires_in=30)
    finaled = issued(license, today, expires_in=30)
    old_date = renewed.expires_on
    assert run(reminders.permits_expiring_remind, today=today) == 2
    send_all()
    mail.outbox.clear()
    # Expired and renewed: issued again for a new term from the day it was renewed.
    set_status(renewed, PermitStatus.EXPIRED)
    renewed.move_to(PermitStatus.ISSUED, on=old_date + DAY, note="Renewed")
    run(finaled.move_to, PermitStatus.FINALED)
    assert run(reminders.permits_expiring_remind, today=old_date - 7 * DAY) == 0
    # Its new date gets its own reminders.
    renewed.refresh_from_db()
    assert run(reminders.permits_expiring_remind, today=renewed.expires_on - 30 * DAY) == 1
    # A permit not issued yet, or expired, is never reminded.
    issued(license, today, expires_in=10, status=PermitStatus.READY_TO_ISSUE)
    issued(license, today, expires_in=10, status=PermitStatus.EXPIRED)
    assert run(reminders.permits_expiring_remind, today=today) == 0


def test_a_reminder_made_untrue_before_it_goes_is_not_sent(run, license, manager, today):
    """Recorded at night, sent at the digest hour: a permit finaled in between has its
    reminder dropped (permit.finaled supersedes it) and one renewed in between is told
    nothing (the subscriber checks the date)."""
    finaled = issued(license, today, expires_in=7)
    run(reminders.permits_expiring_remind, today=today, send=False)
    run(finaled.move_to, PermitStatus.FINALED)
    assert [m.subject for m in to(manager) if "expires on" in m.subject] == []
    assert any("finaled" in m.subject for m in to(manager))
    mail.outbox.clear()
    # Its date moved after the job and before its event was heard: nobody is told.
    moved = issued(license, today, expires_in=7)
    reminders.permits_expiring_remind(today=today)  # not heard yet (no commit in this test)
    event = Event.objects.get(type="permit.expiring", object_id=moved.pk)
    type(moved).objects.filter(pk=moved.pk).update(expires_on=today + 180 * DAY)
    event_deliver(
        event_id=event.pk,
        subscriber_name="notifications.subscribers.reminders.send_permit_expiring",
    )
    assert not Notice.objects.filter(event=event).exists()


def test_many_permits_of_one_contractor_are_one_email(run, license, manager, today):
    """The 50,000-permit contractor: a day's expiry reminders are one message per person,
    listing LISTED of them and saying how many more."""
    permits = [issued(license, today, expires_in=30) for _ in range(sending.LISTED + 12)]
    assert run(reminders.permits_expiring_remind, today=today, batch=20, send=False) == len(permits)
    message = Message.objects.get(user=manager, channel="email")
    day = timezone.localdate(message.send_after)
    assert message.key == f"daily:permit.expiring:{day:%Y-%m-%d}"
    assert timezone.localtime(message.send_after).hour == 7  # the digest hour
    assert Notice.objects.filter(user=manager, in_portal=True).count() == len(permits)
    send_all()
    (email,) = to(manager)
    assert f"{len(permits)} permits expire soon" in email.subject
    listed = [p for p in permits if p.number in email.body]
    assert len(listed) == sending.LISTED
    assert "And 12 more: each is on your Notifications page" in email.body
    assert "/my-records/?status=issued" in email.body
    # Each line is the permit's own subject, without the portal's prefix each time.
    assert email.body.count("[City of Springfield Permit Portal]") == 0
    html = email.alternatives[0][0]
    assert html.count("<li>") == sending.LISTED


def test_a_night_s_reminders_are_told_in_the_same_queries_however_many(
    today, django_capture_on_commit_callbacks
):
    """From the newcomer walk's measurement: heard one event at a time, each reminder cost its
    delivery some thirty queries (and 75 ms on PostgreSQL), so the 50,000-permit contractor's
    night took a worker an hour. A job's batch is heard in one delivery and told through
    `notify_many`: the queries are the batch's, not each reminder's."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def told(count: int) -> tuple[int, int]:
        license = LicenseFactory()
        contractor_user(license, can_manage=True)
        permits = [issued(license, today, expires_in=30) for _ in range(count)]
        for permit in permits:
            PermitContact.objects.create(permit=permit, user=UserFactory(), contact_type="contact")
        with django_capture_on_commit_callbacks(execute=False) as heard:
            assert reminders.permits_expiring_remind(today=today) == count
        with CaptureQueriesContext(connection) as queries:
            for callback in heard:
                callback()
        # Each permit's contact and the business's manager: told of every one, once.
        assert Notice.objects.filter(permit__in=permits).count() == 2 * count
        assert Message.objects.filter(notices__permit__in=permits).distinct().count() == count + 1
        return len(heard), len(queries)

    # One delivery, the same queries (25: SQLite inserts the 50 notices in one statement).
    assert told(2) == told(25)
    (deliveries, queries) = told(3)
    assert deliveries == 1 and queries < 40


def test_a_person_on_the_daily_digest_gets_reminders_in_it(run, license, manager, today):
    from notifications.services import preferences_save

    preferences_save(user=manager, choices={("permits", "email"): "digest"})
    issued(license, today, expires_in=30)
    issued(license, today, expires_in=30)
    run(reminders.permits_expiring_remind, today=today, send=False)
    assert Message.objects.get(user=manager, channel="email").key == "digest"


# Permits with no inspection --------------------------------------------------------------------


def test_an_issued_permit_with_no_inspection_for_150_days_is_reminded_once(
    run, license, manager, today, settings
):
    settings.PERMIT_INACTIVITY_REMINDER_DAYS = 150
    settings.PERMIT_EXPIRY_DAYS = 180
    inspector_user = contractor_user(license, username="field", can_inspect=True)
    # Imported with the city's own long term: inactivity, not expiry, comes first.
    quiet = issued(license, today, issued_ago=150, expires_in=400)
    inspected = issued(license, today, issued_ago=300, expires_in=400)
    done = InspectionFactory(permit=inspected, status=InspectionStatus.COMPLETED)
    type(done).objects.filter(pk=done.pk).update(
        completed_on=today - 151 * DAY, created_at=timezone.now() - 160 * DAY
    )
    recent = issued(license, today, issued_ago=300, expires_in=400)
    InspectionFactory(permit=recent, status=InspectionStatus.COMPLETED, completed_on=today)
    waiting = issued(license, today, issued_ago=300, expires_in=400)
    InspectionFactory(permit=waiting)  # requested long ago, still scheduled: the city's turn
    waiting.inspections.update(created_at=timezone.now() - 200 * DAY)
    # The portal's own term (issued + 180): its expiry reminders say it first.
    own_term = issued(license, today, issued_ago=150, expires_in=30)
    lapsed = issued(license, today, issued_ago=181, expires_in=400)

    assert run(reminders.permits_inactive_remind, today=today) == 2
    assert run(reminders.permits_inactive_remind, today=today + DAY) == 0
    assert kinds() == [
        ("permit.inactive", quiet.pk, f"150 days after {quiet.issued_on:%Y-%m-%d}"),
        ("permit.inactive", inspected.pk, f"150 days after {today - 151 * DAY:%Y-%m-%d}"),
    ]
    for permit in (recent, waiting, own_term, lapsed):
        assert not Reminder.objects.filter(object_id=permit.pk).exists()
    send_all()
    (email,) = to(inspector_user)  # the business's Inspections users hear it too
    assert "2 permits need an inspection to stay valid" in email.subject
    mail.outbox.clear()
    # A permit inspected since is reminded again only after another quiet spell (as is the
    # one last inspected today).
    InspectionFactory(permit=quiet, status=InspectionStatus.COMPLETED, completed_on=today)
    assert run(reminders.permits_inactive_remind, today=today + 10 * DAY) == 0
    assert run(reminders.permits_inactive_remind, today=today + 150 * DAY) == 2
    assert Reminder.objects.filter(object_id=quiet.pk).count() == 2


def test_the_inactivity_reminder_says_when_the_permit_lapses(run, license, manager, today):
    permit = issued(license, today, issued_ago=150, expires_in=400)
    run(reminders.permits_inactive_remind, today=today)
    send_all()
    (email,) = to(manager)
    lapses = permit.issued_on + 180 * DAY
    assert f"lapses on {lapses:%B} {lapses.day}, {lapses.year}" in email.subject
    assert "since it was issued on" in email.body
    assert f"/inspections/request/{permit.number}/" in email.body


# Licenses expiring -----------------------------------------------------------------------------


def test_a_license_is_reminded_60_and_30_days_before_to_its_users_and_managers(
    run, license, manager, today
):
    linked = contractor_user(license, username="linked")  # linked, no role at the business
    boss = UserFactory(username="boss")  # a manager of the business, not linked to the license
    verify_email(boss)
    MembershipFactory(user=boss, contractor=license.holder, can_manage=True)
    stranger = contractor_user(LicenseFactory(), username="stranger", can_manage=True)
    license.expires_on = today + 60 * DAY
    license.save()
    assert run(reminders.licenses_expiring_remind, today=today) == 1
    assert run(reminders.licenses_expiring_remind, today=today) == 0
    assert run(reminders.licenses_expiring_remind, today=today + 29 * DAY) == 0
    assert run(reminders.licenses_expiring_remind, today=today + 30 * DAY) == 1
    assert run(reminders.licenses_expiring_remind, today=today + 31 * DAY) == 0
    send_all()
    assert len(to(linked)) == 2 and len(to(manager)) == 2 and len(to(boss)) == 2
    assert to(stranger) == []
    assert f"License {license.number} expires on" in to(linked)[0].subject
    assert "/account/" in to(linked)[0].body
    # A manager not linked to it finds it on the business's page.
    assert f"/businesses/{license.holder_id}/" in to(boss)[0].body
    # A license no longer active is not reminded.
    other = LicenseFactory(status=LicenseStatus.SUSPENDED, expires_on=today + 30 * DAY)
    assert run(reminders.licenses_expiring_remind, today=today) == 0
    assert not Reminder.objects.filter(object_id=other.pk).exists()


# Trust accounts ---------------------------------------------------------------------------------


def entry(account, amount: str) -> None:
    TrustEntry.objects.create(
        account=account, kind=EntryKind.ADJUSTMENT, amount=Decimal(amount), reference="Test"
    )


def test_a_trust_account_under_its_alert_is_reminded_once_per_crossing(
    run, license, manager, today
):
    account = TrustAccount.objects.create(
        contractor=license.holder, low_balance_threshold=Decimal("100.00")
    )
    entry(account, "50.00")
    assert run(reminders.trust_accounts_below_alert_remind, today=today) == 1
    # Sitting under it: not told again, day after day.
    for day in range(1, 5):
        assert run(reminders.trust_accounts_below_alert_remind, today=today + day * DAY) == 0
    send_all()
    (email,) = to(manager)
    assert "Trust account below your alert" in email.subject and "$50.00" in email.body
    # Back above, then under again: a second crossing, told once.
    entry(account, "200.00")
    assert run(reminders.trust_accounts_below_alert_remind, today=today + 5 * DAY) == 0
    assert Reminder.objects.get().cleared_on == today + 5 * DAY
    entry(account, "-200.00")
    assert run(reminders.trust_accounts_below_alert_remind, today=today + 6 * DAY) == 1
    assert run(reminders.trust_accounts_below_alert_remind, today=today + 7 * DAY) == 0
    assert Reminder.objects.filter(cleared_on__isnull=True).count() == 1
    # No alert set: nothing.
    account.low_balance_threshold = None
    account.save()
    assert run(reminders.trust_accounts_below_alert_remind, today=today + 8 * DAY) == 0


def test_a_payment_that_crossed_the_alert_is_that_crossing_s_reminder(
    run, license, manager, today, django_capture_on_commit_callbacks
):
    from payments.services.trust import trust_pay

    account = TrustAccount.objects.create(
        contractor=license.holder, low_balance_threshold=Decimal("100.00")
    )
    entry(account, "150.00")
    fee = FeeFactory(permit=issued(license, today), amount=Decimal("125.00"))
    CartLine.objects.create(user=manager, fee=fee)
    with django_capture_on_commit_callbacks(execute=True):
        trust_pay(user=manager, account=account, key=uuid.uuid4())
    assert [m.subject for m in to(manager) if "Trust account low" in m.subject]
    assert run(reminders.trust_accounts_below_alert_remind, today=today) == 0
    assert not Event.objects.filter(type="trust.below_threshold").exists()


# Drafts ------------------------------------------------------------------------------------------


def test_a_draft_reminder_is_in_the_reminders_table(run, license, today):
    from applications import services
    from tests.applications.conftest import make_form

    applicant = contractor_user(license, username="applicant", can_apply=True)
    application = services.application_start(template=make_form(), applicant=applicant)
    lapse = application.expires_on
    assert run(services.application_drafts_expire, today=lapse - 5 * DAY) == (1, 0)
    assert kinds() == [
        ("application.draft_lapsing", application.pk, f"5 days before {lapse:%Y-%m-%d}")
    ]


# Beat ------------------------------------------------------------------------------------------


def test_beat_runs_each_reminder_job_daily(settings):
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in (
        "remind_permits_expiring",
        "remind_permits_inactive",
        "remind_licenses_expiring",
        "remind_trust_accounts_below_alert",
    ):
        assert f"notifications.tasks.{name}" in scheduled
        assert callable(getattr(tasks, name))


def test_the_beat_tasks_call_the_jobs(run, license, manager, today):
    issued(license, today, expires_in=30)
    assert run(tasks.remind_permits_expiring) == 1
    assert run(tasks.remind_permits_expiring) == 0


# PostgreSQL: two runs at once ----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_record_each_reminder_once(monkeypatch):
    """Both runs read that nothing was reminded before either writes (a barrier after the
    read): the unique constraint stops the second, which reads again and records nothing.
    Without the constraint both would record every reminder."""
    from tests.threads import run_at_once

    today = timezone.localdate()
    license = LicenseFactory()
    contractor_user(license, username="manager", can_manage=True)
    permits = [issued(license, today, expires_in=30) for _ in range(5)]
    real = reminders.events_record_many
    barrier = threading.Barrier(2)
    read_nothing = []

    def after_both_read(specs):
        read_nothing.append(len(specs))
        barrier.wait(timeout=10)
        return real(specs)

    monkeypatch.setattr(reminders, "events_record_many", after_both_read)
    results = run_at_once(2, lambda n: reminders.permits_expiring_remind(today=today))
    assert read_nothing == [5, 5]  # both found all five unreminded
    # One recorded them; the other failed on the constraint, read again, found them told.
    assert all(isinstance(result, int) for result in results), results
    assert sorted(results) == [0, 5]
    assert Reminder.objects.count() == 5
    assert Event.objects.filter(type="permit.expiring").count() == 5
    assert sorted(Reminder.objects.values_list("object_id", flat=True)) == sorted(
        p.pk for p in permits
    )
