"""Reads of inspections."""

import datetime

from django.db.models import F, QuerySet
from django.utils import timezone

from core.sql import expand, in_order, partial
from permits.access import record_permit_ids
from permits.models import Permit

from .models import Inspection, InspectionStatus, InspectionType

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


def my_inspection_counts(*, user, days: int = RECENT_RESULTS_DAYS) -> dict[str, int]:
    """The totals of the two lists above ("upcoming", "completed")."""
    return {
        "upcoming": my_upcoming_inspection_rows(user=user).count(),
        "completed": my_recent_result_rows(user=user, days=days).count(),
    }


# What a list of inspections shows: a page of fifty of them stays one short query.
INSPECTIONS_BY_ID_SQL = """
SELECT i.id, i.permit_id, i.inspection_type_id, i.status, i.scheduled_for, i.time_preference,
       i.completed_on, i.result, i.result_comments,
       p.number AS permit_number, p.status AS permit_status,
       t.code AS type_code, t.name AS type_name
  FROM inspections_inspection i
  JOIN permits_permit p ON p.id = i.permit_id
  JOIN inspections_inspectiontype t ON t.id = i.inspection_type_id
 WHERE i.id IN %s
"""


def inspections_in_order(inspection_ids: list[int]) -> list[Inspection]:
    """The inspections, with their permit's number and their type, in the order of the ids: one
    query, written out (core.sql), of the columns a list of inspections shows."""
    if not inspection_ids:
        return []
    found = list(Inspection.objects.raw(*expand(INSPECTIONS_BY_ID_SQL, [inspection_ids])))
    for inspection in found:
        db = inspection._state.db
        inspection.permit = partial(
            Permit,
            db,
            id=inspection.permit_id,
            number=inspection.permit_number,
            status=inspection.permit_status,
        )
        inspection.inspection_type = partial(
            InspectionType,
            db,
            id=inspection.inspection_type_id,
            code=inspection.type_code,
            name=inspection.type_name,
        )
    return in_order(found, inspection_ids)
