"""Load contractors and their licenses from the city's (or the state board's) CSV export.

Columns: license_number, license_type, business_name, contact_name, address, city, state, zip,
phone, email, status, issued_on, expires_on. Upserts by license number, one row at a time, each in
its own savepoint: a bad row is reported and the others load.
"""

import re
from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.importing import ImportReport, RowError, limited, open_csv, parse_date, parse_state

from .exceptions import InvalidLicenseStatusMove
from .models import (
    LICENSE_NUMBER_RE,
    Contractor,
    License,
    LicenseStatus,
    LicenseType,
    normalize_license_number,
)

LICENSE_COLUMNS = (
    "license_number",
    "license_type",
    "business_name",
    "contact_name",
    "address",
    "city",
    "state",
    "zip",
    "phone",
    "email",
    "status",
    "issued_on",
    "expires_on",
)

STATUS_WORDS = {
    "active": LicenseStatus.ACTIVE,
    "current": LicenseStatus.ACTIVE,
    "valid": LicenseStatus.ACTIVE,
    "issued": LicenseStatus.ACTIVE,
    "renewed": LicenseStatus.ACTIVE,
    "expired": LicenseStatus.EXPIRED,
    "inactive": LicenseStatus.EXPIRED,
    "lapsed": LicenseStatus.EXPIRED,
    "suspended": LicenseStatus.SUSPENDED,
    "revoked": LicenseStatus.REVOKED,
    "cancelled": LicenseStatus.REVOKED,
    "canceled": LicenseStatus.REVOKED,
    "surrendered": LicenseStatus.REVOKED,
}


