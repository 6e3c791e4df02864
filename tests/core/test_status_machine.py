"""The status machine: every stateful model moves only through move_to, which checks the move
against the database, applies the move's rules and records who, when and why."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command

from core.status import InvalidStatusMove, StatusChangedOutsideMachine
from inspections.models import InspectionStatus
from licenses.models import License, LicenseStatus
from permits.exceptions import FeeAmountHeld, FeeDetailsHeld
from permits.models import Fee, FeeStatus, Permit, PermitStatus
from permits.services import permits_expire
from tests.factories import (
    FeeFactory,
    InspectionFactory,
    LicenseFactory,
    PermitFactory,
    UserFactory,
    moves,
    set_status,
)

pytestmark = pytest.mark.django_db


def test_every_model_with_a_status_moves_it_through_the_machine():
    """Found by itself: every model with a status (a field of choices named status or outcome)
    is a StatusMachine whose table covers every status, unless its status is a copy of another
    model's (a denormalised index, kept by triggers), which must then be one."""
    from django.apps import apps

    from core.status import StatusMachine

    stateful, copies = [], []
    for model in apps.get_models():
        fields = [
            f for f in model._meta.concrete_fields if f.choices and f.name in {"status", "outcome"}
        ]
        if not fields:
            continue
        if hasattr(model, "STATUS_COPIED_FROM"):
            copies.append(model)
            assert issubclass(apps.get_model(model.STATUS_COPIED_FROM), StatusMachine), model
            continue
        stateful.append(model)
        assert issubclass(model, StatusMachine), model
        (field,) = fields
        assert field.name == model.STATUS_FIELD, model
        assert set(model.ALLOWED_MOVES) == {value for value, _ in field.choices}, model
    assert {m.__name__ for m in stateful} >= {
        "Permit",
        "Fee",
        "Inspection",
        "License",
        "LicenseLink",
        "Payment",
        "ApplicationTemplate",
        "Application",
        "Submission",
        "Review",
    }
    assert {m.__name__ for m in copies} == {
        "PermitLicense",
        "LicensePermitCount",
        "InspectionLicense",
    }


def test_saving_never_writes_a_status_changed_in_memory():
    permit = PermitFactory(status=PermitStatus.SUBMITTED)
    permit.status = PermitStatus.FINALED
    with pytest.raises(StatusChangedOutsideMachine):
        permit.save()
    with pytest.raises(StatusChangedOutsideMachine):
        Permit.objects.get(pk=permit.pk).save(update_fields=["status"])
    assert Permit.objects.get(pk=permit.pk).status == PermitStatus.SUBMITTED


def test_a_stale_copy_saved_later_keeps_the_move_made_meanwhile():
    permit = PermitFactory(status=PermitStatus.ISSUED, expires_on=datetime.date(2020, 1, 1))
    stale = Permit.objects.get(pk=permit.pk)
    permits_expire()
    stale.description = "Edited on a page opened before the expiry"
    stale.save()
    permit.refresh_from_db()
    assert permit.status == PermitStatus.EXPIRED
    assert permit.description == "Edited on a page opened before the expiry"


def test_a_move_starts_from_the_status_in_the_database_not_the_one_in_hand():
    permit = PermitFactory(status=PermitStatus.ISSUED)
    stale = Permit.objects.get(pk=permit.pk)
    permit.move_to(PermitStatus.FINALED)
    # Issued -> Cancelled is allowed, Finaled -> Cancelled is not.
    with pytest.raises(InvalidStatusMove, match="Finaled and cannot become Cancelled"):
        stale.move_to(PermitStatus.CANCELLED)
    assert Permit.objects.get(pk=permit.pk).status == PermitStatus.FINALED


def test_a_move_is_recorded_with_who_when_and_why():
    clerk = UserFactory(is_staff=True)
    license = LicenseFactory()
    license.move_to(LicenseStatus.SUSPENDED, by=clerk, note="Insurance lapsed")
    (change,) = moves(license)
    assert (change.from_status, change.to_status, change.changed_by, change.note) == (
        LicenseStatus.ACTIVE,
        LicenseStatus.SUSPENDED,
        clerk,
        "Insurance lapsed",
    )
    with pytest.raises(InvalidStatusMove):
        license.move_to(LicenseStatus.REVOKED)
        license.move_to(LicenseStatus.ACTIVE)  # revoked stays revoked


