"""Reads of inspections."""

from django.db.models import QuerySet

from permits.models import Permit

from .models import Inspection, InspectionStatus


def upcoming_inspections(*, permits: QuerySet[Permit]) -> QuerySet[Inspection]:
    """Scheduled inspections of the given permits, soonest first."""
    return (
        Inspection.objects.filter(
            permit__in=permits.values("pk"), status=InspectionStatus.SCHEDULED
        )
        .select_related("permit", "inspection_type")
        .order_by("scheduled_for", "id")
    )


def completed_inspections(*, permits: QuerySet[Permit]) -> QuerySet[Inspection]:
    """Resulted inspections of the given permits, latest first."""
    return (
        Inspection.objects.filter(
            permit__in=permits.values("pk"), status=InspectionStatus.COMPLETED
        )
        .select_related("permit", "inspection_type")
        .order_by("-completed_on", "-id")
    )