def import_licenses(
    path: str | Path, *, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Raises ImportFileError (nothing changed) for a file that is not CSV or lacks
    license_number, license_type or business_name."""
    columns, rows = open_csv(
        path,
        required=("license_number", "license_type", "business_name"),
        known=LICENSE_COLUMNS,
    )
    report = ImportReport()
    types = {license_type.prefix: license_type for license_type in LicenseType.objects.all()}
    by_name = {license_type.name.lower(): license_type for license_type in types.values()}
    for line, row in rows:
        if progress:
            progress(1)
        try:
            with transaction.atomic():
                outcome = import_row(row, set(columns), types, by_name, report)
        except RowError as error:
            report.reject(line, str(error))
            continue
        except IntegrityError as error:
            report.reject(line, f"not saved: {str(error).splitlines()[0][:200]}")
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def resolve_type(
    raw: str, types: dict[str, LicenseType], by_name: dict[str, LicenseType], report: ImportReport
) -> LicenseType:
    text = raw.strip()
    if not text:
        raise RowError("license_type is empty")
    if text.upper() in types:
        return types[text.upper()]
    if text.lower() in by_name:
        return by_name[text.lower()]
    if re.match(r"^[A-Za-z]{2}$", text):
        license_type = LicenseType.objects.create(
            prefix=text.upper(), name=f"{text.upper()} License"
        )
        types[license_type.prefix] = license_type
        report.note(f"new license type {license_type.prefix} created (name it in admin)")
        return license_type
    raise RowError(f"license_type “{text[:30]}” is not a two-letter prefix such as EC")


def resolve_status(raw: str, expires_on, report: ImportReport) -> str:
    text = raw.strip().lower()
    if not text:
        if expires_on and expires_on < timezone.localdate():
            return LicenseStatus.EXPIRED
        return LicenseStatus.ACTIVE
    if text in STATUS_WORDS:
        return STATUS_WORDS[text]
    # An unknown word is never read as active: an active license lets its holder act.
    raise RowError(f"status “{raw[:30]}” is not one of active, expired, suspended, revoked")


def import_row(
    row: dict[str, str],
    columns: set[str],
    types: dict[str, LicenseType],
    by_name: dict[str, LicenseType],
    report: ImportReport,
) -> str:
    if "__error__" in row:
        raise RowError(row["__error__"])
    license_type = resolve_type(row.get("license_type", ""), types, by_name, report)
    raw_number = row.get("license_number", "")
    if not raw_number.strip():
        raise RowError("license_number is empty")
    number = normalize_license_number(raw_number, license_type.prefix)
    if not number.startswith(license_type.prefix):
        raise RowError(
            f"license_number {number[:20]} does not start with its type's prefix "
            f"{license_type.prefix}"
        )
    if not LICENSE_NUMBER_RE.match(number):
        raise RowError(f"license_number “{raw_number[:30]}” is not a license number")
    business_name = limited(row.get("business_name", ""), "business_name", 200)
    if not business_name:
        raise RowError("business_name is empty")

    issued_on = parse_date(row.get("issued_on", ""), "issued_on")
    expires_on = parse_date(row.get("expires_on", ""), "expires_on")
    if issued_on and expires_on and expires_on < issued_on:
        raise RowError("expires_on is before issued_on")
    status = resolve_status(row.get("status", ""), expires_on, report)

    contractor_values = {"business_name": business_name}
    for column, attr, size in (
        ("contact_name", "contact_name", 200),
        ("address", "address", 200),
        ("city", "city", 100),
        ("zip", "zip_code", 10),
        ("phone", "phone", 30),
    ):
        if column in columns:
            contractor_values[attr] = limited(row.get(column, ""), column, size)
    if "state" in columns:
        contractor_values["state"] = parse_state(row.get("state", ""), "state")
    if "email" in columns:
        email = row.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise RowError(f"email “{email[:60]}” is not an email address") from None
        contractor_values["email"] = email

    license = License.objects.select_related("holder").filter(number=number).first()
    if license is None:
        contractor = same_business(contractor_values)
        if contractor is None:
            namesake = Contractor.objects.filter(business_name__iexact=business_name).exists()
            contractor = Contractor.objects.create(**contractor_values)
            if namesake:
                report.note(
                    f"license {number}, “{business_name[:60]}”: same name as an existing "
                    "business: created separately, merge in admin if they are one"
                )
        else:
            update_changed(contractor, contractor_values)
        # Through the machine: a new license starts Active (its creation recorded as the
        # import's), then moves to the file's status, if another, as any license would.
        license = License.objects.create(
            number=number,
            license_type=license_type,
            holder=contractor,
            issued_on=issued_on,
            expires_on=expires_on,
        )
        license.record_move("", license.status, by=None, note="License import")
        if status != license.status:
            license.move_to(status, note="License import")
        return "created"

    changed = update_changed(license.holder, contractor_values)
    license_values = {
        "license_type": license_type,
        "issued_on": issued_on if "issued_on" in columns else license.issued_on,
        "expires_on": expires_on if "expires_on" in columns else license.expires_on,
    }
    changed = update_changed(license, license_values) or changed
    if status != license.status:
        try:
            license.move_to(status, note="License import")
        except InvalidLicenseStatusMove as error:
            raise RowError(str(error)) from None
        changed = True
    return "updated" if changed else "unchanged"


def same_business(values: dict) -> Contractor | None:
    """The business on record that a new license's row names: the same name AND the same email,
    phone or street address. A name alone never identifies a business (two companies can share
    one, and members of a business act on its permits and its trust account); a row that matches
    more than one business, or none, makes a new one."""
    email = values.get("email", "").strip().lower()
    phone = digits(values.get("phone", ""))
    address = squash_words(values.get("address", ""))
    zip_code = values.get("zip_code", "").strip()[:5]
    matches = [
        contractor
        for contractor in Contractor.objects.filter(business_name__iexact=values["business_name"])
        if (email and contractor.email.strip().lower() == email)
        or (len(phone) >= 7 and digits(contractor.phone) == phone)
        or (
            address
            and zip_code
            and squash_words(contractor.address) == address
            and contractor.zip_code.strip()[:5] == zip_code
        )
    ]
    return matches[0] if len(matches) == 1 else None


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def squash_words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.upper()).split())


def update_changed(instance, values: dict) -> bool:
    """Set the values that differ and save only those. True when anything changed."""
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    if not changed:
        return False
    for name in changed:
        setattr(instance, name, values[name])
    instance.save(update_fields=[*changed, "updated_at"])
    return True