def test_issuing_sets_the_expiry_date_from_the_setting(settings):
    settings.PERMIT_EXPIRY_DAYS = 365
    permit = PermitFactory(status=PermitStatus.READY_TO_ISSUE, issued_on=None, expires_on=None)
    permit.move_to(PermitStatus.ISSUED, on=datetime.date(2026, 3, 2))
    permit.refresh_from_db()
    assert permit.issued_on == datetime.date(2026, 3, 2)
    assert permit.expires_on == datetime.date(2027, 3, 2)


def test_a_permit_with_fees_due_is_not_issued_unless_the_city_allows_it(settings):
    permit = PermitFactory(status=PermitStatus.READY_TO_ISSUE)
    FeeFactory(permit=permit, amount=Decimal("75.00"))
    with pytest.raises(InvalidStatusMove, match="has fees due"):
        permit.move_to(PermitStatus.ISSUED)
    assert Permit.objects.get(pk=permit.pk).status == PermitStatus.READY_TO_ISSUE
    settings.PERMIT_ISSUE_WITH_FEES_DUE = True
    permit.move_to(PermitStatus.ISSUED)
    assert Permit.objects.get(pk=permit.pk).status == PermitStatus.ISSUED


def test_a_fee_becomes_paid_only_through_a_payment():
    fee = FeeFactory()
    with pytest.raises(InvalidStatusMove, match="only through a payment"):
        fee.move_to(FeeStatus.PAID, note="paid at the counter")
    assert Fee.objects.get(pk=fee.pk).status == FeeStatus.DUE
    fee.move_to(FeeStatus.PAID, payment=object())
    with pytest.raises(InvalidStatusMove, match="refund its payment"):
        fee.move_to(FeeStatus.DUE)


def test_a_fee_is_waived_only_with_a_reason():
    fee = FeeFactory()
    with pytest.raises(InvalidStatusMove, match="Give the reason"):
        fee.move_to(FeeStatus.WAIVED, note="  ")
    fee.move_to(FeeStatus.WAIVED, note="Non-profit")
    assert Fee.objects.get(pk=fee.pk).status == FeeStatus.WAIVED


def test_a_fee_a_payment_holds_keeps_its_amount_from_any_path():
    from payments.models import Payment, PaymentLine

    fee = FeeFactory(amount=Decimal("100.00"))
    user = UserFactory()
    payment = Payment.objects.create(
        user=user, method="card", provider="stripe", fees_total=fee.amount, total=fee.amount
    )
    PaymentLine.objects.create(payment=payment, fee=fee, amount=fee.amount)
    fee = Fee.objects.get(pk=fee.pk)
    fee.amount = Decimal("1.00")
    with pytest.raises(FeeAmountHeld, match="Refund the payment first"):
        fee.save()
    fee.amount = Decimal("100.00")
    # Its description is what the payment is for too (issue 12, finding 4).
    fee.description = "Corrected description"
    with pytest.raises(FeeDetailsHeld, match="Refund the payment first"):
        fee.save()
    fee.description = Fee.objects.get(pk=fee.pk).description
    fee.assessed_on = fee.assessed_on - datetime.timedelta(days=1)
    fee.save()  # what the payment does not hold may change
    assert Fee.objects.get(pk=fee.pk).amount == Decimal("100.00")


def test_fees_are_protected_from_deleting_their_permit():
    from django.db.models import ProtectedError

    fee = FeeFactory()
    with pytest.raises(ProtectedError):
        fee.permit.delete()


def test_expiring_a_permit_cancels_its_scheduled_inspections_and_tells_the_requester(
    django_capture_on_commit_callbacks,
):
    requester = UserFactory(email="site@builder.example")
    permit = PermitFactory(status=PermitStatus.ISSUED, expires_on=datetime.date(2020, 1, 1))
    scheduled = InspectionFactory(permit=permit, requested_by=requester)
    done = InspectionFactory(permit=permit, requested_by=requester)
    set_status(done, InspectionStatus.COMPLETED)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("expire_permits", "--date", "2020-02-01")
    scheduled.refresh_from_db()
    done.refresh_from_db()
    assert scheduled.status == InspectionStatus.CANCELLED
    assert scheduled.result_comments == "Cancelled: the permit expired."
    assert done.status == InspectionStatus.COMPLETED
    assert [message.to for message in mail.outbox] == [["site@builder.example"]]
    assert "has been cancelled: the permit expired" in mail.outbox[0].body
    assert [move.to_status for move in moves(permit)] == ["expired"]


