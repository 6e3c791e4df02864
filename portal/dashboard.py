"""The dashboard's four lists (active permits, upcoming inspections, recent results, expired
permits), each with its total and its own page, and the header's two badges.

Two ways to read them, with the same answers (tests/portal/test_dashboard_paths.py):

- By license, on PostgreSQL, when all of a user's records come through licenses (nobody named
  them as a contact on a permit): the totals from the per-license counts and indexes that
  triggers keep (LicensePermitCount, PermitLicense's copies of status and date,
  InspectionLicense), in one hand-written query, and the four pages of ids in another. A
  contractor with 50,000 permits gets the page in a few milliseconds; the ORM took longer to
  build these two UNIONs than PostgreSQL took to answer them.
- Generally, through the ORM (SQLite, and users named as contacts).

Either way the pages' permits and inspections are then loaded in one query each.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Page
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from core.pagination import Countable, count_each, paginate, read_pages
from core.sql import expand
from inspections.models import InspectionStatus
from inspections.selectors import (
    RECENT_RESULTS_DAYS,
    inspections_in_order,
    my_inspection_counts,
    my_recent_result_rows,
    my_upcoming_inspection_rows,
)
from licenses.access import contractor_scope
from payments.models import CartLine
from permits.access import is_a_contact, record_countables, record_license_ids
from permits.models import ACTIVE_STATUSES, Collection, PermitStatus
from permits.selectors import my_active_permits, my_expired_permits, permits_in_order

PERMIT_LISTS = {"active": list(ACTIVE_STATUSES), "expired": [PermitStatus.EXPIRED]}
PAGE_PARAMS = {
    "active": "active_page",
    "expired": "expired_page",
    "upcoming": "inspections_page",
    "completed": "completed_page",
}


@dataclass
class Dashboard:
    active: Page
    expired: Page
    upcoming: Page
    completed: Page
    collection_count: int
    cart_count: int


def read_dashboard(request: HttpRequest, user, *, by_license: bool | None = None) -> Dashboard:
    """The dashboard's lists at the pages the request asks for (a page past the end shows the
    last one, with a message). `by_license` forces one way of reading (tests)."""
    if by_license is None:
        by_license = reads_by_license(user)
    since = timezone.localdate() - datetime.timedelta(days=RECENT_RESULTS_DAYS)
    read = _ByLicense(user, since) if by_license else _General(user)
    counts = read.counts()
    size = settings.DASHBOARD_PAGE_SIZE
    pages = {
        name: paginate(request, read.rows(name), size, param, count=counts[name])
        for name, param in PAGE_PARAMS.items()
    }
    read.fill(pages)
    _load(pages, ("active", "expired"), "permit_id", permits_in_order)
    _load(pages, ("upcoming", "completed"), "inspection_id", inspections_in_order)
    return Dashboard(
        **pages,
        collection_count=counts["collection_count"],
        cart_count=counts["cart_count"],
    )


def reads_by_license(user) -> bool:
    return (
        connection.vendor == "postgresql"
        and contractor_scope(user).verified
        and not is_a_contact(user)
    )


def _load(pages: dict[str, Page], names, key: str, load: Callable[[list[int]], list]) -> None:
    """Turn pages of id rows into pages of objects, loading every page's objects at once."""
    ids = {name: [row[key] for row in pages[name].object_list] for name in names}
    loaded = {obj.pk: obj for obj in load([pk for name in names for pk in ids[name]])}
    for name in names:
        pages[name].object_list = [loaded[pk] for pk in ids[name] if pk in loaded]


class _General:
    """Through the ORM: the totals in one query where the lists allow, the pages' ids in one
    more (`count_each`, `read_pages`)."""

    FIELDS = {
        "active": ("permit_id", "applied"),
        "expired": ("permit_id", "applied"),
        "upcoming": ("inspection_id", "scheduled_for"),
        "completed": ("inspection_id", "completed_on"),
    }

    def __init__(self, user):
        self.user = user
        self.queries = {
            "active": my_active_permits(user=user),
            "expired": my_expired_permits(user=user),
            "upcoming": my_upcoming_inspection_rows(user=user),
            "completed": my_recent_result_rows(user=user),
        }

    def counts(self) -> dict[str, int]:
        user = self.user
        return count_each(
            {
                **record_countables(user, PERMIT_LISTS),
                **my_inspection_counts(user=user),
                "collection_count": Countable(Collection.objects.filter(owner=user)),
                "cart_count": Countable(CartLine.objects.filter(user=user)),
            }
        )

    def rows(self, name: str):
        return self.queries[name]

    def fill(self, pages: dict[str, Page]) -> None:
        read_pages({name: (page, self.FIELDS[name]) for name, page in pages.items()})


# By license (PostgreSQL). Each part is one row of the totals or one page of ids, read from its
# own index; %s are parameters only.
_COUNT_PERMITS_ONE_LICENSE = """
SELECT %s, COALESCE(SUM(permits), 0) FROM permits_licensepermitcount
 WHERE license_id IN %s AND status IN %s"""
