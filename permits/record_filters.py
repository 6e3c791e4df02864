"""My Records filtered by the search's form, read the way the unfiltered list is, and by the
filters a higher app offers (the dashboard's "Needs your action": each kind's whole list)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, QuerySet

from licenses.scope import contractor_scope

from .models import PermitLicense
from .scopes import is_a_contact, permits_visible_to, record_license_ids
from .selectors import PermitSearch, by_status_and_date


@dataclass(frozen=True)
class RecordFilter:
    """A filter of My Records that only a higher app can apply: its words, and
    `permit_ids(user)`, a queryset of `permit_id`s (for an IN) of the permits it keeps, which
    My Records narrows to the user's records anyway."""

    label: str
    permit_ids: Callable[[object], QuerySet]


_record_filters: dict[str, RecordFilter] = {}


def provide_record_filter(
    name: str, *, label: str, permit_ids: Callable[[object], QuerySet]
) -> None:
    """Offer My Records' "Needs my action" filter `name` (its value in the query string), in the
    order offered (a higher app's AppConfig.ready: the portal's "Needs your action" kinds)."""
    _record_filters[name] = RecordFilter(label=label, permit_ids=permit_ids)


def record_filters() -> dict[str, RecordFilter]:
    return dict(_record_filters)


def record_filter_ids(user, needs: str) -> QuerySet | None:
    """The `permit_id`s the filter `needs` keeps for the user (None: no filter asked)."""
    return _record_filters[needs].permit_ids(user) if needs else None


def records_within(user, among: QuerySet | None = None) -> QuerySet:
    """The user's records (`permits_visible_to`), only `among`'s if given."""
    records = permits_visible_to(user)
    return records if among is None else records.filter(pk__in=among)


def record_search_rows(
    *, user, search: PermitSearch, among: QuerySet | None = None
) -> QuerySet | None:
    """On PostgreSQL, for a user whose records all come through licenses and a filter of
    status, permit type and applied dates alone: {"permit_id", "applied"} rows of their
    records, newest first, from PermitLicense's copies of the permit's status and applied date
    (its `permitlicense_by_status` index, as the dashboard's lists), so a contractor with
    50,000 permits is filtered, counted and paged without reading every permit. Page them, then
    load the page's permits with `permits_in_order`.

    None where it does not apply (SQLite; a contact's records; an address, number, license,
    issued date or fees due): `permit_search` within the records answers those. `among`: a
    queryset of `permit_id`s, the only ones to keep (a `RecordFilter`'s)."""
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
    if among is not None:
        rows = rows.filter(permit_id__in=among)
    rows = rows.values("permit_id", applied=F("applied_on"))
    if len(license_ids) > 1:
        # A permit can name two of the user's licenses; one license names it once.
        rows = rows.distinct()
    return rows.order_by("-applied", "-permit_id")