# The machine's own contract, move by move (issue 21: each of these was a surviving mutant) -----


def test_reachable_follows_chains_of_moves_not_just_one():
    # Submitted -> In Review -> Ready to Issue -> Issued -> Finaled: no single move, a chain.
    assert Permit.is_reachable(PermitStatus.SUBMITTED, PermitStatus.FINALED)
    assert Permit.is_reachable(PermitStatus.SUBMITTED, PermitStatus.IN_REVIEW)
    # Through a loop (In Review <-> Submitted) and out again.
    assert Permit.is_reachable(PermitStatus.IN_REVIEW, PermitStatus.EXPIRED)
    # Nothing leaves a final status, and nothing leads back to where a permit starts from there.
    assert not Permit.is_reachable(PermitStatus.FINALED, PermitStatus.ISSUED)
    assert not Permit.is_reachable(PermitStatus.CANCELLED, PermitStatus.SUBMITTED)
    assert not Permit.is_reachable(PermitStatus.ISSUED, PermitStatus.SUBMITTED)
    # Past a loop that does not pass through the start (Issued <-> Expired), the search ends.
    assert not Permit.is_reachable(PermitStatus.READY_TO_ISSUE, PermitStatus.SUBMITTED)
    # A status the table does not know leads nowhere.
    assert not Permit.is_reachable("archived", PermitStatus.ISSUED)


def test_a_status_the_table_does_not_list_allows_no_move():
    assert Permit.allowed_moves_from("archived") == frozenset()
    assert not Permit.is_allowed_move("archived", PermitStatus.ISSUED)


def test_staff_may_make_every_move_of_the_table_by_hand_unless_the_model_keeps_some():
    permit = PermitFactory(status=PermitStatus.ISSUED)
    assert permit.manual_moves_from(PermitStatus.ISSUED) == Permit.allowed_moves_from(
        PermitStatus.ISSUED
    )
    assert permit.manual_moves_from(PermitStatus.READY_TO_ISSUE) == {
        PermitStatus.ISSUED,
        PermitStatus.CANCELLED,
    }


def test_a_record_not_yet_saved_cannot_move():
    with pytest.raises(StatusChangedOutsideMachine, match=r"^Save the record before moving it\.$"):
        Permit(number="RES26-9999").move_to(PermitStatus.IN_REVIEW)


def test_the_refusal_names_the_record_and_both_statuses_by_their_labels():
    fee = FeeFactory(description="Plan review")
    fee.move_to(FeeStatus.WAIVED, note="Non-profit")
    with pytest.raises(InvalidStatusMove) as refused:
        fee.move_to(FeeStatus.PAID, payment=object())
    assert str(refused.value) == f"{fee.describe()} is Waived and cannot become Paid."
    # A status the field does not list is named as it is.
    assert fee.status_label("archived") == "archived"


def test_a_model_without_a_description_of_its_own_is_named_by_its_kind_and_itself():
    from core.status import StatusMachine

    license = LicenseFactory(number="EC10002")
    assert StatusMachine.describe(license) == f"License {license}"


def test_the_move_tells_its_rules_who_moves_it_why_and_from_where(monkeypatch):
    clerk = UserFactory(is_staff=True)
    permit = PermitFactory(status=PermitStatus.READY_TO_ISSUE)
    seen = {}
    original_apply = Permit.apply_move

    def check_move(self, previous, status, context):
        seen["check"] = (previous, status, context)

    def apply_move(self, previous, status, context):
        seen["apply"] = (previous, status, dict(context))
        return original_apply(self, previous, status, context)

    monkeypatch.setattr(Permit, "check_move", check_move)
    monkeypatch.setattr(Permit, "apply_move", apply_move)
    permit.move_to(PermitStatus.ISSUED, by=clerk, note="Counter", on=datetime.date(2026, 3, 2))
    assert seen["check"] == (
        PermitStatus.READY_TO_ISSUE,
        PermitStatus.ISSUED,
        {"on": datetime.date(2026, 3, 2), "by": clerk, "note": "Counter"},
    )
    assert seen["apply"] == (
        PermitStatus.READY_TO_ISSUE,
        PermitStatus.ISSUED,
        {"on": datetime.date(2026, 3, 2)},
    )


