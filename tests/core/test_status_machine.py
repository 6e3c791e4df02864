"""The status machine: every stateful model moves only through move_to, which checks the move
against the database, applies the move's rules and records who, when and why."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.management import call_command

from core.models import StatusChange
from core.status import InvalidStatusMove, StatusChangedOutsideMachine
from inspections.models import Inspection, InspectionStatus
from licenses.models import License, LicenseLink, LicenseStatus
from permits.exceptions import FeeAmountHeld, FeeDetailsHeld
from permits.models import Fee, FeeStatus, Permit, PermitStatus, PermitStatusChange
from permits.services import permits_expire
from tests.factories import (
    FeeFactory,
    InspectionFactory,
    LicenseFactory,
    PermitFactory,
    UserFactory,
    set_status,
)

pytestmark = pytest.mark.django_db


def test_every_stateful_model_uses_the_machine():
    from core.status import StatusMachine
    from payments.models import Payment

    for model in (Permit, Fee, Inspection, License, LicenseLink, Payment):
        assert issubclass(model, StatusMachine), model
        statuses = {value for value, _ in model._meta.get_field("status").choices}
        assert set(model.ALLOWED_MOVES) == statuses, model


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
    change = StatusChange.objects.get(
        content_type=ContentType.objects.get_for_model(License), object_id=license.pk
    )
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
    assert PermitStatusChange.objects.filter(permit=permit, to_status="expired").exists()
