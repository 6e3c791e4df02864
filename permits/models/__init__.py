"""Permits and what hangs on them, one module per concern: `permits` (types, permits, license
professionals, the counts beside them, numbers, cards), `fees` (fees and their adjustments),
`records` (collections, contacts, documents)."""

from .fees import (
    Fee,
    FeeAdjustment,
    FeeStatus,
)
from .permits import (
    ACTIVE_STATUSES,
    ADDRESS_FIELDS,
    LicenseFeesDue,
    LicensePermitCount,
    Permit,
    PermitCard,
    PermitLicense,
    PermitNumberSequence,
    PermitStatus,
    PermitType,
    card_path,
)
from .records import (
    Collection,
    CollectionItem,
    ContactType,
    PermitContact,
    PermitDocument,
    document_path,
)

__all__ = [
    "ACTIVE_STATUSES",
    "ADDRESS_FIELDS",
    "Collection",
    "CollectionItem",
    "ContactType",
    "Fee",
    "FeeAdjustment",
    "FeeStatus",
    "LicenseFeesDue",
    "LicensePermitCount",
    "Permit",
    "PermitCard",
    "PermitContact",
    "PermitDocument",
    "PermitLicense",
    "PermitNumberSequence",
    "PermitStatus",
    "PermitType",
    "card_path",
    "document_path",
]