def test_apps_above_hear_every_move_with_who_why_and_what_the_caller_said():
    from core.status import status_moved

    clerk = UserFactory(is_staff=True)
    license = LicenseFactory()
    heard = []

    def receiver(sender, **kwargs):
        heard.append((sender, kwargs))

    status_moved.connect(receiver, weak=False)
    try:
        license.move_to(LicenseStatus.SUSPENDED, by=clerk, note="Insurance lapsed", source="audit")
        license.move_to(LicenseStatus.ACTIVE)
    finally:
        status_moved.disconnect(receiver)
    (sender, first), (_, second) = heard
    assert sender is License
    assert first["instance"] is license
    assert (first["previous"], first["status"]) == (LicenseStatus.ACTIVE, LicenseStatus.SUSPENDED)
    assert (first["by"], first["note"], first["context"]) == (
        clerk,
        "Insurance lapsed",
        {"source": "audit"},
    )
    # Without a note, the move is recorded and heard with none.
    assert (second["by"], second["note"], second["context"]) == (None, "", {})
    assert [move.note for move in moves(license)] == ["Insurance lapsed", ""]


def test_a_move_writes_its_status_and_the_fields_that_go_with_it_only():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    permit = PermitFactory(status=PermitStatus.READY_TO_ISSUE, description="As applied")
    with CaptureQueriesContext(connection) as queries:
        permit.move_to(PermitStatus.ISSUED, on=datetime.date(2026, 3, 2))
    (update,) = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "permits_permit"')]
    assert '"status"' in update and '"issued_on"' in update and '"expires_on"' in update
    assert '"updated_at"' in update
    assert '"description"' not in update


