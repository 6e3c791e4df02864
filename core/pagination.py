"""Pages of long lists, with their total, in one query where the database allows.

A page and its total usually cost two queries that find the same rows twice (the total, then
the page). For a search, whose rows come from a bitmap scan that finds them all anyway,
`WindowPaginator` asks for both at once, `COUNT(*) OVER ()` riding along with the page's rows,
and counts separately only when a page past the first is empty (to find the last page) or the
query cannot carry a window (DISTINCT, UNION). An empty first page is a total of none. For
lists read in index order with a LIMIT (My Records), the plain paginator is faster: its count
is an index-only scan and its page stops after ten rows.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import EmptyPage, Page, Paginator
from django.db import connection
from django.db.models import Count, QuerySet, Sum, Value, Window
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

TOTAL = "_window_total"


class WindowPaginator(Paginator):
    def page(self, number) -> Page:
        number = self.validate_number(number) if "count" in self.__dict__ else int(number)
        queryset = self.object_list
        if "count" not in self.__dict__ and window_ready(queryset) and number >= 1:
            bottom = (number - 1) * self.per_page
            rows = list(
                queryset.annotate(**{TOTAL: Window(Count("*"))})[bottom : bottom + self.per_page]
            )
            if rows:
                first = rows[0]
                self.__dict__["count"] = (
                    first[TOTAL] if isinstance(first, dict) else getattr(first, TOTAL)
                )
                return self._get_page(rows, number, self)
            if bottom == 0:
                # No first page: nothing matches, and counting would only find the same nothing
                # a second time (for a search, a second scan of the index).
                self.__dict__["count"] = 0
        return super().page(number)


def window_ready(queryset) -> bool:
    query = getattr(queryset, "query", None)
    return (
        isinstance(queryset, QuerySet)
        and query is not None
        and not query.distinct
        and not query.combinator
        and not query.is_sliced
    )


def paginate(
    request: HttpRequest,
    queryset,
    per_page: int,
    param: str = "page",
    *,
    window: bool = False,
    count: int | None = None,
) -> Page:
    """The requested page; a page number that is not a number, or is past the end, gives the
    nearest real page and a message rather than an error. `count`, when the caller knows the
    total already (counted together with other lists), saves counting again."""
    paginator = (WindowPaginator if window else Paginator)(queryset, per_page)
    if count is not None:
        paginator.__dict__["count"] = count
    raw = request.GET.get(param, "1").strip()
    # ASCII digits only: int() would also take full-width digits or "1_000".
    if not (raw.isascii() and raw.lstrip("-").isdigit()):
        messages.warning(request, _("That page number is not a number; showing the first page."))
        return paginator.page(1)
    # A page number past any list's end is still a number: asked for as such, without reading
    # thousands of digits or giving the database an offset it cannot hold.
    number = int(raw) if len(raw) <= 9 else 10**9
    if number < 1:
        messages.warning(request, _("Pages start at 1; showing the first page."))
        return paginator.page(1)
    try:
        return paginator.page(number)
    except EmptyPage:
        last = paginator.num_pages
        messages.warning(
            request,
            ngettext(
                "There is no page %(number)s: the results have %(count)s page. Showing the "
                "last page.",
                "There is no page %(number)s: the results have %(count)s pages. Showing the "
                "last page.",
                last,
            )
            % {"number": number, "count": last},
        )
        return paginator.page(last)


@dataclass(frozen=True)
class Countable:
    """A list to count: its rows, and the field to count distinct values of (when the same
    object can appear in two rows), or to add up (rows that are counts already)."""

    queryset: QuerySet
    distinct: str | None = None
    sum: str | None = None

    def total(self) -> Count | Coalesce:
        if self.sum:
            return Coalesce(Sum(self.sum), 0)
        return Count(self.distinct, distinct=True) if self.distinct else Count("*")


def count_each(lists: Mapping[str, "Countable | int"]) -> dict[str, int]:
    """How many rows each list has, in one round trip: a UNION ALL of their counts, each still
    read from its own index. Lists already counted (ints) pass through."""
    counted = [
        countable.queryset.order_by()
        .annotate(list_name=Value(name))
        .values("list_name")
        .annotate(total=countable.total())
        for name, countable in lists.items()
        if isinstance(countable, Countable)
    ]
    totals = {name: value for name, value in lists.items() if isinstance(value, int)}
    if counted:
        first, *rest = counted
        rows = first.union(*rest, all=True) if rest else first
        totals |= {row["list_name"]: row["total"] for row in rows}
    return {name: totals.get(name, 0) for name in lists}


def read_pages(pages: Mapping[str, tuple[Page, tuple[str, ...]]]) -> None:
    """Read several pages of rows (values querysets, e.g. from `paginate(..., count=...)`) in
    one query where the database allows, a UNION ALL of their slices, each still in its own
    index order; `fields` names each page's columns. Pages it cannot combine (a union already)
    read themselves when used."""
    if not connection.features.supports_slicing_ordering_in_compound:
        return
    parts, names = [], {}
    for name, (page, fields) in pages.items():
        rows = page.paginator.object_list
        if not isinstance(rows, QuerySet) or rows.query.combinator or not page.paginator.count:
            continue
        bottom = (page.number - 1) * page.paginator.per_page
        parts.append(
            rows.annotate(list_name=Value(name)).values_list("list_name", *fields)[
                bottom : bottom + page.paginator.per_page
            ]
        )
        names[name] = fields
    if len(parts) < 2:
        return
    read: dict[str, list[dict]] = {name: [] for name in names}
    first, *rest = parts
    for list_name, *values in first.union(*rest, all=True):
        read[list_name].append(dict(zip(names[list_name], values, strict=True)))
    for name, rows in read.items():
        pages[name][0].object_list = rows
