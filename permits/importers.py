"""Load permits from a BLDS (Building & Land Development Specification) permits CSV.

Upserts by PermitNum in batches. Rows that cannot be read are rejected with their line number and
reason; every row that can is loaded. Statuses and permit types the portal does not know are
mapped (and reported), never silently dropped.
"""

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.importing import (
    ImportReport,
    RowError,
    audit_bulk_writes,
    limited,
    open_csv,
    parse_date,
    parse_money,
    parse_state,
)
from core.money import ZERO
from core.validators import PERMIT_NUMBER_RE
from licenses.models import License, LicenseType, normalize_license_number

from .models import (
    Fee,
    FeeStatus,
    Permit,
    PermitLicense,
    PermitStatus,
    PermitType,
)
from .signals import fee_held_by

BLDS_COLUMNS = (
    "PermitNum",
    "Description",
    "AppliedDate",
    "IssuedDate",
    "CompletedDate",
    "StatusCurrent",
    "OriginalAddress1",
    "OriginalAddress2",
    "OriginalCity",
    "OriginalState",
    "OriginalZip",
    "PermitType",
    "PermitTypeDesc",
    "EstProjectCost",
    "ContractorCompanyName",
    "ContractorLicNum",
    "ExpiresDate",
    "PIN",
    "Fee",
    "OwnerName",
)

# BLDS's mapped statuses, then the words cities' own exports use. Keys are lower case with
# single spaces.
STATUS_MAP: dict[str, str] = {
    # BLDS StatusCurrentMapped
    "application accepted": PermitStatus.SUBMITTED,
    "fees/payment": PermitStatus.READY_TO_ISSUE,
    "in review": PermitStatus.IN_REVIEW,
    "permit issued": PermitStatus.ISSUED,
    "inspection phase": PermitStatus.ISSUED,
    "permit finaled": PermitStatus.FINALED,
    "permit finaled with conditions": PermitStatus.FINALED,
    "occupancy": PermitStatus.FINALED,
    "appeal": PermitStatus.IN_REVIEW,
    "permit cancelled": PermitStatus.CANCELLED,
    "permit canceled": PermitStatus.CANCELLED,
    "permit expired": PermitStatus.EXPIRED,
    # The portal's own labels
    **{label.lower(): value for value, label in PermitStatus.choices},
    **{value.replace("_", " "): value for value in PermitStatus.values},
    # Cities' words
    "applied": PermitStatus.SUBMITTED,
    "application": PermitStatus.SUBMITTED,
    "application received": PermitStatus.SUBMITTED,
    "application submitted": PermitStatus.SUBMITTED,
    "received": PermitStatus.SUBMITTED,
    "new": PermitStatus.SUBMITTED,
    "open": PermitStatus.SUBMITTED,
    "intake": PermitStatus.SUBMITTED,
    "under review": PermitStatus.IN_REVIEW,
    "plan review": PermitStatus.IN_REVIEW,
    "plan check": PermitStatus.IN_REVIEW,
    "plans review": PermitStatus.IN_REVIEW,
    "review": PermitStatus.IN_REVIEW,
    "corrections required": PermitStatus.IN_REVIEW,
    "resubmitted": PermitStatus.IN_REVIEW,
    "on hold": PermitStatus.PENDING_APPROVAL,
    "hold": PermitStatus.PENDING_APPROVAL,
    "pending": PermitStatus.PENDING_APPROVAL,
    "pending approval": PermitStatus.PENDING_APPROVAL,
    "approved": PermitStatus.READY_TO_ISSUE,
    "ready to issue": PermitStatus.READY_TO_ISSUE,
    "ready for issuance": PermitStatus.READY_TO_ISSUE,
    "fees due": PermitStatus.READY_TO_ISSUE,
    "awaiting payment": PermitStatus.READY_TO_ISSUE,
    "issued": PermitStatus.ISSUED,
    "active": PermitStatus.ISSUED,
    "permit active": PermitStatus.ISSUED,
    "inspections": PermitStatus.ISSUED,
    "under inspection": PermitStatus.ISSUED,
    "renewed": PermitStatus.ISSUED,
    "reinstated": PermitStatus.ISSUED,
    "final": PermitStatus.FINALED,
    "finaled": PermitStatus.FINALED,
    "final approved": PermitStatus.FINALED,
    "complete": PermitStatus.FINALED,
    "completed": PermitStatus.FINALED,
    "closed": PermitStatus.FINALED,
    "certificate of occupancy": PermitStatus.FINALED,
    "c of o issued": PermitStatus.FINALED,
    "expired": PermitStatus.EXPIRED,
    "lapsed": PermitStatus.EXPIRED,
    "cancelled": PermitStatus.CANCELLED,
    "canceled": PermitStatus.CANCELLED,
    "void": PermitStatus.CANCELLED,
    "voided": PermitStatus.CANCELLED,
    "withdrawn": PermitStatus.CANCELLED,
    "revoked": PermitStatus.CANCELLED,
    "denied": PermitStatus.CANCELLED,
    "rejected": PermitStatus.CANCELLED,
}

