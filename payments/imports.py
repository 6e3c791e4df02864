"""Fees paid in the city's own system, recorded as a payment. A permit imported past the fees
stage (issued, finaled, expired) has its fee paid already, in the system the city ran before the
portal: the importer (permits.importers.fees) hands those fees here, and each batch of them is
paid by one payment "Paid in the city's system" (method IMPORTED, provider "import", no payer),
with a line per fee as every payment has. So every Paid fee has the payment that paid it, the
ledger of payments adds up to what is marked paid, and a fee leaves Paid only through that
payment's refund, which the portal refuses (it took no money; the city's system refunds).

No receipt is emailed (nobody paid through the portal), and paying the fees issues nothing (the
permits are past issuance). That is why the payment is confirmed by its own move here and not by
`payment_confirm`, the way every payment made in the portal becomes paid: that one numbers a
receipt, checks a gateway's amount and issues the permits paid for, none of which applies to
money the portal never took. The fees move to Paid through the status machine's batch path: one
`fee.paid` event each, naming the payment, as a payment made in the portal records.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from core.importing import audit_bulk_writes
from core.money import ZERO
from permits.models import Fee, FeeStatus

from .models import Payment, PaymentLine, PaymentMethod, PaymentStatus

IMPORT_PROVIDER = "import"


def imported_fees_pay(fees: Sequence[Fee], *, note: str) -> Payment | None:
    """Pay those of `fees` that are still due, held by no payment and more than $0 (read again
    under their row locks: the batch path's checks) with one payment made in the city's own
    system. Returns the payment, or None when none is left to pay."""
    fees = list(
        Fee.objects.select_for_update(of=("self",))
        .select_related("permit")
        .filter(pk__in=[fee.pk for fee in fees], status=FeeStatus.DUE, amount__gt=0)
        .exclude(payment_lines__live=True)
        .order_by("pk")
    )
    if not fees:
        return None
    total = sum((fee.amount for fee in fees), ZERO)
    payment = Payment.objects.create(
        user=None,
        method=PaymentMethod.IMPORTED,
        provider=IMPORT_PROVIDER,
        fees_total=total,
        total=total,
    )
    PaymentLine.objects.bulk_create(
        [
            PaymentLine(
                payment=payment,
                fee=fee,
                amount=fee.amount,
                description=fee.description,
                permit_number=fee.permit.number,
            )
            for fee in fees
        ]
    )
    paid_note = f"Paid in the city's system ({note})"
    payment.move_to(
        PaymentStatus.CONFIRMED, note=paid_note, changes={"confirmed_at": timezone.now()}
    )
    Fee.objects.filter(pk__in=[fee.pk for fee in fees]).update(status=FeeStatus.PAID)
    audit_bulk_writes(
        [(fee, {"status": (FeeStatus.DUE, FeeStatus.PAID)}) for fee in fees],
        created=False,
        note=paid_note,
    )
    Fee.record_moves(
        [(fee, FeeStatus.DUE, FeeStatus.PAID) for fee in fees],
        note=paid_note,
        context={"payment": payment},
    )
    return payment
