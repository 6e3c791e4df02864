"""Reads of inspections."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.pagination import Countable
from core.sql import Part, in_order
from permits.models import PermitType
from permits.scopes import record_license_ids, record_permit_ids

from .models import Inspection, InspectionStatus, InspectionType, Inspector, TimePreference

RECENT_RESULTS_DAYS = 30


def upcoming_inspections(*, permit_ids: QuerySet) -> QuerySet[Inspection]:
    """Scheduled inspections of the given permits (a subquery of ids) from today on, soonest
    first."""
    return (
        Inspection.objects.filter(
            permit_id__in=permit_ids,
            status=InspectionStatus.SCHEDULED,
            scheduled_for__gte=timezone.localdate(),
        )
        .select_related("permit", "inspection_type")
        .order_by("scheduled_for", "id")
    )


def completed_inspections(
    *, permit_ids: QuerySet, days: int = RECENT_RESULTS_DAYS
) -> QuerySet[Inspection]:
    """Inspections of the given permits resulted in the last `days` days, latest first: the
    dashboard's recent results (each permit's page keeps its whole history)."""
    since = timezone.localdate() - datetime.timedelta(days=days)
    return (
        Inspection.objects.filter(
            permit_id__in=permit_ids,
            status=InspectionStatus.COMPLETED,
            completed_on__gte=since,
        )
        .select_related("permit", "inspection_type")
        .order_by("-completed_on", "-id")
    )


def my_upcoming_inspection_rows(*, user) -> QuerySet:
    """{"inspection_id": ...} of the user's upcoming inspections, soonest first. (The dashboard
    reads PostgreSQL's per-license index instead: portal.dashboard.)"""
    return (
        upcoming_inspections(permit_ids=record_permit_ids(user))
        .select_related(None)
        .values("scheduled_for", inspection_id=F("pk"))
    )


def my_recent_result_rows(*, user, days: int = RECENT_RESULTS_DAYS) -> QuerySet:
    """{"inspection_id": ...} of the user's inspections resulted in the last `days` days,
    latest first."""
    return (
        completed_inspections(permit_ids=record_permit_ids(user), days=days)
        .select_related(None)
        .values("completed_on", inspection_id=F("pk"))
    )


def my_inspection_countables(*, user, days: int = RECENT_RESULTS_DAYS) -> dict[str, Countable]:
    """The totals of the two lists above ("upcoming", "completed"), to count with others in
    one query (core.pagination.count_each)."""
    return {
        "upcoming": Countable(my_upcoming_inspection_rows(user=user)),
        "completed": Countable(my_recent_result_rows(user=user, days=days)),
    }


# The dashboard's inspection lists, written out (portal.dashboard, on PostgreSQL, for a
# contractor whose records all come through licenses): read from InspectionLicense's partial
# indexes, which triggers keep, rather than joining the city's inspections against 50,000
# permits. tests/portal/test_dashboard_paths.py holds them to the lists above, page by page.
_COUNT_UPCOMING = """
SELECT %s, COUNT(DISTINCT inspection_id) FROM inspections_inspectionlicense
 WHERE license_id IN %s AND status = %s AND scheduled_for >= %s"""
_COUNT_COMPLETED = """
SELECT %s, COUNT(DISTINCT inspection_id) FROM inspections_inspectionlicense
 WHERE license_id IN %s AND status = %s AND completed_on >= %s"""
_PAGE_UPCOMING = """
(SELECT DISTINCT %s, inspection_id, scheduled_for FROM inspections_inspectionlicense
  WHERE license_id IN %s AND status = %s AND scheduled_for >= %s
  ORDER BY scheduled_for, inspection_id LIMIT %s OFFSET %s)"""
_PAGE_COMPLETED = """
(SELECT DISTINCT %s, inspection_id, completed_on FROM inspections_inspectionlicense
  WHERE license_id IN %s AND status = %s AND completed_on >= %s
  ORDER BY completed_on DESC, inspection_id DESC LIMIT %s OFFSET %s)"""


def _part(sql: str, user, label: str, *params) -> Part:
    """An inspection of a permit naming two of the user's licenses has a row for each. With one
    license none repeats: without DISTINCT, PostgreSQL reads a page straight from the index and
    stops at its last row."""
    license_ids = sorted(record_license_ids(user))
    if len(license_ids) == 1:
        sql = sql.replace("COUNT(DISTINCT inspection_id)", "COUNT(*)").replace("DISTINCT ", "")
    return Part(sql, (label, license_ids, *params))


