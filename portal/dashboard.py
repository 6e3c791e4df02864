"""The dashboard's four lists (active permits, upcoming inspections, recent results, expired
permits), each with its total and its own page, the header's two badges, and "Needs your
action" (portal.actions: each kind's total and first rows).

Two ways to read them, with the same answers (tests/portal/test_dashboard_paths.py), each in
two queries (the totals and badges, then the pages of ids), composed here from what the apps'
selectors offer; this module names no table:

- By license, on PostgreSQL, when all of a user's records come through licenses (nobody named
  them as a contact on a permit): the apps' hand-written parts, read from the per-license counts
  and indexes that triggers keep (LicensePermitCount, PermitLicense's copies of status and
  date, InspectionLicense), joined by `core.sql.union_all`. A contractor with 50,000 permits
  gets the page in a few milliseconds; the ORM took longer to build these two UNIONs than
  PostgreSQL took to answer them (measured: docs/performance.md).
- Generally, through the ORM (SQLite, and users named as contacts): `count_each`, `read_pages`.

"Needs your action" (portal.actions) is four more lists, each its total and first rows, read
with the others: by license, in the same two queries.

Either way the pages' permits and inspections are then loaded in one query each.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.http import HttpRequest

from core.money import as_money
from core.pagination import Countable, count_each, paginate, read_pages
from core.sql import union_all
from inspections.selectors import (
    inspections_in_order,
    my_inspection_countables,
    my_recent_result_rows,
    my_recent_results_count_part,
    my_recent_results_page_part,
    my_upcoming_count_part,
    my_upcoming_inspection_rows,
    my_upcoming_page_part,
)
from licenses.scope import contractor_scope
from payments.models import CartLine
from payments.selectors import cart_count_part
from permits.dashboard_reads import (
    my_active_permits,
    my_collections_count_part,
    my_expired_permits,
    my_fees_due,
    my_fees_due_part,
    my_permits_count_part,
    my_permits_page_part,
)
from permits.models import ACTIVE_STATUSES, Collection, PermitStatus
from permits.scopes import is_a_contact, record_countables
from permits.selectors import permits_in_order

from .actions import ACTION_KINDS, ACTION_ROWS, choose_rows

PERMIT_ROW = ("permit_id", "applied")
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
    fees_due: Decimal
    # "Needs your action": each kind's first page (portal.actions), its rows the section shows.
    actions: dict[str, Page]


def read_dashboard(request: HttpRequest, user, *, by_license: bool | None = None) -> Dashboard:
    """The dashboard's lists at the pages the request asks for (a page past the end shows the
    last one, with a message). `by_license` forces one way of reading (tests)."""
    if by_license is None:
        by_license = reads_by_license(user)
    read = _ByLicense(user) if by_license else _General(user)
    counts = read.counts()
    size = settings.DASHBOARD_PAGE_SIZE
    pages = {
        name: paginate(request, read.rows(name), size, param, count=counts[name])
        for name, param in PAGE_PARAMS.items()
    }
    for name in ACTION_KINDS:
        paginator = Paginator(read.rows(name), ACTION_ROWS)
        paginator.__dict__["count"] = counts[name]  # counted with the others
        pages[name] = paginator.page(1)
    read.fill(pages)
    shown = choose_rows({name: pages[name].object_list for name in ACTION_KINDS})
    for name, rows in shown.items():
        pages[name].object_list = rows
    _load(pages, ("active", "expired", *ACTION_KINDS), "permit_id", permits_in_order)
    _load(pages, ("upcoming", "completed"), "inspection_id", inspections_in_order)
    return Dashboard(
        **{name: pages[name] for name in PAGE_PARAMS},
        collection_count=counts["collection_count"],
        cart_count=counts["cart_count"],
        fees_due=as_money(counts["fees_due"]),
        actions={name: pages[name] for name in ACTION_KINDS},
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
        for name, kind in ACTION_KINDS.items():
            self.queries[name] = kind.rows(user)

    def counts(self) -> dict[str, int]:
        user = self.user
        return count_each(
            {
                **record_countables(user, PERMIT_LISTS),
                **my_inspection_countables(user=user),
                "collection_count": Countable(Collection.objects.filter(owner=user)),
                "cart_count": Countable(CartLine.objects.filter(user=user)),
                **{name: kind.countable(user) for name, kind in ACTION_KINDS.items()},
            }
        ) | {"fees_due": my_fees_due(user=user)}

    def rows(self, name: str):
        return self.queries[name]

    def fill(self, pages: dict[str, Page]) -> None:
        fields = self.FIELDS
        read_pages({name: (page, fields.get(name, PERMIT_ROW)) for name, page in pages.items()})


class _ByLicense:
    """The apps' hand-written parts (their selectors), in one UNION ALL for the totals and one
    for the pages."""

    COUNT_PARTS = {
        "upcoming": my_upcoming_count_part,
        "completed": my_recent_results_count_part,
        "collection_count": my_collections_count_part,
        "cart_count": cart_count_part,
    }
    PAGE_PARTS = {"upcoming": my_upcoming_page_part, "completed": my_recent_results_page_part}

    def __init__(self, user):
        self.user = user

    def counts(self) -> dict[str, int]:
        user = self.user
        parts = [
            *(
                my_permits_count_part(user=user, label=name, statuses=statuses)
                for name, statuses in PERMIT_LISTS.items()
            ),
            *(part(user=user, label=name) for name, part in self.COUNT_PARTS.items()),
            *(kind.count_part(user, label=name) for name, kind in ACTION_KINDS.items()),
        ]
        parts.append(my_fees_due_part(user=user, label="fees_due"))
        return {
            name: total if name == "fees_due" else int(total) for name, total in union_all(parts)
        }

    def rows(self, name: str) -> list:
        return []  # filled by `fill`, once the page numbers are known

    def fill(self, pages: dict[str, Page]) -> None:
        parts = []
        for name, page in pages.items():
            if not page.paginator.count:
                continue
            size = page.paginator.per_page
            where = {"label": name, "limit": size, "offset": (page.number - 1) * size}
            if name in PERMIT_LISTS:
                parts.append(
                    my_permits_page_part(user=self.user, statuses=PERMIT_LISTS[name], **where)
                )
            elif name in ACTION_KINDS:
                parts.append(ACTION_KINDS[name].page_part(self.user, **where))
            else:
                parts.append(self.PAGE_PARTS[name](user=self.user, **where))
        rows = union_all(parts)
        for name, page in pages.items():
            key = "inspection_id" if name in self.PAGE_PARTS else "permit_id"
            mine = sorted(
                ((day, pk) for list_name, pk, day in rows if list_name == name),
                reverse=name != "upcoming",  # soonest first; the others latest first
            )
            page.object_list = [{key: pk} for _, pk in mine]
