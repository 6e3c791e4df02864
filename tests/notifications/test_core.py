"""Telling people (notifications.services.notify, notifications.sending): one notice per person per
event whatever their roles or subscribers, a burst on one permit gathered into one message, an
event that makes an unsent one untrue supersedes it, choices honoured except for what cannot be
turned off, one-time links not kept, and a failed send tried again and then given up."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from core.events import event_record
from notifications import sending
from notifications.catalogue import APPLICANT, BUSINESS_MANAGE, CONTACT, Channel, Group, Timing
from notifications.models import Message, MessageState, Notice, Preference
from notifications.sending import MAX_ATTEMPTS, SENT_LINK_NOTE, message_send, send_due_messages
from notifications.services import Recipient, next_digest_time, notify
from permits.models import PermitStatus
from tests.factories import InspectionFactory, PermitFactory, UserFactory

pytestmark = pytest.mark.django_db

CONTEXT = {"what": "finaled", "note": "", "url": "http://127.0.0.1:8000/permits/x/"}


def finaled(permit):
    return event_record("permit.finaled", subject=permit)


def tell(event, to, permit=None, **extra):
    return notify(
        event,
        to=to,
        template="permit_status_changed",
        context={**CONTEXT, "permit": permit or event.subject, **extra},
        permit=permit or event.subject,
    )


def test_a_person_in_three_roles_gets_one_message():
    permit = PermitFactory()
    user = UserFactory(email="pat@example.com")
    roles = [
        Recipient("pat@example.com", user.pk, "Pat", frozenset({APPLICANT})),
        Recipient("PAT@example.com", None, "", frozenset({CONTACT})),
        user,
    ]
    tell(finaled(permit), roles)
    assert [m.to for m in mail.outbox] == [["pat@example.com"]]
    notice = Notice.objects.get()
    assert notice.recipient == f"user:{user.pk}" and notice.roles == "applicant,contact"


def test_two_subscribers_of_one_event_tell_a_person_once():
    permit = PermitFactory()
    user = UserFactory()
    event = finaled(permit)
    tell(event, [user])
    tell(event, [user.email])  # another subscriber, the same person by address
    assert len(mail.outbox) == 1 and Notice.objects.count() == 1


def test_a_burst_on_one_permit_is_one_message_listing_each(settings):
    settings.NOTIFY_GATHER_SECONDS = 120
    permit = PermitFactory(number="BLD26-0042")
    user = UserFactory()
    tell(finaled(permit), [user])
    tell(event_record("permit.expired", subject=permit), [user], what="expired")
    assert mail.outbox == []  # still gathering
    message = Message.objects.get(channel=Channel.EMAIL)
    assert message.key == f"permit:{permit.pk}" and message.notices.count() == 2
    assert send_due_messages(now=timezone.now() + timedelta(seconds=60)) == 0
    assert send_due_messages(now=timezone.now() + timedelta(seconds=121)) == 1
    (email,) = mail.outbox
    assert f"2 updates on permit BLD26-0042, {permit.address}" in email.subject
    assert "passed its final inspection" in email.body and "expired" in email.body
    message.refresh_from_db()
    assert message.state == MessageState.SENT and message.sent_at is not None


def test_a_cancelled_inspection_supersedes_its_unsent_confirmation(settings):
    settings.NOTIFY_GATHER_SECONDS = 120
    inspection = InspectionFactory()
    user = UserFactory()

    def told(event_type, template):
        notify(
            event_record(event_type, subject=inspection, about=[inspection.permit], how="online"),
            to=[user],
            template=template,
            context={"inspection": inspection, "url": "/x/", "reason": "not ready"},
            permit=inspection.permit,
        )

    told("inspection.requested", "inspection_confirmation")
    told("inspection.cancelled", "inspection_cancelled")
    requested, cancelled = Notice.objects.order_by("pk")
    assert requested.superseded_by == cancelled
    send_due_messages(now=timezone.now() + timedelta(minutes=3))
    (email,) = mail.outbox
    assert email.subject == cancelled.subject  # only what is still true
    # In the portal, both stay listed: the history of what was said.
    assert Notice.objects.filter(user=user, in_portal=True).count() == 2


def test_email_off_sends_none_but_the_portal_keeps_it():
    permit = PermitFactory()
    user = UserFactory()
    Preference.objects.create(
        user=user, group=Group.PERMITS, channel=Channel.EMAIL, timing=Timing.OFF
    )
    tell(finaled(permit), [user])
    assert mail.outbox == []
    assert Notice.objects.get().in_portal and not Message.objects.exists()


def test_everything_off_is_not_told_at_all():
    permit = PermitFactory()
    user = UserFactory()
    for channel in (Channel.EMAIL, Channel.PORTAL):
        Preference.objects.create(
            user=user, group=Group.PERMITS, channel=channel, timing=Timing.OFF
        )
    tell(finaled(permit), [user])
    assert not Notice.objects.exists() and mail.outbox == []


def test_a_receipt_cannot_be_turned_off():
    user = UserFactory()
    Preference.objects.create(user=user, group=Group.FEES, channel=Channel.EMAIL, timing="off")
    permit = PermitFactory()
    event = event_record("payment.completed", subject=permit)
    notify(event, to=[user], template="permit_status_changed", context=CONTEXT | {"permit": permit})
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert Message.objects.get().key == f"event:{event.pk}"


def test_the_digest_waits_for_its_hour(settings):
    settings.NOTIFY_DIGEST_HOUR = 7
    permit = PermitFactory()
    user = UserFactory()
    Preference.objects.create(
        user=user, group=Group.PERMITS, channel=Channel.EMAIL, timing=Timing.DIGEST
    )
    tell(finaled(permit), [user])
    tell(finaled(PermitFactory()), [user])
    message = Message.objects.get()
    assert message.key == "digest" and mail.outbox == []
    assert timezone.localtime(message.send_after).hour == 7
    send_due_messages(now=message.send_after)
    (email,) = mail.outbox
    assert "Your daily summary: 2 updates" in email.subject


def test_the_next_digest_is_today_before_its_hour_and_tomorrow_after(settings):
    settings.NOTIFY_DIGEST_HOUR = 7
    morning = timezone.make_aware(timezone.datetime(2026, 12, 7, 6, 0))
    evening = timezone.make_aware(timezone.datetime(2026, 12, 7, 8, 0))
    assert timezone.localtime(next_digest_time(morning)).day == 7
    assert timezone.localtime(next_digest_time(evening)).day == 8


def test_a_one_time_link_is_not_kept_once_sent():
    user = UserFactory()
    event = event_record("account.authenticator_link_sent", subject=user)
    notify(
        event,
        to=[user],
        template="permit_status_changed",
        context=CONTEXT | {"permit": PermitFactory(), "note": "https://secret.example/link"},
    )
    assert "https://secret.example/link" in mail.outbox[0].body
    notice = Notice.objects.get()
    assert notice.text == SENT_LINK_NOTE and notice.html == ""


def test_a_failed_send_is_tried_again_later_then_given_up(monkeypatch, settings):
    settings.NOTIFY_GATHER_SECONDS = 0
    permit = PermitFactory()
    user = UserFactory()

    def down(message, notices):
        raise OSError("mail server away")

    monkeypatch.setitem(sending._senders, Channel.EMAIL, down)
    with pytest.raises(OSError):
        tell(finaled(permit), [user])
    message = Message.objects.get()
    assert message.state == MessageState.OPEN and message.attempts == 1
    assert message.send_after > timezone.now() + timedelta(seconds=25)
    for _ in range(MAX_ATTEMPTS):
        send_due_messages(now=timezone.now() + timedelta(days=1))
    message.refresh_from_db()
    assert message.state == MessageState.FAILED and message.attempts == MAX_ATTEMPTS


def test_a_message_is_sent_once_even_when_asked_twice():
    permit = PermitFactory()
    user = UserFactory()
    tell(finaled(permit), [user])
    message = Message.objects.get()
    assert message_send(message_id=message.pk) is False
    assert len(mail.outbox) == 1


def test_a_manager_of_the_business_hears_a_permit_finaled(django_capture_on_commit_callbacks):
    from tests.factories import LicenseFactory, MembershipFactory

    permit = PermitFactory(status=PermitStatus.ISSUED)
    license = LicenseFactory()
    manager = UserFactory(email="boss@example.com")
    MembershipFactory(user=manager, contractor=license.holder, can_manage=True)
    from permits.models import PermitLicense

    PermitLicense.objects.get_or_create(permit=permit, license=license)
    with django_capture_on_commit_callbacks(execute=True):
        permit.move_to(PermitStatus.FINALED, by=None, note="")
    assert "boss@example.com" in [m.to[0] for m in mail.outbox]
    notice = Notice.objects.get(user=manager)
    assert BUSINESS_MANAGE in notice.roles


def test_a_permit_issued_without_an_online_application_is_told_to_its_business(
    django_capture_on_commit_callbacks,
):
    """From the newcomer walk: a permit of the city's history paid and issued told nobody."""
    from permits.models import PermitLicense
    from tests.factories import LicenseFactory, MembershipFactory

    permit = PermitFactory(status=PermitStatus.READY_TO_ISSUE)
    license = LicenseFactory()
    PermitLicense.objects.get_or_create(permit=permit, license=license)
    manager = UserFactory(email="boss@example.com")
    MembershipFactory(user=manager, contractor=license.holder, can_manage=True)
    with django_capture_on_commit_callbacks(execute=True):
        permit.move_to(PermitStatus.ISSUED, by=None, note="Fees paid")
    (email,) = [m for m in mail.outbox if m.to == ["boss@example.com"]]
    assert f"Permit {permit.number} is issued" in email.subject


def test_what_is_on_no_permit_goes_at_once_even_while_bursts_gather(settings):
    settings.NOTIFY_GATHER_SECONDS = 120
    user = UserFactory()
    notify(
        event_record("account.registered", subject=user),
        to=[user],
        template="registration_received",
        context={"user": user, "links": [], "account_url": "/accounts/"},
    )
    assert [m.to for m in mail.outbox] == [[user.email]]
