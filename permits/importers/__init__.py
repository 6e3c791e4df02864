"""Load permits from a BLDS (Building & Land Development Specification) permits CSV.

Upserts by PermitNum in batches. Rows that cannot be read are rejected with their line number and
reason; every row that can is loaded. Statuses and permit types the portal does not know are
mapped (and reported), never silently dropped.

`import_permits` reads the file in batches; the work is split by concern: `rows` (the file's
columns and statuses, a row read into a `PermitRow`), `resolvers` (a row's permit type and
license professional), `saving` (a batch of permits saved, their status moves and license links)
and `fees` (the permits' Fee column saved as fee lines).
"""

from collections.abc import Callable
from pathlib import Path

from core.importing import ImportReport, RowError, open_csv

from .fees import FEES_PAID_STATUSES, IMPORTED_FEE_DESCRIPTION, save_fees
from .resolvers import LicenseResolver, PermitTypeResolver, resolve_type
from .rows import (
    BATCH_SIZE,
    BLDS_COLUMNS,
    STATUS_MAP,
    UNIT_PREFIX_RE,
    PermitRow,
    map_status,
    normalize_status_words,
    parse_row,
    split_street,
)
from .saving import BatchOutcome, save_batch, save_rows

__all__ = [
    "BATCH_SIZE",
    "BLDS_COLUMNS",
    "FEES_PAID_STATUSES",
    "IMPORTED_FEE_DESCRIPTION",
    "STATUS_MAP",
    "UNIT_PREFIX_RE",
    "BatchOutcome",
    "LicenseResolver",
    "PermitRow",
    "PermitTypeResolver",
    "import_permits",
    "map_status",
    "normalize_status_words",
    "parse_row",
    "resolve_type",
    "save_batch",
    "save_fees",
    "save_rows",
    "split_street",
]


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