def test_a_move_stamps_the_record_as_updated():
    license = LicenseFactory()
    License.objects.filter(pk=license.pk).update(
        updated_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    license.move_to(LicenseStatus.SUSPENDED)
    assert License.objects.get(pk=license.pk).updated_at.year > 2020


def test_after_a_move_a_status_changed_in_memory_is_still_refused():
    permit = PermitFactory(status=PermitStatus.ISSUED)
    permit.move_to(PermitStatus.FINALED)
    permit.status = PermitStatus.ISSUED
    with pytest.raises(
        StatusChangedOutsideMachine, match=r"^Permit\.status changes only through move_to\(\)\.$"
    ):
        permit.save()
    # Read again, the status unchanged: asking to write it is refused all the same.
    with pytest.raises(
        StatusChangedOutsideMachine, match=r"^Permit\.status changes only through move_to\(\)\.$"
    ):
        Permit.objects.get(pk=permit.pk).save(update_fields=["status", "description"])
    assert Permit.objects.get(pk=permit.pk).status == PermitStatus.FINALED


def test_a_record_read_without_its_status_saves_its_other_fields():
    permit = PermitFactory(status=PermitStatus.ISSUED, description="Before")
    partial = Permit.objects.only("pk", "description").get(pk=permit.pk)
    partial.description = "After"
    partial.save()
    permit.refresh_from_db()
    assert (permit.description, permit.status) == ("After", PermitStatus.ISSUED)


def test_a_record_remembers_the_status_it_was_read_with():
    permit = PermitFactory(status=PermitStatus.ISSUED)
    read = Permit.objects.get(pk=permit.pk)
    Permit.objects.filter(pk=permit.pk).update(description="Changed elsewhere")
    read.status = PermitStatus.FINALED
    with pytest.raises(StatusChangedOutsideMachine):
        read.save()
    # Read again, the record is saved as it was read.
    again = Permit.objects.get(pk=permit.pk)
    again.description = "Mine"
    again.save()
    assert Permit.objects.get(pk=permit.pk).description == "Mine"


def _events_of(record):
    from django.contrib.contenttypes.models import ContentType

    from core.models import Event

    return Event.objects.filter(
        content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
    ).prefetch_related("links")


def _about(event) -> set[tuple[str, int]]:
    return {(link.content_type.model, link.object_id) for link in event.links.all()}


def test_a_moves_event_carries_its_note_its_models_ids_and_what_it_is_about(monkeypatch):
    """The event of a move: the note (up to 300 characters), the ids its model adds for that
    move (told the move's from and to), linked to the records it is also about."""
    fee = FeeFactory()
    monkeypatch.setattr(
        Fee, "move_payload", lambda self, previous, status, context: {"told": [previous, status]}
    )
    fee.move_to(FeeStatus.WAIVED, note="w" * 400)
    (event,) = _events_of(fee)
    assert event.type == "fee.waived"
    assert event.payload["note"] == "w" * 300
    assert event.payload["told"] == [FeeStatus.DUE, FeeStatus.WAIVED]
    assert ("permit", fee.permit_id) in _about(event)


def test_the_batch_path_records_each_move_as_move_to_does_and_tells_the_apps_above(monkeypatch):
    """record_moves (imports): for each (record, from, to) its event, typed, with the note (up to
    300 characters) and the model's ids, linked to what it is about; and status_moved, heard
    with the record, both statuses, the note and the caller's context, by nobody."""
    from core.status import status_moved

    paid, waived = FeeFactory(), FeeFactory()
    monkeypatch.setattr(
        Fee,
        "move_payload",
        lambda self, previous, status, context: {"told": [previous, status, context["source"]]},
    )
    heard = []

    def receiver(sender, **kwargs):
        heard.append((sender, kwargs))

    status_moved.connect(receiver, weak=False)
    try:
        Fee.record_moves(
            (move for move in [(paid, "", FeeStatus.PAID), (waived, FeeStatus.DUE, "waived")]),
            note="n" * 400,
            context={"source": "file.csv"},
        )
    finally:
        status_moved.disconnect(receiver)
    (first,), (second,) = _events_of(paid), _events_of(waived)
    assert (first.type, second.type) == ("fee.paid", "fee.waived")
    assert first.payload == {
        "from": "",
        "to": "paid",
        "note": "n" * 300,
        "told": ["", "paid", "file.csv"],
    }
    assert second.payload["from"] == FeeStatus.DUE and second.payload["to"] == "waived"
    assert ("permit", paid.permit_id) in _about(first)
    assert ("permit", waived.permit_id) in _about(second)
    assert [sender for sender, _ in heard] == [Fee, Fee]
    assert heard[0][1]["instance"] is paid and heard[1][1]["instance"] is waived
    assert [(k["previous"], k["status"]) for _, k in heard] == [
        ("", FeeStatus.PAID),
        (FeeStatus.DUE, "waived"),
    ]
    assert all(k["by"] is None and k["note"] == "n" * 400 for _, k in heard)
    assert all(k["context"] == {"source": "file.csv"} for _, k in heard)


def test_the_batch_path_tells_the_apps_above_an_empty_context_when_given_none():
    from core.status import status_moved

    heard = []

    def receiver(sender, **kwargs):
        heard.append(kwargs["context"])

    status_moved.connect(receiver, weak=False)
    try:
        Fee.record_moves([(FeeFactory(), "", FeeStatus.PAID)], note="")
    finally:
        status_moved.disconnect(receiver)
    assert heard == [{}]


def test_read_again_the_status_is_the_one_the_record_was_read_with():
    permit = PermitFactory(status=PermitStatus.ISSUED)
    Permit.objects.get(pk=permit.pk).move_to(PermitStatus.FINALED)
    permit.refresh_from_db()
    assert permit.status == PermitStatus.FINALED
    permit.description = "Mine"
    permit.save()  # the status it was read with, not the one in hand before
    permit.status = PermitStatus.ISSUED
    with pytest.raises(StatusChangedOutsideMachine):
        permit.save()


def test_reading_other_fields_again_keeps_the_status_the_record_was_read_with():
    permit = PermitFactory(status=PermitStatus.ISSUED)
    permit.status = PermitStatus.FINALED  # changed in memory only
    permit.refresh_from_db(fields=["description"])
    with pytest.raises(StatusChangedOutsideMachine):
        permit.save()
    permit.refresh_from_db(fields=["status"])
    assert permit.status == PermitStatus.ISSUED
    permit.save()
