"""`notify_many` (notifications.telling): the notices and messages `notify` makes one event at a
time, for a batch at once, and the same when a delivery running at the same moment told some of
them, or opened a message they join, before the batch wrote its own."""

import datetime

import pytest
from django.utils import timezone

from core.events import event_record
from notifications import telling
from notifications.models import Message, MessageState, Notice
from notifications.services import notify
from notifications.telling import Telling, notify_many
from permits.models import PermitContact, PermitStatus
from tests.factories import LicenseFactory, PermitFactory, UserFactory, contractor_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def night():
    """Three permits of one business expiring: each with a contact of its own, and the
    business's manager on all three."""
    license = LicenseFactory()
    manager = contractor_user(license, username="manager", can_manage=True)
    today = timezone.localdate()
    permits, contacts = [], []
    for n in range(3):
        permit = PermitFactory(
            licenses=[license],
            status=PermitStatus.ISSUED,
            expires_on=today + datetime.timedelta(days=30),
        )
        contact = UserFactory(username=f"contact{n}")
        PermitContact.objects.create(permit=permit, user=contact, contact_type="contact")
        permits.append(permit)
        contacts.append(contact)
    return manager, permits, contacts


def tellings(manager, permits, contacts) -> list[Telling]:
    return [
        Telling(
            event_record(
                "permit.expiring", subject=permit, expires_on=str(permit.expires_on), days=30
            ),
            to=[manager, contact],
            permit=permit,
            template="permit_expiring",
            context={"permit": permit, "days_left": 30, "url": f"/permits/{permit.number}/"},
        )
        for permit, contact in zip(permits, contacts, strict=True)
    ]


def told() -> list[tuple[str, int, int]]:
    """Each notice (its recipient, event) and how many messages hold it."""
    return sorted(
        (notice.recipient, notice.event_id, notice.messages.count())
        for notice in Notice.objects.all()
    )


def gathered() -> dict[str, int]:
    """Each person's open email message and how many notices it gathers."""
    return {
        message.recipient: message.notices.count()
        for message in Message.objects.filter(state=MessageState.OPEN, channel="email")
    }


def test_a_batch_is_told_as_notify_tells_each(night):
    manager, permits, contacts = night
    batch = tellings(manager, permits, contacts)
    notify_many(batch)
    assert len(told()) == 6 and all(messages == 1 for *_, messages in told())
    assert gathered() == {
        f"user:{manager.pk}": 3,
        **{f"user:{contact.pk}": 1 for contact in contacts},
    }
    # The same batch again (a retried delivery): nobody told twice.
    notify_many(batch)
    assert len(told()) == 6


def test_a_notice_a_delivery_made_meanwhile_sends_the_batch_one_by_one(night, monkeypatch):
    """Another delivery told the manager of the first permit after the batch looked: its
    insert fails on the one-notice-per-person constraint, and the batch is told one by one,
    which leaves that notice as it was."""
    manager, permits, contacts = night
    batch = tellings(manager, permits, contacts)
    notify(
        batch[0].event,
        to=[manager],
        permit=permits[0],
        template="permit_expiring",
        context=batch[0].context,
    )
    monkeypatch.setattr(telling, "_told_before", lambda tellings, people: set())
    notify_many(batch)
    assert len(told()) == 6 and all(messages == 1 for *_, messages in told())
    assert gathered()[f"user:{manager.pk}"] == 3


def test_a_message_a_delivery_opened_meanwhile_gathers_the_batch_s_notices(night, monkeypatch):
    """Another delivery opened the manager's message for the night after the batch looked for
    it: the batch's new message fails on the one-open-message constraint, and each notice joins
    the message that is open."""
    manager, permits, contacts = night
    batch = tellings(manager, permits, contacts)
    notify_many(batch[:1])
    monkeypatch.setattr(telling, "_open_messages", lambda wanted: {})
    notify_many(batch[1:])
    assert len(told()) == 6 and all(messages == 1 for *_, messages in told())
    assert gathered()[f"user:{manager.pk}"] == 3
    assert Message.objects.filter(recipient=f"user:{manager.pk}").count() == 1
