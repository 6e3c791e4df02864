"""Issue 22, requirement 6: a fee imported as paid in the city's own system is paid by a recorded
payment (payments.imports): one payment per batch, with a line per fee, through the status
machine's batch path, its events naming the payment. No receipt is emailed and the portal
refuses to refund it (it took no money)."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from core.models import Event
from payments.exceptions import PaymentError
from payments.flows import payment_refund
from payments.models import Payment, PaymentLine, PaymentMethod, PaymentStatus
from permits.importers import import_permits
from permits.models import Fee, FeeStatus, Permit
from tests.factories import FeeFactory, PermitFactory, PermitTypeFactory, UserFactory
from tests.permits.test_import_permits import ISSUED_ROW, write

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def permit_types():
    PermitTypeFactory(code="RES", name="Residential Building")


def issued(number: str, fee: str) -> str:
    return ISSUED_ROW.replace("RES25-0001", number).format(fee=fee)


def in_review(number: str, fee: str) -> str:
    return issued(number, fee).replace("Permit Issued", "In Review")


def test_a_batch_of_fees_paid_elsewhere_is_paid_by_one_recorded_payment(
    tmp_path, mailoutbox, django_capture_on_commit_callbacks
):
    rows = (
        issued("RES25-0001", "150") + issued("RES25-0002", "25.50") + in_review("RES25-0003", "80")
    )
    with django_capture_on_commit_callbacks(execute=True):
        import_permits(write(tmp_path, rows))
    payment = Payment.objects.get()
    assert payment.method == PaymentMethod.IMPORTED and payment.provider == "import"
    assert payment.user is None and payment.status == PaymentStatus.CONFIRMED
    assert payment.confirmed_at is not None
    assert payment.total == payment.fees_total == Decimal("175.50")
    paid = Fee.objects.filter(status=FeeStatus.PAID)
    assert set(paid.values_list("permit__number", flat=True)) == {"RES25-0001", "RES25-0002"}
    lines = PaymentLine.objects.filter(payment=payment, live=True)
    assert {(line.fee_id, line.amount, line.permit_number) for line in lines} == {
        (fee.pk, fee.amount, fee.permit.number) for fee in paid
    }
    assert Fee.objects.get(permit__number="RES25-0003").status == FeeStatus.DUE
    # The machine's events: the payment completed, each fee paid by it (the permit's history).
    assert Event.objects.filter(type="payment.completed", object_id=payment.pk).count() == 1
    fee_events = Event.objects.filter(type="fee.paid")
    assert sorted(e.payload["payment"] for e in fee_events) == [payment.pk, payment.pk]
    assert all("Paid in the city's system" in e.payload["note"] for e in fee_events)
    # Nobody paid through the portal: no receipt.
    assert mailoutbox == []
    # The bulk write is in the audit trail, as the import's.
    from auditlog.models import LogEntry

    for fee in paid:
        entries = LogEntry.objects.get_for_object(fee)
        assert ["due", "paid"] in [e.changes.get("status") for e in entries if e.changes]


def test_a_re_import_pays_nothing_twice_and_pays_a_fee_once_its_permit_is_issued(tmp_path):
    import_permits(write(tmp_path, issued("RES25-0001", "150") + in_review("RES25-0002", "80")))
    import_permits(write(tmp_path, issued("RES25-0001", "150") + in_review("RES25-0002", "80")))
    assert Payment.objects.count() == 1
    import_permits(write(tmp_path, issued("RES25-0002", "80")))
    second = Payment.objects.exclude(pk=Payment.objects.earliest("pk").pk).get()
    assert second.total == Decimal("80.00")
    fee = Fee.objects.get(permit__number="RES25-0002")
    assert fee.status == FeeStatus.PAID
    assert fee.payment_lines.get(live=True).payment == second


def test_a_fee_a_portal_payment_holds_is_not_paid_by_the_import(tmp_path):
    import_permits(write(tmp_path, in_review("RES25-0001", "150")))
    fee = Fee.objects.get()
    held = Payment.objects.create(
        user=UserFactory(),
        method="card",
        provider="stripe",
        fees_total=fee.amount,
        total=fee.amount,
    )
    PaymentLine.objects.create(
        payment=held, fee=fee, amount=fee.amount, description="x", permit_number="RES25-0001"
    )
    import_permits(write(tmp_path, issued("RES25-0001", "150")))
    fee.refresh_from_db()
    assert fee.status == FeeStatus.DUE
    assert not Payment.objects.filter(method=PaymentMethod.IMPORTED).exists()


def test_a_fee_of_nothing_makes_no_line_and_no_payment(tmp_path):
    import_permits(write(tmp_path, issued("RES25-0001", "0")))
    assert Permit.objects.count() == 1
    assert not Fee.objects.exists() and not Payment.objects.exists()


def test_the_portal_refuses_to_refund_a_payment_made_in_the_city_system(tmp_path):
    import_permits(write(tmp_path, issued("RES25-0001", "150")))
    payment = Payment.objects.get()
    with pytest.raises(PaymentError) as refused:
        payment_refund(payment=payment, by=UserFactory(is_staff=True))
    assert str(refused.value) == (
        f"Payment {payment.pk} was paid in the city's own system and the portal took no "
        "money: refund it there."
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED
    assert Fee.objects.get().status == FeeStatus.PAID


def test_only_a_payment_made_in_the_city_system_has_no_payer():
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(user=None, method="card", provider="stripe", fees_total=10, total=10)
    Payment.objects.create(user=None, method="imported", provider="import", fees_total=10, total=10)


def test_the_migration_pays_fees_imported_as_paid_before_payments_were_recorded():
    """Fees an earlier importer marked Paid with no payment get one, batch by batch; a fee a
    portal payment paid keeps its own, and a $0 or due fee is left alone."""
    migration = importlib.import_module("payments.migrations.0006_imported_payments")
    permit = PermitFactory()
    orphans = [FeeFactory(permit=permit, amount=Decimal(amount)) for amount in ("40", "2.50")]
    nothing = FeeFactory(permit=permit, amount=Decimal("0"))
    due = FeeFactory(permit=permit, amount=Decimal("9"))
    by_card = FeeFactory(permit=permit, amount=Decimal("12"))
    portal = Payment.objects.create(
        user=UserFactory(), method="card", provider="stripe", fees_total=12, total=12
    )
    PaymentLine.objects.create(
        payment=portal, fee=by_card, amount=12, description="x", permit_number=permit.number
    )
    Fee.objects.filter(pk__in=[f.pk for f in [*orphans, nothing, by_card]]).update(
        status=FeeStatus.PAID
    )
    migration.pay_fees_paid_elsewhere(apps, None)
    imported = Payment.objects.get(method=PaymentMethod.IMPORTED)
    assert imported.status == PaymentStatus.CONFIRMED and imported.total == Decimal("42.50")
    assert set(imported.lines.values_list("fee_id", flat=True)) == {f.pk for f in orphans}
    assert list(by_card.payment_lines.values_list("payment_id", flat=True)) == [portal.pk]
    assert not nothing.payment_lines.exists() and not due.payment_lines.exists()
    migration.pay_fees_paid_elsewhere(apps, None)  # a second run finds nothing to pay
    assert Payment.objects.filter(method=PaymentMethod.IMPORTED).count() == 1


def test_only_the_fees_given_that_are_still_due_held_by_nothing_and_owed_are_paid():
    """imported_fees_pay reads the fees again under their locks: one paid meanwhile, one a
    portal payment holds, one of $0 and one not given stay as they are; $1.00 is owed."""
    from payments.imports import imported_fees_pay

    permit = PermitFactory()
    owed = FeeFactory(permit=permit, amount=Decimal("1.00"), description="Plan review")
    other = FeeFactory(permit=permit, amount=Decimal("75.00"), description="Fence")
    nothing = FeeFactory(permit=permit, amount=Decimal("0.00"))
    paid = FeeFactory(permit=permit, amount=Decimal("20.00"))
    held = FeeFactory(permit=permit, amount=Decimal("30.00"))
    Fee.objects.filter(pk=paid.pk).update(status=FeeStatus.PAID)
    portal = Payment.objects.create(
        user=UserFactory(), method="card", provider="stripe", fees_total=30, total=30
    )
    PaymentLine.objects.create(
        payment=portal, fee=held, amount=30, description="x", permit_number=permit.number
    )
    payment = imported_fees_pay([owed, nothing, paid, held], note="city.csv")
    (line,) = payment.lines.all()
    assert (line.fee_id, line.amount, line.description, line.permit_number) == (
        owed.pk,
        Decimal("1.00"),
        "Plan review",
        permit.number,
    )
    assert payment.total == Decimal("1.00")
    statuses = dict(Fee.objects.values_list("pk", "status"))
    assert statuses == {
        owed.pk: "paid",
        other.pk: "due",
        nothing.pk: "due",
        paid.pk: "paid",
        held.pk: "due",
    }
    # Its move is the import's, in the payment's history and the audit trail.
    (completed,) = Event.objects.filter(type="payment.completed")
    assert completed.payload["note"] == "Paid in the city's system (city.csv)"
    from auditlog.models import LogEntry

    (entry,) = [
        e
        for e in LogEntry.objects.get_for_object(owed)
        if e.changes.get("status") == ["due", "paid"]
    ]
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.additional_data == {"import": "Paid in the city's system (city.csv)"}
    assert imported_fees_pay([nothing, paid, held], note="again") is None


def test_paying_a_batch_costs_the_same_queries_whatever_its_size():
    """An import pays 1,000 fees a batch: their permits are read with them, not one by one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from payments.imports import imported_fees_pay

    def queries(count: int) -> int:
        fees = [FeeFactory(permit=PermitFactory(), amount=Decimal("5.00")) for _ in range(count)]
        fees = list(Fee.objects.filter(pk__in=[fee.pk for fee in fees]))  # permits not read
        with CaptureQueriesContext(connection) as captured:
            imported_fees_pay(fees, note="batch")
        return len(captured)

    queries(1)  # content types and the like, read once
    assert queries(1) == queries(4)