def _since(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def my_upcoming_count_part(*, user, label: str) -> Part:
    """(label, how many upcoming inspections the user has)."""
    return _part(_COUNT_UPCOMING, user, label, InspectionStatus.SCHEDULED, timezone.localdate())


def my_upcoming_page_part(*, user, label: str, limit: int, offset: int) -> Part:
    """(label, inspection id, date) of a page of the user's upcoming inspections, soonest
    first."""
    today = timezone.localdate()
    return _part(_PAGE_UPCOMING, user, label, InspectionStatus.SCHEDULED, today, limit, offset)


def my_recent_results_count_part(*, user, label: str, days: int = RECENT_RESULTS_DAYS) -> Part:
    """(label, how many inspections of the user's were resulted in the last `days` days)."""
    return _part(_COUNT_COMPLETED, user, label, InspectionStatus.COMPLETED, _since(days))


def my_recent_results_page_part(
    *, user, label: str, limit: int, offset: int, days: int = RECENT_RESULTS_DAYS
) -> Part:
    """(label, inspection id, date) of a page of those, latest first."""
    return _part(
        _PAGE_COMPLETED, user, label, InspectionStatus.COMPLETED, _since(days), limit, offset
    )


# What a list of inspections shows: a page of fifty of them stays one short query.
LIST_COLUMNS = (
    "permit_id",
    "inspection_type_id",
    "status",
    "scheduled_for",
    "time_preference",
    "completed_on",
    "result",
    "result_comments",
    "permit__number",
    "permit__status",
    "inspection_type__code",
    "inspection_type__name",
)


def inspections_in_order(inspection_ids: list[int]) -> list[Inspection]:
    """The inspections, with their permit's number and their type, in the order of the ids: one
    query of the columns a list of inspections shows."""
    if not inspection_ids:
        return []
    found = (
        Inspection.objects.filter(pk__in=inspection_ids)
        .select_related("permit", "inspection_type")
        .only(*LIST_COLUMNS)
        .order_by()
    )
    return in_order(found, inspection_ids)


def inspection_types_for(permit_type_id: int) -> QuerySet[InspectionType]:
    """The inspections a permit of this type can have: its type's own list, or the city-wide
    list (inspection types without a permit type) when it has none."""
    own = InspectionType.objects.filter(permit_type_id=permit_type_id)
    if own.exists():
        return own.order_by("code")
    return InspectionType.objects.filter(permit_type__isnull=True).order_by("code")


def permit_types_without_inspections() -> QuerySet:
    """Permit types with no inspection of their own (imported ones, typically): contractors
    can request on them only what the city-wide list offers."""
    return PermitType.objects.exclude(
        pk__in=InspectionType.objects.filter(permit_type__isnull=False).values("permit_type_id")
    )


def inspections_card_section(permit):
    """The permit card's grid: each inspection of the permit's type, with the date and result of
    its latest completed visit (blank until one is made)."""
    from permits.cards import CardSection

    from .models import Inspection, InspectionStatus, InspectionType

    latest = {}
    for inspection in (
        Inspection.objects.filter(permit=permit, status=InspectionStatus.COMPLETED)
        .order_by("completed_on", "id")
        .only("inspection_type_id", "completed_on", "result")
    ):
        latest[inspection.inspection_type_id] = inspection
    rows = []
    for kind in InspectionType.objects.filter(permit_type=permit.permit_type_id).order_by("code"):
        done = latest.get(kind.pk)
        rows.append(
            [
                f"{kind.code} {kind.name}",
                date_format(done.completed_on, "SHORT_DATE_FORMAT")
                if done and done.completed_on
                else "",
                done.get_result_display() if done else "",
            ]
        )
    return CardSection(
        title=_("Inspections"), columns=[_("Inspection"), _("Date"), _("Result")], rows=rows
    )


# Route order: the morning's requests, then those without a preference, then the afternoon's;
# within each, by ZIP code, street and house number, so one part of town follows another. The
# portal keeps no map: this is the order an inspector can check against the addresses.
_WINDOW_ORDER = {TimePreference.AM: 0, TimePreference.ANY: 1, TimePreference.PM: 2}


def route_key(stop: Inspection) -> tuple:
    return (
        _WINDOW_ORDER.get(stop.time_preference, 1),
        stop.permit.zip_code,
        stop.permit.street_name,
        stop.permit.street_number.zfill(8),
        stop.pk,
    )


def in_route_order(stops: Iterable[Inspection]) -> list[Inspection]:
    return sorted(stops, key=route_key)


@dataclass
class InspectorDay:
    """My stops: an inspector's open inspections of one day, in route order."""

    day: datetime.date
    stops: list[Inspection] = field(default_factory=list)


@dataclass
class InspectorStops:
    overdue: list[Inspection]  # earlier days', still without a result
    today: InspectorDay
    upcoming: list[InspectorDay]  # later days, soonest first
    resulted_today: list[Inspection]  # recorded today, latest first (re-inspection offers)


MY_STOPS_DAYS_AHEAD = 14


def inspector_stops(
    *, inspector: Inspector | None, today: datetime.date | None = None
) -> InspectorStops:
    """An inspector's open inspections: today's and the next days' (up to two weeks), each day
    in route order, those of earlier days not yet resulted, and today's results. Three
    queries."""
    today = today or timezone.localdate()
    empty = InspectorStops(overdue=[], today=InspectorDay(today), upcoming=[], resulted_today=[])
    if inspector is None:
        return empty
    columns = ("permit", "permit__permit_type", "inspection_type")
    open_stops = Inspection.objects.filter(
        inspector=inspector,
        status=InspectionStatus.SCHEDULED,
        scheduled_for__lte=today + datetime.timedelta(days=MY_STOPS_DAYS_AHEAD),
    ).select_related(*columns)
    by_day = sorted(open_stops, key=lambda stop: (stop.scheduled_for or today, route_key(stop)))
    days = {
        day: list(stops) for day, stops in groupby(by_day, key=lambda s: s.scheduled_for or today)
    }
    since = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    resulted = (
        Inspection.objects.filter(inspector=inspector, resulted_at__gte=since)
        .select_related(*columns, "reinspection")
        .order_by("-resulted_at", "-id")
    )
    return InspectorStops(
        overdue=[stop for day, stops in days.items() if day < today for stop in stops],
        today=InspectorDay(today, days.get(today, [])),
        upcoming=[InspectorDay(day, stops) for day, stops in days.items() if day > today],
        resulted_today=list(resulted),
    )
