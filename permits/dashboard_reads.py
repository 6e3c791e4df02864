"""The dashboard's reads of a user's permits (portal.dashboard, portal.actions): its lists as
querysets (the general way of reading, on any database) and, on PostgreSQL for a contractor
whose records all come through licenses, as hand-written parts of its two UNIONs, read from the
per-license counts and indexes that triggers keep. tests/portal/test_dashboard_paths.py holds
the two ways to each other."""

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import F, QuerySet, Sum

from core.money import as_money
from core.pagination import Countable
from core.sql import Part

from .models import ACTIVE_STATUSES, Fee, FeeStatus, PermitLicense, PermitStatus
from .scopes import permits_visible_to, record_columns, record_license_ids, record_rows


def my_active_permits(*, user) -> QuerySet:
    return record_rows(user, ACTIVE_STATUSES)


def my_expired_permits(*, user) -> QuerySet:
    return record_rows(user, [PermitStatus.EXPIRED])


# The dashboard's permit lists, written out (portal.dashboard, on PostgreSQL, for a contractor
# whose records all come through licenses): read from LicensePermitCount and PermitLicense's
# copies of the permit's status and applied date, which triggers keep. The ORM took longer to
# build the dashboard's UNIONs than PostgreSQL took to answer them (docs/performance.md);
# tests/portal/test_dashboard_paths.py holds them to `record_rows`, page by page.


_COUNT_ONE_LICENSE = """
SELECT %s, COALESCE(SUM(permits), 0) FROM permits_licensepermitcount
 WHERE license_id IN %s AND status IN %s"""
# A permit can name two of the user's licenses; one license names it once.
_COUNT_LICENSES = """
SELECT %s, COUNT(DISTINCT permit_id) FROM permits_permitlicense
 WHERE license_id IN %s AND status IN %s"""
_PAGE = """
(SELECT DISTINCT %s, permit_id, applied_on FROM permits_permitlicense
  WHERE license_id IN %s AND status IN %s
  ORDER BY applied_on DESC, permit_id DESC LIMIT %s OFFSET %s)"""
# Only the permits a higher app's part picks (its own tables: `SELECT permit_id ...`).
_AMONG = " AND permit_id IN ({among})"


def my_permits_count_part(*, user, label: str, statuses: Iterable[str]) -> Part:
    """(label, how many of the user's records are in these statuses)."""
    return licensed_permits_count_part(
        label=label, license_ids=record_license_ids(user), statuses=statuses
    )


def my_permits_page_part(
    *, user, label: str, statuses: Iterable[str], limit: int, offset: int
) -> Part:
    """(label, permit id, applied date) of a page of the user's records in these statuses,
    newest first."""
    return licensed_permits_page_part(
        label=label,
        license_ids=record_license_ids(user),
        statuses=statuses,
        limit=limit,
        offset=offset,
    )


def licensed_permits_count_part(
    *,
    label: str,
    license_ids: Iterable[int],
    statuses: Iterable[str],
    among: Part | None = None,
) -> Part:
    """(label, how many permits naming one of these licenses are in these statuses), read from
    PermitLicense's copies of status (its `permitlicense_by_status` index) or, for one license
    and no `among`, from LicensePermitCount. `among`: a higher app's `SELECT permit_id ...` of
    its own tables, the only permits to count (the dashboard's "Needs your action")."""
    license_ids = sorted(license_ids)
    if among is None:
        sql = _COUNT_ONE_LICENSE if len(license_ids) == 1 else _COUNT_LICENSES
        return Part(sql, (label, license_ids, list(statuses)))
    sql = _COUNT_LICENSES + _AMONG.format(among=among.sql)
    if len(license_ids) == 1:
        sql = sql.replace("COUNT(DISTINCT permit_id)", "COUNT(*)")
    return Part(sql, (label, license_ids, list(statuses), *among.params))