# A permit can name two of the user's licenses; one license names it once.
_COUNT_PERMITS = """
SELECT %s, COUNT(DISTINCT permit_id) FROM permits_permitlicense
 WHERE license_id IN %s AND status IN %s"""
_COUNT_UPCOMING = """
SELECT %s, COUNT(DISTINCT inspection_id) FROM inspections_inspectionlicense
 WHERE license_id IN %s AND status = %s AND scheduled_for >= %s"""
_COUNT_COMPLETED = """
SELECT %s, COUNT(DISTINCT inspection_id) FROM inspections_inspectionlicense
 WHERE license_id IN %s AND status = %s AND completed_on >= %s"""
_COUNT_COLLECTIONS = "SELECT %s, COUNT(*) FROM permits_collection WHERE owner_id = %s"
_COUNT_CART = "SELECT %s, COUNT(*) FROM payments_cartline WHERE user_id = %s"

_PAGE_PERMITS = """
(SELECT DISTINCT %s, permit_id, applied_on FROM permits_permitlicense
  WHERE license_id IN %s AND status IN %s
  ORDER BY applied_on DESC, permit_id DESC LIMIT %s OFFSET %s)"""
_PAGE_UPCOMING = """
(SELECT DISTINCT %s, inspection_id, scheduled_for FROM inspections_inspectionlicense
  WHERE license_id IN %s AND status = %s AND scheduled_for >= %s
  ORDER BY scheduled_for, inspection_id LIMIT %s OFFSET %s)"""
_PAGE_COMPLETED = """
(SELECT DISTINCT %s, inspection_id, completed_on FROM inspections_inspectionlicense
  WHERE license_id IN %s AND status = %s AND completed_on >= %s
  ORDER BY completed_on DESC, inspection_id DESC LIMIT %s OFFSET %s)"""


def _one_license(sql: str) -> str:
    """With one license no row repeats: without DISTINCT, PostgreSQL reads a page straight from
    the index and stops at its last row."""
    return sql.replace("COUNT(DISTINCT inspection_id)", "COUNT(*)").replace("DISTINCT ", "")


class _ByLicense:
    def __init__(self, user, since: datetime.date):
        self.user = user
        self.since = since
        self.today = timezone.localdate()
        self.licenses = sorted(record_license_ids(user))
        self.one = len(self.licenses) == 1

    def _sql(self, sql: str) -> str:
        return _one_license(sql) if self.one else sql

    def _conditions(self, name: str) -> tuple[str, list]:
        """The part's SQL for list `name` (pages or counts) and its parameters after the
        list's name."""
        if name in PERMIT_LISTS:
            return "permits", [self.licenses, PERMIT_LISTS[name]]
        if name == "upcoming":
            return "upcoming", [self.licenses, InspectionStatus.SCHEDULED, self.today]
        return "completed", [self.licenses, InspectionStatus.COMPLETED, self.since]

    def counts(self) -> dict[str, int]:
        sql = {
            "permits": _COUNT_PERMITS_ONE_LICENSE if self.one else _COUNT_PERMITS,
            "upcoming": self._sql(_COUNT_UPCOMING),
            "completed": self._sql(_COUNT_COMPLETED),
        }
        parts, params = [], []
        for name in PAGE_PARAMS:
            kind, values = self._conditions(name)
            parts.append(sql[kind])
            params += [name, *values]
        parts += [_COUNT_COLLECTIONS, _COUNT_CART]
        params += ["collection_count", self.user.pk, "cart_count", self.user.pk]
        with connection.cursor() as cursor:
            cursor.execute(*expand(" UNION ALL ".join(parts), params))
            return {name: int(total) for name, total in cursor.fetchall()}

    def rows(self, name: str) -> list:
        return []  # filled by `fill`, once the page numbers are known

    def fill(self, pages: dict[str, Page]) -> None:
        sql = {
            "permits": self._sql(_PAGE_PERMITS),
            "upcoming": self._sql(_PAGE_UPCOMING),
            "completed": self._sql(_PAGE_COMPLETED),
        }
        parts, params = [], []
        for name, page in pages.items():
            if not page.paginator.count:
                continue
            kind, values = self._conditions(name)
            size = page.paginator.per_page
            parts.append(sql[kind])
            params += [name, *values, size, (page.number - 1) * size]
        if not parts:
            return
        with connection.cursor() as cursor:
            cursor.execute(*expand(" UNION ALL ".join(parts), params))
            rows = cursor.fetchall()
        for name, page in pages.items():
            key = "permit_id" if name in PERMIT_LISTS else "inspection_id"
            mine = sorted(
                ((day, pk) for list_name, pk, day in rows if list_name == name),
                reverse=name != "upcoming",  # soonest first; the others latest first
            )
            page.object_list = [{key: pk} for _, pk in mine]
