"""Reads of permits: public search, the detail page and their building blocks."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from core.money import ZERO, as_money
from core.sql import Part, expand, in_order, partial
from licenses.models import License, LicenseType, normalize_license_number
from licenses.selectors import license_labels

from .models import (
    ADDRESS_FIELDS,
    Collection,
    CollectionItem,
    Fee,
    FeeStatus,
    Permit,
    PermitLicense,
    PermitType,
)
from .scopes import permits_visible_to, record_rows


def fees_due_subquery() -> Coalesce:
    """The sum of a permit's due fees, as a correlated subquery: evaluated only for the rows a
    page shows, so a page of 25 permits costs the same however many fees the city holds."""
    due = (
        Fee.objects.filter(permit=OuterRef("pk"), status=FeeStatus.DUE)
        .order_by()
        .values("permit")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=12, decimal_places=2)
    return Coalesce(Subquery(due, output_field=money), Value(ZERO), output_field=money)


def with_fees_due(queryset: QuerySet[Permit]) -> QuerySet[Permit]:
    return queryset.annotate(fees_due=fees_due_subquery())


@dataclass(frozen=True)
class PermitSearch:
    """What a visitor asked for. Empty fields do not filter."""

    permit_number: str = ""
    address: str = ""
    license_number: str = ""
    permit_type: PermitType | None = None
    status: str = ""
    applied_from: datetime.date | None = None
    applied_to: datetime.date | None = None
    issued_from: datetime.date | None = None
    issued_to: datetime.date | None = None
    # "Search my records only": limit to these permits (a queryset of the user's records).
    within: QuerySet | None = None
    # "With fees due only": permits with at least one fee due.
    fees_due: bool = False

    @property
    def narrow(self) -> bool:
        """Whether a filter with an index of its own (address, number, license, my records)
        picks the candidates. Then every match is read anyway, so the page is sorted from the
        matches and the total counted in the same pass; otherwise (type, status, dates alone)
        the page is read in date order and the total counted from an index."""
        return bool(
            self.address or self.permit_number or self.license_number or self.within is not None
        )


def license_numbers_matching(raw: str, prefixes: Iterable[str] | None = None) -> list[str]:
    """A license number as typed: with its prefix it names one license; digits alone could be
    any type's, so they match each prefix in turn."""
    number = normalize_license_number(raw)
    if not number:
        return []
    if number[:1].isdigit():
        if prefixes is None:
            prefixes = LicenseType.objects.values_list("prefix", flat=True)
        return [prefix + number for prefix in prefixes]
    return [number]


def by_status_and_date(queryset: QuerySet, search: PermitSearch) -> QuerySet:
    """The search's status and applied-date range, on a queryset with `status` and
    `applied_on` (permits, or PermitLicense's copies of them)."""
    if search.status:
        queryset = queryset.filter(status=search.status)
    if search.applied_from:
        queryset = queryset.filter(applied_on__gte=search.applied_from)
    if search.applied_to:
        queryset = queryset.filter(applied_on__lte=search.applied_to)
    return queryset


def permit_search(*, search: PermitSearch) -> QuerySet[Permit]:
    """Permits matching every given filter, newest application first, with their fees due (and
    the columns a list of permits shows)."""
    permits = Permit.objects.select_related("permit_type").only(*LIST_COLUMNS)
    if search.permit_number:
        permits = permits.filter(number__startswith=search.permit_number.strip().upper())
    if search.address:
        # address_search is kept upper case by the database (a trigram index on PostgreSQL).
        permits = permits.filter(address_search__contains=" ".join(search.address.upper().split()))
    if search.license_number:
        numbers = license_numbers_matching(search.license_number)
        permits = permits.filter(
            pk__in=Permit.licenses.through.objects.filter(license__number__in=numbers).values(
                "permit_id"
            )
        )
    if search.permit_type is not None:
        permits = permits.filter(permit_type=search.permit_type)
    permits = by_status_and_date(permits, search)
    issued = {"issued_on__gte": search.issued_from, "issued_on__lte": search.issued_to}
    permits = permits.filter(**{name: day for name, day in issued.items() if day})
    if search.within is not None:
        permits = permits.filter(pk__in=search.within.values("pk"))
    if search.fees_due:
        permits = permits.filter(
            Exists(Fee.objects.filter(permit=OuterRef("pk"), status=FeeStatus.DUE))
        )
    permits = with_fees_due(permits)
    if search.narrow:
        # An expression, not the bare column: otherwise PostgreSQL may walk the whole date
        # index to find a rare address, instead of taking the matches from the trigram index.
        return permits.order_by(Coalesce("applied_on", "applied_on").desc(), "-id")
    return permits.order_by("-applied_on", "-id")


