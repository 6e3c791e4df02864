"""The BLDS Fee column saved as the permit's fee: one "Permit Fee" line per permit, created,
updated while it is due and no payment holds it, or paid when the permit is past the fees stage
(`save_fees`, called by `saving` for each batch of saved permits)."""

from django.utils import timezone

from core.importing import audit_bulk_writes

from ..models import Fee, FeeStatus, Permit, PermitStatus
from ..signals import fee_held_by
from .rows import BATCH_SIZE, PermitRow

IMPORTED_FEE_DESCRIPTION = "Permit Fee"
# A status is "paid up" once the permit is past the fees stage.
FEES_PAID_STATUSES = {PermitStatus.ISSUED, PermitStatus.FINALED, PermitStatus.EXPIRED}


def save_fees(rows: list[tuple[PermitRow, Permit]], note: str) -> list[str]:
    """The BLDS Fee column is the permit's total fee: kept as one "Permit Fee" line, updated in
    place on a re-import while it is due and no payment holds it. Past the fees stage it is
    taken as paid in the city's own system: a new line is created paid, a due one moves to Paid
    through the status machine with the import as its payment. Returns notes for the report."""
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
        status = FeeStatus.PAID if permit.status in FEES_PAID_STATUSES else FeeStatus.DUE
        fee = existing.get(permit.pk)
        assessed = permit.applied_on or timezone.localdate()
        if fee is None:
            to_create.append(
                Fee(
                    permit=permit,
                    description=IMPORTED_FEE_DESCRIPTION,
                    amount=row.fee,
                    status=status,
                    assessed_on=assessed,
                )
            )
        else:
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
            if fee.status == FeeStatus.DUE and status == FeeStatus.PAID and not fee_held_by(fee):
                to_pay.append(fee)
    Fee.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    Fee.objects.bulk_update(to_update, ["amount"], batch_size=BATCH_SIZE)
    audit_bulk_writes(fee_changes, created=False, note=note)
    audit_bulk_writes(
        [(fee, {"amount": (None, fee.amount), "status": (None, fee.status)}) for fee in to_create],
        created=True,
        note=note,
    )
    for fee in to_pay:
        fee.move_to(FeeStatus.PAID, note=f"Paid in the city's system ({note})", payment=note)
    return notes
