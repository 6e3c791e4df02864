"""Reads of inspections."""

import datetime

from django.db import connection
from django.db.models import F, QuerySet
from django.utils import timezone

from permits.access import is_a_contact, record_license_ids, record_permit_ids
from permits.models import Permit
from permits.pagination import Countable, count_each
from portal.sql import in_order, partial, with_ids

from .models import Inspection, InspectionLicense, InspectionStatus, InspectionType

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


def _by_license_rows(user) -> bool:
    """InspectionLicense answers for the user's licenses (PostgreSQL, where triggers keep it);
    a user named as a contact on permits has records it does not hold."""
    return connection.vendor == "postgresql" and not is_a_contact(user)


def my_upcoming_inspection_rows(*, user) -> QuerySet:
    """{"inspection_id": ...} of the user's upcoming inspections, soonest first: read from an
    index of the user's own rows, however many inspections the city has."""
    today = timezone.localdate()
    if _by_license_rows(user):
        license_ids = record_license_ids(user)
        rows = InspectionLicense.objects.filter(
            license_id__in=license_ids, status=InspectionStatus.SCHEDULED, scheduled_for__gte=today
        ).values("inspection_id", "scheduled_for")
        if len(license_ids) > 1:
            rows = rows.distinct()
        return rows.order_by("scheduled_for", "inspection_id")
    return (
        upcoming_inspections(permit_ids=record_permit_ids(user))
        .select_related(None)
        .values("scheduled_for", inspection_id=F("pk"))
    )


def my_recent_result_rows(*, user, days: int = RECENT_RESULTS_DAYS) -> QuerySet:
    """{"inspection_id": ...} of the user's inspections resulted in the last `days` days,
    latest first."""
    since = timezone.localdate() - datetime.timedelta(days=days)
    if _by_license_rows(user):
        license_ids = record_license_ids(user)
        rows = InspectionLicense.objects.filter(
            license_id__in=license_ids, status=InspectionStatus.COMPLETED, completed_on__gte=since
        ).values("inspection_id", "completed_on")
        if len(license_ids) > 1:
            rows = rows.distinct()
        return rows.order_by("-completed_on", "-inspection_id")
    return (
        completed_inspections(permit_ids=record_permit_ids(user), days=days)
        .select_related(None)
        .values("completed_on", inspection_id=F("pk"))
    )


def my_inspection_countables(
    *, user, days: int = RECENT_RESULTS_DAYS
) -> dict[str, Countable | int]:
    """What to count for the totals of the two lists above ("upcoming", "completed"):
    InspectionLicense's indexes where they answer (count with others in one query,
    `count_each`); counted one by one otherwise."""
    if not _by_license_rows(user):
        return {
            "upcoming": my_upcoming_inspection_rows(user=user).count(),
            "completed": my_recent_result_rows(user=user, days=days).count(),
        }
    today = timezone.localdate()
    license_ids = record_license_ids(user)
    rows = InspectionLicense.objects.filter(license_id__in=license_ids)
    # An inspection's permit can name two of the user's licenses.
    distinct = "inspection_id" if len(license_ids) > 1 else None
    return {
        "upcoming": Countable(
            rows.filter(status=InspectionStatus.SCHEDULED, scheduled_for__gte=today), distinct
        ),
        "completed": Countable(
            rows.filter(
                status=InspectionStatus.COMPLETED,
                completed_on__gte=today - datetime.timedelta(days=days),
            ),
            distinct,
        ),
    }


def my_inspection_counts(*, user, days: int = RECENT_RESULTS_DAYS) -> dict[str, int]:
    return count_each(my_inspection_countables(user=user, days=days))


# What a list of inspections shows: a page of fifty of them stays one short query.
INSPECTIONS_BY_ID_SQL = """
SELECT i.id, i.permit_id, i.inspection_type_id, i.status, i.scheduled_for, i.time_preference,
       i.completed_on, i.result, i.result_comments,
       p.number AS permit_number, p.status AS permit_status,
       t.code AS type_code, t.name AS type_name
  FROM inspections_inspection i
  JOIN permits_permit p ON p.id = i.permit_id
  JOIN inspections_inspectiontype t ON t.id = i.inspection_type_id
 WHERE i.id IN (%s)
"""


def inspections_in_order(inspection_ids: list[int]) -> list[Inspection]:
    """The inspections, with their permit's number and their type, in the order of the ids: one
    query, written out (portal.sql), of the columns a list of inspections shows."""
    if not inspection_ids:
        return []
    found = list(
        Inspection.objects.raw(with_ids(INSPECTIONS_BY_ID_SQL, inspection_ids), inspection_ids)
    )
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