IMPORTED_FEE_DESCRIPTION = "Permit Fee"
UNIT_PREFIX_RE = re.compile(r"^(UNIT|APT\.?|APARTMENT|STE\.?|SUITE|#)\s*", re.IGNORECASE)
# A status is "paid up" once the permit is past the fees stage.
FEES_PAID_STATUSES = {PermitStatus.ISSUED, PermitStatus.FINALED, PermitStatus.EXPIRED}
BATCH_SIZE = 500


@dataclass
class PermitRow:
    line: int
    number: str
    values: dict  # Permit field -> value, only for the columns the file has
    status: str | None
    type_code: str
    type_name: str
    license_number: str
    fee: Decimal | None


def normalize_status_words(value: str) -> str:
    return " ".join(value.replace("_", " ").lower().split())


def map_status(row: dict[str, str], dates: dict, report: ImportReport) -> str | None:
    raw = row.get("StatusCurrent", "")
    if not raw:
        return None
    key = normalize_status_words(raw)
    if key in STATUS_MAP:
        return STATUS_MAP[key]
    # Unknown words: the dates tell how far the permit got.
    if dates.get("finaled_on"):
        guess = PermitStatus.FINALED
    elif dates.get("issued_on"):
        guess = PermitStatus.ISSUED
    else:
        guess = PermitStatus.SUBMITTED
    report.note(f"unknown status “{raw[:40]}” read as {PermitStatus(guess).label}")
    return guess


def split_street(line: str) -> tuple[str, str]:
    """'1200 N OAK ST' -> ('1200', 'N OAK ST'); '1200-B OAK' -> ('1200-B', 'OAK')."""
    match = re.match(r"^\s*(\d+[A-Z0-9\-/]*)\s+(.+)$", line, re.IGNORECASE)
    if match:
        return match.group(1), match.group(2).strip()
    return "", line.strip()


