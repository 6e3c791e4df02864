"""Load the inspections each permit type can have, from a CSV: permit_type (a permit type's
code; empty or * for the city-wide list, which applies to every permit type without a list of
its own), inspection_code, inspection_name. Upserts by (permit type, code), one row at a time,
each in its own savepoint: a bad row is reported and the others load. A city that imported its
permits (whose new permit types have no inspections) loads this to take inspection requests."""

from collections.abc import Callable
from pathlib import Path

from django.db import IntegrityError, transaction

from core.importing import ImportReport, RowError, limited, open_csv
from permits.models import PermitType

from .models import InspectionType

COLUMNS = ("permit_type", "inspection_code", "inspection_name")
CITY_WIDE = {"", "*"}


def import_inspection_types(
    path: str | Path, *, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Raises ImportFileError (nothing changed) for a file that is not CSV or lacks a column."""
    _, rows = open_csv(path, required=COLUMNS, known=COLUMNS)
    report = ImportReport()
    types = {permit_type.code.upper(): permit_type for permit_type in PermitType.objects.all()}
    for line, row in rows:
        if progress:
            progress(1)
        try:
            with transaction.atomic():
                outcome = import_row(row, types)
        except RowError as error:
            report.reject(line, str(error))
        except IntegrityError:
            report.reject(line, "the database refused the row")
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def import_row(row: dict[str, str], types: dict[str, PermitType]) -> str:
    """Returns "created", "updated" or "unchanged"; raises RowError with the reason."""
    if "__error__" in row:
        raise RowError(row["__error__"])
    type_code = row["permit_type"].strip().upper()
    code = limited(row["inspection_code"].strip(), "inspection_code", 10)
    name = limited(" ".join(row["inspection_name"].split()), "inspection_name", 100)
    if not code:
        raise RowError("inspection_code is empty")
    if not name:
        raise RowError("inspection_name is empty")
    if type_code in CITY_WIDE:
        permit_type = None
    elif type_code in types:
        permit_type = types[type_code]
    else:
        raise RowError(f"no permit type has the code {type_code[:20]} (import the permits first)")
    found = InspectionType.objects.filter(permit_type=permit_type, code=code).first()
    if found is None:
        InspectionType.objects.create(permit_type=permit_type, code=code, name=name)
        return "created"
    if found.name == name:
        return "unchanged"
    found.name = name
    found.save(update_fields=["name"])
    return "updated"
