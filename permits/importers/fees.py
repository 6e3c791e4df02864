"""The BLDS Fee column saved as the permit's fee: one "Permit Fee" line per permit, created,
updated while it is due and no payment holds it, or paid when the permit is past the fees stage
(`save_fees`, called by `saving` for each batch of saved permits).

A fee paid in the city's own system is paid here by a recorded payment, as every Paid fee is:
the payments app, above this one, records it (payments.imports, provided at start-up with
`provide_import_payer`), one payment for each batch's fees.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from core.importing import audit_bulk_writes

from ..models import Fee, FeeStatus, Permit, PermitStatus
from ..signals import fee_held_by
from .rows import BATCH_SIZE, PermitRow

IMPORTED_FEE_DESCRIPTION = "Permit Fee"
# A status is "paid up" once the permit is past the fees stage.
FEES_PAID_STATUSES = {PermitStatus.ISSUED, PermitStatus.FINALED, PermitStatus.EXPIRED}


# fees, note -> the payment that paid them (None for none): payments.imports.imported_fees_pay.
_import_payer: list[Callable[..., Any]] = []


def provide_import_payer(pay: Callable[..., Any]) -> None:
    """PaymentsConfig.ready: `pay(fees, note=...)` pays fees paid in the city's own system."""
    _import_payer[:] = [pay]


def pay_imported(fees: Sequence[Fee], note: str) -> None:
    if not fees:
        return
    if not _import_payer:
        raise ImproperlyConfigured("No app records payments made in the city's system.")
    _import_payer[0](fees, note=note)


def save_fees(rows: list[tuple[PermitRow, Permit]], note: str) -> list[str]:
    """The BLDS Fee column is the permit's total fee: kept as one "Permit Fee" line, updated in
    place on a re-import while it is due and no payment holds it. Past the fees stage it is
    taken as paid in the city's own system: the batch's due lines (new ones are created due) are
    paid by one recorded payment. A fee of $0 owes nothing: no line is created for it, and a due
    line of $0 is not paid. Returns notes for the report."""
    notes: list[str] = []
    if not rows:
        return notes
    existing = {
        fee.permit_id: fee
        for fee in Fee.objects.filter(
            permit__in=[permit for _, permit in rows], description=IMPORTED_FEE_DESCRIPTION
        )
    }
    to_create, to_update, to_pay = [], [], []
    fee_changes: list[tuple[Fee, dict]] = []
    for row, permit in rows:
        paid_up = permit.status in FEES_PAID_STATUSES
        fee = existing.get(permit.pk)
        assessed = permit.applied_on or timezone.localdate()
        if fee is None:
            if not row.fee:
                continue
            fee = Fee(
                permit=permit,
                description=IMPORTED_FEE_DESCRIPTION,
                amount=row.fee,
                status=FeeStatus.DUE,
                assessed_on=assessed,
            )
            to_create.append(fee)
            if paid_up:
                to_pay.append(fee)
        else:
            fee.permit = permit
            if fee.amount != row.fee:
                holder = fee_held_by(fee)
                if fee.status != FeeStatus.DUE or holder:
                    notes.append(
                        f"{permit.number}: its fee is "
                        f"{(holder and f'held by {holder}') or fee.get_status_display().lower()}"
                        f" at ${fee.amount:,.2f}, so the file's ${row.fee:,.2f} was not applied"
                    )
                else:
                    fee_changes.append((fee, {"amount": (fee.amount, row.fee)}))
                    fee.amount = row.fee
                    to_update.append(fee)
            if fee.status == FeeStatus.DUE and paid_up and fee.amount and not fee_held_by(fee):
                to_pay.append(fee)
    Fee.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    Fee.objects.bulk_update(to_update, ["amount"], batch_size=BATCH_SIZE)
    audit_bulk_writes(fee_changes, created=False, note=note)
    audit_bulk_writes(
        [(fee, {"amount": (None, fee.amount), "status": (None, fee.status)}) for fee in to_create],
        created=True,
        note=note,
    )
    pay_imported(to_pay, note)
    return notes