def parse_row(line: int, row: dict[str, str], columns: set[str], report: ImportReport) -> PermitRow:
    if "__error__" in row:
        raise RowError(row["__error__"])
    number = row.get("PermitNum", "").strip().upper()
    if not number:
        raise RowError("PermitNum is empty")
    if not PERMIT_NUMBER_RE.match(number):
        raise RowError(
            f"PermitNum “{number[:40]}” has characters a permit number cannot have (letters, "
            "digits, hyphens, dots and underscores only: a number is part of the permit's web "
            "address)"
        )

    values: dict = {}
    dates = {}
    for column, attr in (
        ("AppliedDate", "applied_on"),
        ("IssuedDate", "issued_on"),
        ("CompletedDate", "finaled_on"),
        ("ExpiresDate", "expires_on"),
    ):
        if column in columns:
            dates[attr] = parse_date(row.get(column, ""), column)
            values[attr] = dates[attr]
    if "applied_on" in values and values["applied_on"] is None:
        # A permit always has an application date; some exports leave it out once issued.
        fallback = dates.get("issued_on")
        if fallback is None:
            del values["applied_on"]
        else:
            values["applied_on"] = fallback
            report.note("AppliedDate empty: the IssuedDate was used")

    if "Description" in columns:
        values["description"] = row.get("Description", "")
    if "OriginalAddress1" in columns:
        street_number, street_name = split_street(row.get("OriginalAddress1", ""))
        values["street_number"] = limited(street_number, "OriginalAddress1's number", 20)
        values["street_name"] = limited(street_name, "OriginalAddress1", 200)
    if "OriginalAddress2" in columns:
        values["unit"] = limited(
            UNIT_PREFIX_RE.sub("", row.get("OriginalAddress2", "")), "OriginalAddress2", 30
        )
    if "OriginalCity" in columns:
        values["city"] = limited(row.get("OriginalCity", ""), "OriginalCity", 100)
    if "OriginalState" in columns:
        values["state"] = parse_state(row.get("OriginalState", ""), "OriginalState")
    if "OriginalZip" in columns:
        values["zip_code"] = limited(row.get("OriginalZip", ""), "OriginalZip", 10)
    if "PIN" in columns:
        values["parcel_number"] = limited(row.get("PIN", ""), "PIN", 40)
    if "OwnerName" in columns:
        values["owner_name"] = limited(row.get("OwnerName", ""), "OwnerName", 200)
    if "EstProjectCost" in columns:
        values["valuation"] = parse_money(row.get("EstProjectCost", ""), "EstProjectCost") or ZERO

    status = map_status(row, dates, report)
    fee = parse_money(row.get("Fee", ""), "Fee") if "Fee" in columns else None
    return PermitRow(
        line=line,
        number=number,
        values=values,
        status=status,
        type_code=row.get("PermitType", "").strip(),
        type_name=row.get("PermitTypeDesc", "").strip(),
        license_number=row.get("ContractorLicNum", "").strip(),
        fee=fee,
    )