def with_professional(queryset: QuerySet[Permit]) -> QuerySet[Permit]:
    """The permit's license professional in the same query (`professional_business`,
    `professional_license`): the first of its licenses by number (a permit names one in nearly
    every city's data), read through the permit's index on PermitLicense. For the CSV, whose
    rows stream; a page reads its professionals in one query of their own
    (`attach_professionals`: computed per match before the page's LIMIT, the subqueries cost
    the number search 2 ms at p95)."""
    first = PermitLicense.objects.filter(permit_id=OuterRef("pk")).order_by("license__number")
    return queryset.annotate(
        professional_business=Subquery(first.values("license__holder__business_name")[:1]),
        professional_license=Subquery(first.values("license__number")[:1]),
    )


def license_search_rows(
    *, search: PermitSearch, record_license_ids: frozenset[int] = frozenset()
) -> QuerySet | None:
    """On PostgreSQL, for a search whose only narrowing filter is one license's number: that
    license's {"permit_id", "applied"} rows, newest first, read in order from PermitLicense's
    indexes (the permit's status and applied date are copied there by triggers), so a license
    with 50,000 permits is counted and paged in milliseconds instead of every match being
    sorted. Page them, then load the page's permits with `permits_in_order`.

    None where it does not apply (SQLite; an address or permit number too; digits without a
    prefix, which could name several licenses whose permits could repeat; "my records only"
    for a license that is not one of `record_license_ids`, the user's): `permit_search`
    answers those."""
    if (
        connection.vendor != "postgresql"
        or search.fees_due
        or search.issued_from
        or search.issued_to
        or not search.license_number
        or search.address
        or search.permit_number
    ):
        return None
    numbers = license_numbers_matching(search.license_number)
    if len(numbers) != 1:
        return None
    license = License.objects.filter(number=numbers[0])
    if search.within is not None and not (
        # "My records only": every permit naming one of the user's record licenses is theirs.
        record_license_ids and license.filter(pk__in=record_license_ids).exists()
    ):
        return None
    # The license's id as a subquery PostgreSQL runs first: its index is then read in order.
    rows = PermitLicense.objects.filter(license_id=Subquery(license.values("id")[:1]))
    # PermitLicense's copies of the permit's status and applied date bear the same names.
    rows = by_status_and_date(rows, search)
    if search.permit_type is not None:
        rows = rows.filter(permit__permit_type=search.permit_type)
    return rows.values("permit_id", applied=F("applied_on")).order_by("-applied", "-permit_id")


def permit_csv_rows(*, search: PermitSearch) -> Iterable[tuple]:
    """The whole result set as plain tuples, fetched in chunks (a server-side cursor on
    PostgreSQL) so memory stays flat however many rows there are."""
    return (
        with_professional(permit_search(search=search))
        .values_list(
            "number",
            "permit_type__name",
            "status",
            "applied_on",
            "issued_on",
            "expires_on",
            "finaled_on",
            *ADDRESS_FIELDS,
            "description",
            "valuation",
            "fees_due",
            "professional_business",
            "professional_license",
        )
        .iterator(chunk_size=2000)
    )


def permit_for_public_detail(*, number: str) -> Permit:
    """One permit with everything the public detail page shows, in a fixed number of queries.
    Raises Permit.DoesNotExist."""
    return (
        Permit.objects.select_related("permit_type")
        .prefetch_related(
            Prefetch("licenses", queryset=License.objects.select_related("holder", "license_type")),
            Prefetch("fees", queryset=Fee.objects.order_by("assessed_on", "id")),
            # Inspections live in an app above this one: reached by the reverse relation's
            # name, never imported.
            "inspections__inspection_type",
        )
        .get(number=number.strip().upper())
    )


@dataclass(frozen=True)
class FeeTotals:
    assessed: Decimal
    paid: Decimal
    waived: Decimal
    due: Decimal


def fee_totals(fees: Iterable[Fee]) -> FeeTotals:
    """Totals of fee lines already loaded (prefetched), without another query."""
    totals = dict.fromkeys(FeeStatus.values, ZERO)
    for fee in fees:
        totals[fee.status] += fee.amount
    return FeeTotals(
        assessed=sum(totals.values(), ZERO),
        paid=totals[FeeStatus.PAID],
        waived=totals[FeeStatus.WAIVED],
        due=totals[FeeStatus.DUE],
    )


def my_records(*, user, fees_due: bool = False) -> QuerySet:
    """My Records: (applied_on, permit_id) rows of every permit of the user's, newest first
    (with `fees_due`, only those with a fee due). Page them, then load the page's permits with
    `permits_in_order`."""
    if not fees_due:
        return record_rows(user)
    return (
        permits_visible_to(user)
        .filter(Exists(Fee.objects.filter(permit=OuterRef("pk"), status=FeeStatus.DUE)))
        .values(permit_id=F("pk"), applied=F("applied_on"))
        .order_by("-applied", "-permit_id")
    )


# What a list of permits shows (with fees due): a page of them stays one short query.
LIST_COLUMNS = (
    "number",
    "status",
    "street_number",
    "street_name",
    "unit",
    "applied_on",
    "issued_on",
    "expires_on",
    "permit_type__code",
    "permit_type__name",
)


