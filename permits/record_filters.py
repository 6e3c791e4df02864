"""My Records filtered by the search's form, read the way the unfiltered list is."""

from django.db import connection
from django.db.models import F, QuerySet

from licenses.scope import contractor_scope

from .models import PermitLicense
from .scopes import is_a_contact, record_license_ids
from .selectors import PermitSearch, by_status_and_date


def record_search_rows(*, user, search: PermitSearch) -> QuerySet | None:
    """On PostgreSQL, for a user whose records all come through licenses and a filter of
    status, permit type and applied dates alone: {"permit_id", "applied"} rows of their
    records, newest first, from PermitLicense's copies of the permit's status and applied date
    (its `permitlicense_by_status` index, as the dashboard's lists), so a contractor with
    50,000 permits is filtered, counted and paged without reading every permit. Page them, then
    load the page's permits with `permits_in_order`.

    None where it does not apply (SQLite; a contact's records; an address, number, license,
    issued date or fees due): `permit_search` within the records answers those."""
    if (
        connection.vendor != "postgresql"
        or not contractor_scope(user).verified
        or is_a_contact(user)
        or search.address
        or search.permit_number
        or search.license_number
        or search.issued_from
        or search.issued_to
        or search.fees_due
    ):
        return None
    license_ids = record_license_ids(user)
    rows = by_status_and_date(PermitLicense.objects.filter(license_id__in=license_ids), search)
    if search.permit_type is not None:
        rows = rows.filter(permit__permit_type=search.permit_type)
    rows = rows.values("permit_id", applied=F("applied_on"))
    if len(license_ids) > 1:
        # A permit can name two of the user's licenses; one license names it once.
        rows = rows.distinct()
    return rows.order_by("-applied", "-permit_id")
