"""Two events on one permit at once (two requests, two workers) join one message: the partial
unique constraint lets one open message exist per person, channel and key, and the second
insert finds the first's (PostgreSQL, with a control: without the constraint's retry there
would be two)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from core.events import event_record
from notifications.models import Message
from notifications.sending import send_due_messages
from notifications.services import notify
from permits.models import Permit
from tests.factories import PermitFactory, UserFactory
from tests.threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_events_at_once_on_one_permit_give_one_gathered_message(settings):
    settings.NOTIFY_GATHER_SECONDS = 120
    permit = PermitFactory()
    user = UserFactory()

    def event_and_tell(index: int) -> int:
        with transaction.atomic():
            event = event_record(
                "permit.finaled" if index == 0 else "permit.expired", subject=permit
            )
        notify(
            event,
            to=[user],
            template="permit_status_changed",
            context={
                "permit": Permit.objects.get(pk=permit.pk),
                "what": event.type.removeprefix("permit."),
                "url": "/x/",
            },
            permit=permit,
        )
        return event.pk

    results = run_at_once(2, event_and_tell)
    assert all(isinstance(result, int) for result in results), results
    message = Message.objects.get()
    assert message.notices.count() == 2
    send_due_messages(now=timezone.now() + timedelta(minutes=3))
    (email,) = mail.outbox
    assert "2 updates on permit" in email.subject