# The columns of LIST_COLUMNS, with the permit's fees due.
PERMITS_BY_ID_SQL = """
SELECT p.id, p.number, p.permit_type_id, p.status, p.street_number, p.street_name, p.unit,
       p.applied_on, p.issued_on, p.expires_on,
       (SELECT SUM(f.amount) FROM permits_fee f
         WHERE f.permit_id = p.id AND f.status = %s) AS fees_due,
       t.code AS type_code, t.name AS type_name
  FROM permits_permit p JOIN permits_permittype t ON t.id = p.permit_type_id
 WHERE p.id IN %s
"""


def permits_in_order(permit_ids: list[int]) -> list[Permit]:
    """The permits, with their type and fees due, in the order of the ids: one query, written
    out (core.sql), of the columns a list of permits shows."""
    if not permit_ids:
        return []
    found = list(Permit.objects.raw(*expand(PERMITS_BY_ID_SQL, [FeeStatus.DUE, permit_ids])))
    for permit in found:
        permit.fees_due = as_money(permit.fees_due)
        permit.permit_type = partial(
            PermitType,
            permit._state.db,
            id=permit.permit_type_id,
            code=permit.type_code,
            name=permit.type_name,
        )
    return in_order(found, permit_ids)


def collections_of(*, user) -> QuerySet:
    """The user's collections with the number of permits in each."""
    return Collection.objects.filter(owner=user).annotate(permit_count=Count("items"))


def collection_permits(*, collection) -> QuerySet[Permit]:
    """The permits of a collection, most recently added first, with fees due."""
    items = CollectionItem.objects.filter(collection=collection)
    return (
        with_fees_due(Permit.objects.filter(pk__in=items.values("permit_id")))
        .select_related("permit_type")
        .annotate(added_at=Subquery(items.filter(permit_id=OuterRef("pk")).values("added_at")[:1]))
        .order_by("-added_at", "-id")
    )


def attach_professionals(permits: Iterable[Permit]) -> None:
    """Set `professionals` on each permit of a page: its license professionals as (business,
    license number), by license number. Two short hand-written reads, each app's of its own
    tables: the page's licenses (PERMIT_LICENSES_SQL), then their labels
    (licenses.selectors.license_labels); the ORM's one query across the three tables took longer
    to build than both to run (tests/permits/test_search.py holds them to the ORM)."""
    permits = list(permits)
    if not permits:
        return
    with connection.cursor() as cursor:
        cursor.execute(*expand(PERMIT_LICENSES_SQL, [[permit.pk for permit in permits]]))
        pairs = cursor.fetchall()
    labels = license_labels({license_id for _, license_id in pairs})
    found: dict[int, list[tuple[str, str]]] = {permit.pk: [] for permit in permits}
    for permit_id, license_id in pairs:
        business, number = labels[license_id]
        found[permit_id].append((business, number))
    for permit in permits:
        permit.professionals = sorted(found[permit.pk], key=lambda pair: pair[1])


# The kinds of document a permit has (a document needed before issuance is met by any upload of
# its kind), as a part of plan review's one read of what permits still need
# (reviews.selectors.issuance_missing_of): its columns are that read's.
_DOCUMENT_KINDS = """
SELECT %s, permit_id, CAST(NULL AS bigint), CAST(NULL AS bigint), CAST(kind AS text),
       CAST(NULL AS text), CAST(NULL AS integer), 0
  FROM permits_permitdocument WHERE permit_id IN %s AND kind <> ''"""


def document_kinds_part(*, label: str, permit_ids: list[int]) -> Part:
    """(label, permit id, -, -, kind, -, -, 0) of each kind of document the permits have."""
    return Part(_DOCUMENT_KINDS, (label, permit_ids))


PERMIT_LICENSES_SQL = (
    "SELECT permit_id, license_id FROM permits_permitlicense WHERE permit_id IN %s"
)


def collection_fees_due(*, collection) -> Decimal:
    """The fees due on every permit of a collection."""
    total = Fee.objects.filter(
        permit__in=CollectionItem.objects.filter(collection=collection).values("permit_id"),
        status=FeeStatus.DUE,
    ).aggregate(total=Sum("amount"))["total"]
    return as_money(total)


def collection_permit_ids(*, collection) -> QuerySet:
    """A collection's permits, as a subquery for a search's `within` (its CSV)."""
    return Permit.objects.filter(
        pk__in=CollectionItem.objects.filter(collection=collection).values("permit_id")
    )


PERMIT_TYPES_CACHE_KEY = "permit-types:v1"


@dataclass(frozen=True)
class PermitTypeChoice:
    code: str
    name: str


def permit_type_choices() -> list[PermitTypeChoice]:
    """The permit types for the search form's list, by name, read through the shared cache
    (every search page shows them; permits.signals forgets them when a type changes)."""
    choices = cache.get(PERMIT_TYPES_CACHE_KEY)
    if choices is None:
        choices = [
            PermitTypeChoice(code, name)
            for code, name in PermitType.objects.order_by("name").values_list("code", "name")
        ]
        cache.set(PERMIT_TYPES_CACHE_KEY, choices, 3600)
    return choices


def forget_permit_types() -> None:
    cache.delete(PERMIT_TYPES_CACHE_KEY)
