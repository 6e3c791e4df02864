"""A batch of read rows saved as permits: created or updated in bulk, each status move taken
through the status machine's batch path (recorded as the import), audited, linked to its license
professional, and its fee saved (`fees`). A batch the database refuses is saved row by row, so
that only the bad row is rejected."""

import copy
from collections.abc import Collection
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.importing import ImportReport, RowError, audit_bulk_writes
from licenses.models import License

from ..models import Permit, PermitLicense, PermitStatus, PermitType
from .fees import save_fees
from .resolvers import LicenseResolver, PermitTypeResolver, resolve_type
from .rows import BATCH_SIZE, PermitRow


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
            outcome = save_rows(ready, license_ids, note, types.learning)
    except IntegrityError:
        # Something only the database could see: go row by row, so that the one bad row is
        # rejected and the rest still load.
        outcome = BatchOutcome()
        for item in ready:
            try:
                with transaction.atomic():
                    outcome.add(save_rows([item], license_ids, note, types.learning))
            except IntegrityError as error:
                outcome.rejected.append(
                    (item[0].line, f"not saved: {str(error).splitlines()[0][:200]}")
                )
    outcome.apply(report)


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
    rows: list[tuple[PermitRow, Permit | None, PermitType]],
    license_ids: dict[str, int],
    note: str,
    learning: Collection[int] = frozenset(),
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
    learn_license_types(links, learning)
    outcome.notes += save_fees(
        [(row, permit) for row, permit in saved if row.fee is not None], note
    )
    return outcome


def learn_license_types(links: list[PermitLicense], learning: Collection[int]) -> None:
    """The city's history says which license types apply for which permit types: each type of
    license an imported permit was issued under may be the license professional of that permit
    type online (PermitType.license_types; staff narrow or widen it in admin). Only for the
    permit types in `learning` (none set when the import began): the import never widens what
    staff decided."""
    links = [link for link in links if link.permit.permit_type_id in learning]
    if not links:
        return
    kinds = dict(
        License.objects.filter(pk__in={link.license_id for link in links}).values_list(
            "pk", "license_type_id"
        )
    )
    pairs = {(link.permit.permit_type_id, kinds[link.license_id]) for link in links}
    Through = PermitType.license_types.through
    Through.objects.bulk_create(
        [Through(permittype_id=kind, licensetype_id=license_type) for kind, license_type in pairs],
        ignore_conflicts=True,
    )


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
