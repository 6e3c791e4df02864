"""An audit trail of who changed what, field by field, in admin and through the services,
append-only, with a viewer in admin (issue 12, requirement 3)."""

import pytest
from auditlog.models import LogEntry
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from portal.audit import AUDITED
from tests.factories import (
    InspectionFactory,
    LicenseFactory,
    MembershipFactory,
    PermitFactory,
    UserFactory,
)
from tests.portal.test_admin import admin_post_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_client(client):
    clerk = UserFactory(username="clerk1", is_staff=True, is_superuser=True)
    client.force_login(clerk)
    client.user = clerk
    return client


def entries_for(obj):
    return LogEntry.objects.get_for_object(obj).order_by("pk")


def test_every_record_the_issue_names_is_audited():
    from auditlog.registry import auditlog
    from django.apps import apps

    for label in AUDITED:
        assert auditlog.contains(apps.get_model(label)), label
    assert set(AUDITED) >= {
        "permits.Permit",
        "permits.Fee",
        "licenses.License",
        "licenses.LicenseLink",
        "licenses.Membership",
        "payments.Payment",
        "payments.TrustEntry",
        "inspections.Inspection",
    }


def test_a_clerks_edit_in_admin_is_recorded_field_by_field_with_the_clerk(clerk_client):
    permit = PermitFactory(description="Deck")
    url = reverse("admin:permits_permit_change", args=[permit.pk])
    data = admin_post_data(clerk_client.get(url))
    data.update(description="Deck and stairs")
    assert clerk_client.post(url, data).status_code == 302
    entry = entries_for(permit).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == clerk_client.user
    assert entry.changes_dict["description"] == ["Deck", "Deck and stairs"]


def test_a_change_through_a_service_is_recorded(clerk_client):
    from inspections.services import inspection_record_result

    inspection = InspectionFactory(scheduled_for=timezone.localdate())
    inspection_record_result(inspection=inspection, result="passed", by=clerk_client.user)
    entry = entries_for(inspection).filter(action=LogEntry.Action.UPDATE).last()
    assert entry.changes_dict["status"] == ["scheduled", "completed"]
    assert entry.changes_dict["result"][1] == "passed"


def test_a_change_of_roles_is_recorded():
    membership = MembershipFactory(contractor=LicenseFactory().holder)
    membership.can_pay = True
    membership.save()
    entry = entries_for(membership).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.changes_dict["can_pay"] == ["False", "True"]


def test_the_viewer_is_in_admin_and_nothing_there_deletes(clerk_client):
    permit = PermitFactory()
    entry = entries_for(permit).first()
    listing = clerk_client.get(reverse("admin:auditlog_logentry_changelist"))
    assert listing.status_code == 200
    assert permit.number in listing.text
    delete = clerk_client.get(reverse("admin:auditlog_logentry_delete", args=[entry.pk]))
    assert delete.status_code == 403


@pytest.mark.postgres
def test_the_log_is_append_only_in_the_database():
    permit = PermitFactory()
    entry = entries_for(permit).first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).update(changes_text="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).delete()
    assert LogEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.postgres
def test_a_staff_member_who_acted_can_be_deleted_and_the_log_keeps_their_address(clerk_client):
    """auditlog sets a deleted actor to NULL: the one UPDATE the trigger lets through, and the
    entry keeps the actor's email address. Any other change of that entry is still refused."""
    from django.contrib.auth import get_user_model

    actor = UserFactory(username="temp-clerk", email="temp@city.example", is_staff=True)
    permit = PermitFactory(description="Deck")
    from auditlog.context import set_actor

    with set_actor(actor):
        permit.description = "Deck and stairs"
        permit.save()
    entry = entries_for(permit).filter(actor=actor).get()
    response = clerk_client.post(
        reverse("admin:accounts_user_delete", args=[actor.pk]), {"post": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert not get_user_model().objects.filter(pk=actor.pk).exists()
    entry.refresh_from_db()
    assert entry.actor_id is None and entry.actor_email == "temp@city.example"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).update(actor_email="someone@else.example")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).update(actor=None, changes_text="forged")
