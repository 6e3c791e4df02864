"""What a row's words name in the portal: its permit type (one the portal does not know is
created and reported) and its license professional (a ContractorLicNum on record)."""

import re
from collections.abc import Iterable

from core.importing import ImportReport, RowError
from licenses.models import License, LicenseType, normalize_license_number

from ..models import Permit, PermitType
from .rows import PermitRow


class PermitTypeResolver:
    """Finds the portal's permit type for a row's PermitType/PermitTypeDesc, creating (and
    reporting) one the portal does not know."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.by_key: dict[str, PermitType] = {}
        # Permit types whose license types this import may set: those that had none when it
        # began (and those it creates). One staff have set, the import never widens.
        self.learning: set[int] = set(
            PermitType.objects.filter(license_types__isnull=True).values_list("pk", flat=True)
        )
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
        self.learning.add(permit_type.pk)
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


def resolve_type(row: PermitRow, permit: Permit | None, types: PermitTypeResolver) -> PermitType:
    if row.type_code or row.type_name:
        return types.resolve(row.type_code, row.type_name)
    if permit is None:
        raise RowError("PermitType is empty (a new permit needs one)")
    return permit.permit_type