class PermitTypeResolver:
    """Finds the portal's permit type for a row's PermitType/PermitTypeDesc, creating (and
    reporting) one the portal does not know."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.by_key: dict[str, PermitType] = {}
        for permit_type in PermitType.objects.all():
            self.by_key[permit_type.code.lower()] = permit_type
            self.by_key[permit_type.name.lower()] = permit_type

    def resolve(self, code: str, name: str) -> PermitType:
        for key in (code, name):
            if key and key.lower() in self.by_key:
                return self.by_key[key.lower()]
        if not code and not name:
            raise RowError("PermitType and PermitTypeDesc are both empty")
        new_code = re.sub(r"[^A-Z0-9]", "", (code or name).upper())[:10] or "OTHER"
        base, suffix = new_code, 2
        while PermitType.objects.filter(code=new_code).exists():
            new_code = f"{base[:8]}{suffix}"
            suffix += 1
        permit_type = PermitType.objects.create(code=new_code, name=(name or code)[:100])
        self.report.note(f"new permit type “{permit_type.name}” ({new_code}) created")
        for key in (code, name):
            if key:
                self.by_key[key.lower()] = permit_type
        return permit_type


class LicenseResolver:
    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.prefixes = list(LicenseType.objects.values_list("prefix", flat=True))

    def resolve_many(self, raw_numbers: Iterable[str]) -> dict[str, int]:
        """Raw ContractorLicNum -> license id, for the ones on record."""
        candidates: dict[str, list[str]] = {}
        for raw in raw_numbers:
            number = normalize_license_number(raw)
            if number[:1].isdigit():
                candidates[raw] = [prefix + number for prefix in self.prefixes]
            else:
                candidates[raw] = [number]
        wanted = {number for numbers in candidates.values() for number in numbers}
        ids = dict(License.objects.filter(number__in=wanted).values_list("number", "id"))
        found = {}
        for raw, numbers in candidates.items():
            matches = [ids[number] for number in numbers if number in ids]
            if len(matches) == 1:
                found[raw] = matches[0]
        return found


def import_permits(
    path: str | Path,
    *,
    progress: Callable[[int], None] | None = None,
    source: str = "",
) -> ImportReport:
    """Import a BLDS permits CSV. Raises ImportFileError (nothing changed) for a file that is
    not CSV or has no PermitNum column."""
    columns, rows = open_csv(path, required=("PermitNum",), known=BLDS_COLUMNS)
    report = ImportReport()
    present = set(columns)
    types = PermitTypeResolver(report)
    licenses = LicenseResolver(report)
    note = f"Imported from {source or Path(path).name}"[:200]

    batch: dict[str, PermitRow] = {}
    for line, row in rows:
        if progress:
            progress(1)
        try:
            parsed = parse_row(line, row, present, report)
        except RowError as error:
            report.reject(line, str(error))
            continue
        if parsed.number in batch:
            report.note(f"PermitNum {parsed.number} appears more than once: the later row was used")
        batch[parsed.number] = parsed
        if len(batch) >= BATCH_SIZE:
            save_batch(list(batch.values()), types, licenses, report, note)
            batch = {}
    if batch:
        save_batch(list(batch.values()), types, licenses, report, note)
    return report


def save_batch(
    batch: list[PermitRow],
    types: PermitTypeResolver,
    licenses: LicenseResolver,
    report: ImportReport,
    note: str,
) -> None:
    existing = {
        permit.number: permit
        for permit in Permit.objects.filter(number__in=[row.number for row in batch])
    }
    ready: list[tuple[PermitRow, Permit | None, PermitType]] = []
    for row in batch:
        permit = existing.get(row.number)
        try:
            ready.append((row, permit, resolve_type(row, permit, types)))
        except RowError as error:
            report.reject(row.line, str(error))
    license_ids = licenses.resolve_many({row.license_number for row in batch if row.license_number})
    try:
        with transaction.atomic():
            outcome = save_rows(ready, license_ids, note)
    except IntegrityError:
        # Something only the database could see: go row by row, so that the one bad row is
        # rejected and the rest still load.
        outcome = BatchOutcome()
        for item in ready:
            try:
                with transaction.atomic():
                    outcome.add(save_rows([item], license_ids, note))
            except IntegrityError as error:
                outcome.rejected.append(
                    (item[0].line, f"not saved: {str(error).splitlines()[0][:200]}")
                )
    outcome.apply(report)


def resolve_type(row: PermitRow, permit: Permit | None, types: PermitTypeResolver) -> PermitType:
    if row.type_code or row.type_name:
        return types.resolve(row.type_code, row.type_name)
    if permit is None:
        raise RowError("PermitType is empty (a new permit needs one)")
    return permit.permit_type


@dataclass
class BatchOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list = field(default_factory=list)
    unknown_licenses: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def add(self, other: "BatchOutcome") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected += other.rejected
        self.unknown_licenses += other.unknown_licenses
        self.notes += other.notes

    def apply(self, report: ImportReport) -> None:
        """Only a batch that committed reaches the report."""
        report.created += self.created
        report.updated += self.updated
        report.unchanged += self.unchanged
        for line, reason in self.rejected:
            report.reject(line, reason)
        for text in self.notes:
            report.note(text)
        for number in self.unknown_licenses:
            report.note(
                f"license {number[:20]} is not on record: permit loaded without its license "
                "professional (run import_licenses first)"
            )


def save_rows(
    rows: list[tuple[PermitRow, Permit | None, PermitType]], license_ids: dict[str, int], note: str
) -> BatchOutcome:
    outcome = BatchOutcome()
    to_create: list[Permit] = []
    to_update: list[Permit] = []
    saved: list[tuple[PermitRow, Permit]] = []
    moved: list[tuple[Permit, str, str]] = []
    audited: list[tuple[Permit, dict]] = []
    update_fields: set[str] = set()
    # The status machine's batch path: lock the batch's permits and start every move from the
    # status in the database (a clerk's move made meanwhile stands); a status the table can
    # reach from it is taken (the source system made the moves between) and recorded as the
    # import; one it cannot reach (a finaled permit issued again) is refused and reported.
    current = dict(
        Permit.objects.select_for_update()
        .filter(pk__in=[permit.pk for _, permit, _ in rows if permit is not None])
        .order_by("pk")
        .values_list("pk", "status")
    )
    for row, permit, permit_type in rows:
        if permit is None:
            if not row.values.get("street_name"):
                outcome.rejected.append(
                    (row.line, "OriginalAddress1 is empty (a new permit needs an address)")
                )
                continue
            if not row.values.get("applied_on"):
                outcome.rejected.append((row.line, "AppliedDate is empty (a new permit needs one)"))
                continue
            permit = Permit(number=row.number, permit_type=permit_type, **row.values)
            permit.status = row.status or PermitStatus.SUBMITTED
            _apply_imported_move(permit, "", permit.status)
            to_create.append(permit)
            moved.append((permit, "", permit.status))
            outcome.created += 1
        else:
            # A copy, so a batch that rolls back leaves the caller's objects as they were.
            permit = copy.copy(permit)
            permit.status = current.get(permit.pk, permit.status)
            before = {
                name: getattr(permit, name) for name in (*row.values, "status", "permit_type_id")
            }
            for name, value in row.values.items():
                setattr(permit, name, value)
            permit.permit_type = permit_type
            if row.status and row.status != permit.status:
                if Permit.is_reachable(permit.status, row.status):
                    moved.append((permit, permit.status, row.status))
                    update_fields.update(_apply_imported_move(permit, permit.status, row.status))
                    permit.status = row.status
                else:
                    outcome.notes.append(
                        f"{row.number} is {PermitStatus(permit.status).label} here and cannot "
                        f"become {PermitStatus(row.status).label}: its status was kept"
                    )
            after = {name: getattr(permit, name) for name in before}
            if after != before:
                audited.append(
                    (
                        permit,
                        {
                            name: (before[name], after[name])
                            for name in before
                            if before[name] != after[name]
                        },
                    )
                )
                to_update.append(permit)
                update_fields.update(row.values, {"status", "permit_type"})
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        saved.append((row, permit))

    Permit.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    if to_update:
        now = timezone.now()
        for permit in to_update:
            permit.updated_at = now
        Permit.objects.bulk_update(
            to_update, [*sorted(update_fields), "updated_at"], batch_size=BATCH_SIZE
        )
    audit_bulk_writes(
        [
            (permit, {name: (None, getattr(permit, name)) for name in ("number", "status")})
            for permit in to_create
        ],
        created=True,
        note=note,
    )
    audit_bulk_writes(audited, created=False, note=note)
    # The machine's batch path: each move's event (the permit's history, its subscribers), and
    # what every move tells the apps above (an expired or cancelled permit's scheduled
    # inspections are cancelled and their requesters emailed), as `move_to` does.
    Permit.record_moves(moved, note=note, context={"import": note})

    links = []
    for row, permit in saved:
        if not row.license_number:
            continue
        license_id = license_ids.get(row.license_number)
        if license_id is None:
            outcome.unknown_licenses.append(row.license_number)
        else:
            links.append(PermitLicense(permit=permit, license_id=license_id))
    PermitLicense.objects.bulk_create(links, ignore_conflicts=True, batch_size=BATCH_SIZE)
    outcome.notes += save_fees(
        [(row, permit) for row, permit in saved if row.fee is not None], note
    )
    return outcome


def _apply_imported_move(permit: Permit, previous: str, status: str) -> list[str]:
    """The fields a move sets (Permit.apply_move: issuing sets the issue and expiry dates,
    finaling the final date), where the file left them empty: the file's own dates stand, and
    an expiry is counted from the file's issue date. The move's checks (Permit.check_move) are
    the source system's, which made it. Returns the fields set."""
    names = ("issued_on", "expires_on", "finaled_on")
    given = {name: getattr(permit, name) for name in names}
    on = permit.issued_on if status == PermitStatus.ISSUED else permit.finaled_on
    fields = list(permit.apply_move(previous, status, {"on": on}))
    for name in fields:
        if given.get(name) is not None:
            setattr(permit, name, given[name])
    return fields


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