def licensed_permits_page_part(
    *,
    label: str,
    license_ids: Iterable[int],
    statuses: Iterable[str],
    limit: int,
    offset: int,
    among: Part | None = None,
) -> Part:
    """(label, permit id, applied date) of a page of the permits naming one of these licenses
    in these statuses (and `among`'s, as `licensed_permits_count_part`), newest first."""
    license_ids = sorted(license_ids)
    sql, params = _PAGE, [label, license_ids, list(statuses)]
    if among is not None:
        sql = sql.replace("ORDER BY", _AMONG.format(among=among.sql) + "\n  ORDER BY")
        params += among.params
    # With one license no row repeats: without DISTINCT, PostgreSQL reads the page straight
    # from the index and stops at its last row.
    if len(license_ids) == 1:
        sql = sql.replace("DISTINCT ", "")
    return Part(sql, (*params, limit, offset))


def _licensed(
    license_ids: frozenset[int], statuses: Iterable[str], among: QuerySet | None
) -> QuerySet:
    status_column, _ = record_columns()
    rows = PermitLicense.objects.filter(
        license_id__in=license_ids, **{f"{status_column}__in": list(statuses)}
    )
    return rows if among is None else rows.filter(permit_id__in=among)


def licensed_permit_rows(
    *, license_ids: Iterable[int], statuses: Iterable[str], among: QuerySet | None = None
) -> QuerySet:
    """{"permit_id", "applied"} of the permits naming one of these licenses in these statuses,
    newest first, one row per permit, through the ORM on any database: what
    `licensed_permits_page_part` reads by hand. `among`: a higher app's queryset of
    `permit_id`s, the only permits to keep."""
    license_ids = frozenset(license_ids)
    _, applied_column = record_columns()
    rows = _licensed(license_ids, statuses, among).values("permit_id", applied=F(applied_column))
    if len(license_ids) > 1:
        # A permit can name two of the licenses; one license names a permit once.
        rows = rows.distinct()
    return rows.order_by("-applied", "-permit_id")


def licensed_permit_ids(
    *, license_ids: Iterable[int], statuses: Iterable[str], among: QuerySet | None = None
) -> QuerySet:
    """The `permit_id`s of `licensed_permit_rows`, for an IN (My Records' "Needs my action")."""
    return _licensed(frozenset(license_ids), statuses, among).values("permit_id")


def licensed_permit_countable(
    *, license_ids: Iterable[int], statuses: Iterable[str], among: QuerySet | None = None
) -> Countable:
    """How many `licensed_permit_rows` there are, to count with other lists in one query
    (`core.pagination.count_each`)."""
    license_ids = frozenset(license_ids)
    distinct = "permit_id" if len(license_ids) > 1 else None
    return Countable(_licensed(license_ids, statuses, among), distinct)


# What the user's permits owe: one row per license (LicenseFeesDue, kept by triggers) for a
# contractor with one license; the distinct permits' due fees for several (a permit can name
# two of them). Cast: the UNION's column is a count elsewhere.
_FEES_DUE_ONE_LICENSE = """
SELECT %s, CAST(COALESCE(SUM(amount), 0) AS numeric) FROM permits_licensefeesdue
 WHERE license_id IN %s"""
_FEES_DUE_LICENSES = """
SELECT %s, CAST(COALESCE(SUM(amount), 0) AS numeric) FROM permits_fee
 WHERE status = 'due' AND permit_id IN (
       SELECT permit_id FROM permits_permitlicense WHERE license_id IN %s)"""


def my_fees_due_part(*, user, label: str) -> Part:
    """(label, the fees due on the user's records) for the dashboard's one query of totals."""
    license_ids = sorted(record_license_ids(user))
    sql = _FEES_DUE_ONE_LICENSE if len(license_ids) == 1 else _FEES_DUE_LICENSES
    return Part(sql, (label, license_ids))


def my_fees_due(*, user) -> Decimal:
    """The fees due on the user's records, by the plain definition (any database, any user)."""
    total = Fee.objects.filter(
        status=FeeStatus.DUE, permit__in=permits_visible_to(user).values("pk")
    ).aggregate(total=Sum("amount"))["total"]
    return as_money(total)


def my_collections_count_part(*, user, label: str) -> Part:
    """(label, how many collections the user has)."""
    return Part("SELECT %s, COUNT(*) FROM permits_collection WHERE owner_id = %s", (label, user.pk))
