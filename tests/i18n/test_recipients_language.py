"""Issue 25, requirements 5 and 8: what leaves the portal is in its recipient's language, the
emails Celery's tasks send (no request) as much as those a page sends. The words a person reads
in them are translated in later passes; the subject's prefix, on every email, already is, and
proves which language was active when each was written."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from core.mail import subject_prefix, without_subject_prefix
from notifications import sending, tasks
from notifications.models import Notice
from permits.models import PermitStatus
from portal.celery import app
from tests.factories import LicenseFactory, PermitFactory, UserFactory, contractor_user

pytestmark = pytest.mark.django_db

ENGLISH = "[City of Springfield Permit Portal] "
FRENCH = "[City of Springfield – Portail des permis] "


def test_the_subject_prefix_is_written_in_the_active_language():
    with translation.override("en"):
        assert subject_prefix() == ENGLISH
    with translation.override("fr-ca"):
        assert subject_prefix() == FRENCH
    # Inside the portal, a subject is shown without it, whichever language it was written in.
    assert without_subject_prefix(FRENCH + "Permis délivré") == "Permis délivré"
    assert without_subject_prefix(ENGLISH + "Permit issued") == "Permit issued"


@pytest.fixture
def people():
    """A business with two managers, one reading French, one English, and two of its permits
    expiring in 30 days."""
    license = LicenseFactory()
    french = contractor_user(license, username="francine", can_manage=True)
    english = contractor_user(license, username="edward", can_manage=True)
    french.language, english.language = "fr-ca", "en"
    french.save(update_fields=["language"])
    english.save(update_fields=["language"])
    today = timezone.localdate()
    for _ in range(2):
        PermitFactory(
            licenses=[license],
            status=PermitStatus.ISSUED,
            issued_on=today - datetime.timedelta(days=150),
            expires_on=today + datetime.timedelta(days=30),
        )
    return french, english


def subjects_to(user) -> list[str]:
    return [message.subject for message in mail.outbox if user.email in message.to]


@pytest.mark.parametrize("active", ["en", "fr-ca"])
def test_a_reminder_from_beat_is_written_to_each_person_in_their_language(
    people, django_capture_on_commit_callbacks, active
):
    """Celery beat's reminder task, with either language active in the worker's thread (an
    eager task runs in whatever request started it): each manager's notices and the morning's
    email that gathers them are in that manager's language."""
    french, english = people
    with translation.override(active), django_capture_on_commit_callbacks(execute=True):
        assert tasks.remind_permits_expiring.delay().get() == 2
    notices = {user: Notice.objects.filter(user=user) for user in people}
    assert notices[french].count() == notices[english].count() == 2
    assert all(notice.subject.startswith(FRENCH) for notice in notices[french])
    assert all(notice.subject.startswith(ENGLISH) for notice in notices[english])
    with translation.override(active):
        tasks.send_due_messages.delay()  # nothing due before the digest hour
        sending.send_due_messages(now=timezone.now() + datetime.timedelta(days=2))
    assert [subject[: len(FRENCH)] for subject in subjects_to(french)] == [FRENCH]
    assert [subject[: len(ENGLISH)] for subject in subjects_to(english)] == [ENGLISH]


def test_every_channel_sends_each_message_in_its_person_s_language(people, monkeypatch):
    """Whatever the channel (email, text), its sender runs with the person's language active
    (here a stand-in for the email sender; a text's blocker would want a verified number)."""
    french, english = people
    from notifications.catalogue import Channel
    from notifications.models import Message

    heard = {}

    def sender(message, notices):
        heard[message.user_id] = translation.get_language()
        return ""

    monkeypatch.setitem(sending._senders, Channel.EMAIL, sender)
    now = timezone.now()
    for user in people:
        notice = Notice.objects.create(
            event=_an_event(), recipient=f"user:{user.pk}", user=user, email=user.email
        )
        message = Message.objects.create(
            channel=Channel.EMAIL,
            recipient=f"user:{user.pk}",
            key=f"event:{user.pk}",
            user=user,
            address=user.email,
            send_after=now,
        )
        message.notices.add(notice)
    with translation.override("en"):
        sending.send_due_messages(now=now + datetime.timedelta(minutes=1))
    assert heard == {french.pk: "fr-ca", english.pk: "en"}


def _an_event():
    from core.events import event_record

    return event_record("account.registered", subject=UserFactory(), actor=None)


def test_a_task_runs_in_the_portal_s_language_whatever_request_ran_it():
    @app.task(name="tests.i18n.language_probe")
    def language_probe() -> str:
        return translation.get_language()

    with translation.override("fr-ca"):
        assert language_probe.delay().get() == "en"
        assert translation.get_language() == "fr-ca"  # and the request's is back after it


def reset_link_subjects(client, capture, address: str, browser: str) -> list[str]:
    before = len(mail.outbox)
    with capture(execute=True):
        client.post(
            reverse("account_reset_password"), {"email": address}, HTTP_ACCEPT_LANGUAGE=browser
        )
    return [message.subject for message in mail.outbox[before:]]


def test_a_password_reset_link_is_written_in_the_account_s_language(
    client, django_capture_on_commit_callbacks
):
    """allauth's own email (accounts.adapter): the account's language, not the page's."""
    UserFactory(username="sparky", email="sparky@example.com", language="fr-ca")
    subjects = reset_link_subjects(
        client, django_capture_on_commit_callbacks, "Sparky@example.com", "en-US"
    )
    assert [subject[: len(FRENCH)] for subject in subjects] == [FRENCH]


def test_a_reset_link_for_an_address_with_no_account_is_in_the_page_s_language(
    client, django_capture_on_commit_callbacks
):
    subjects = reset_link_subjects(
        client, django_capture_on_commit_callbacks, "nobody@example.com", "fr-CA"
    )
    assert [subject[: len(FRENCH)] for subject in subjects] == [FRENCH]
