from django.db import models
from django.utils import timezone

from permits.models import Permit, PermitType

from .exceptions import InvalidInspectionStatusMove


class InspectionType(models.Model):
    """An inspection a permit of one type can have, e.g. 101 Footing or 199 Final."""

    permit_type = models.ForeignKey(
        PermitType, on_delete=models.CASCADE, related_name="inspection_types"
    )
    code = models.CharField(max_length=10)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["permit_type", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["permit_type", "code"], name="inspection_type_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class InspectionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class InspectionResult(models.TextChoices):
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    PARTIAL = "partial", "Partial"
    NOT_READY = "not_ready", "Not Ready"
    CANCELLED = "cancelled", "Cancelled"


class Inspection(models.Model):
    Status = InspectionStatus
    Result = InspectionResult

    ALLOWED_MOVES: dict[str, set[str]] = {
        InspectionStatus.SCHEDULED: {InspectionStatus.COMPLETED, InspectionStatus.CANCELLED},
        InspectionStatus.COMPLETED: set(),
        InspectionStatus.CANCELLED: set(),
    }

    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="inspections")
    inspection_type = models.ForeignKey(
        InspectionType, on_delete=models.PROTECT, related_name="inspections"
    )
    status = models.CharField(
        max_length=10, choices=InspectionStatus, default=InspectionStatus.SCHEDULED
    )
    scheduled_for = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    result = models.CharField(max_length=10, choices=InspectionResult, blank=True)
    # Shown on the public permit page.
    result_comments = models.TextField("public result comments", blank=True)
    # Never shown on the portal: for staff and inspectors only.
    inspector_notes = models.TextField("internal notes", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        indexes = [models.Index(fields=["permit", "status"], name="inspection_permit_status")]

    def __str__(self) -> str:
        return f"{self.inspection_type} on {self.permit}"

    def move_to(self, status: str) -> None:
        """Change the status, refusing a move inspections do not make. The caller saves."""
        if status == self.status:
            return
        if status not in self.ALLOWED_MOVES[self.status]:
            raise InvalidInspectionStatusMove(
                f"A {self.get_status_display().lower()} inspection cannot become "
                f"{InspectionStatus(status).label.lower()}."
            )
        self.status = status
