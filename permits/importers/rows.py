"""A BLDS permits file's rows: the columns it may have, the status words it may use and the
portal's status for each, and one row read into a `PermitRow` (or refused with a `RowError`)."""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils import translation

from core.importing import (
    ImportReport,
    RowError,
    limited,
    parse_date,
    parse_money,
    parse_state,
)
from core.money import ZERO
from core.validators import PERMIT_NUMBER_RE

from ..models import PermitStatus

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

# The portal's own status labels, in English whatever language is active when this is imported
# (a file's words do not change with the language of whoever loads it).
with translation.override("en"):
    PORTAL_STATUS_LABELS = {str(label).lower(): value for value, label in PermitStatus.choices}

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
    **PORTAL_STATUS_LABELS,
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

UNIT_PREFIX_RE = re.compile(r"^(UNIT|APT\.?|APARTMENT|STE\.?|SUITE|#)\s*", re.IGNORECASE)
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
