import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.money import MONEY
from core.status import StatusMachine
from permits.models import Permit, PermitType

from .exceptions import InvalidInspectionStatusMove


class InspectionType(models.Model):
    """An inspection a permit of one type can have, e.g. 101 Footing or 199 Final. Without a
    permit type it is on the city-wide list, which applies to every permit type that has no
    list of its own (inspections.selectors.inspection_types_for)."""

    permit_type = models.ForeignKey(
        PermitType,
        on_delete=models.CASCADE,
        related_name="inspection_types",
        null=True,
        blank=True,
        help_text="Empty: on the city-wide list, for every permit type without its own.",
    )
    code = models.CharField(max_length=10)
    name = models.CharField(max_length=100)
    is_final = models.BooleanField(
        "final inspection",
        default=False,
        help_text="The permit's last inspection: held while a condition to meet before it is open.",
    )
    # The fee schedule's charge for visiting again after this inspection failed (empty: none).
    reinspection_fee = models.DecimalField(
        "re-inspection fee",
        **MONEY,
        null=True,
        blank=True,
        help_text=(
            "Charged on the permit when a re-inspection is requested after this inspection "
            "failed. Empty: no fee."
        ),
    )

    class Meta:
        ordering = ["permit_type", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["permit_type", "code"],
                name="inspection_type_code_unique",
                violation_error_message=(
                    "This permit type already has an inspection with this code."
                ),
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(permit_type__isnull=True),
                name="inspection_type_default_code_unique",
                violation_error_message=(
                    "The city-wide list already has an inspection with this code."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(reinspection_fee__gte=0),
                name="inspection_type_reinspection_fee_gte_0",
                violation_error_message="A re-inspection fee cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Holiday(models.Model):
    """A day the building department does no inspections. Staff keep the list in admin."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.name} ({self.date:%m/%d/%Y})"


class InspectionArea(models.Model):
    """A part of the city an inspector covers, by ZIP code."""

    name = models.CharField(max_length=100, unique=True)
    zip_codes = models.CharField(
        "ZIP codes",
        max_length=500,
        help_text="The five-digit ZIP codes of the area, separated by commas or spaces.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zip_list(self) -> list[str]:
        return [part[:5] for part in self.zip_codes.replace(",", " ").split() if part]


class Inspector(models.Model):
    """A staff user who inspects. Requests are assigned among the active staff users of the
    "Inspectors" group, by their area."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inspector"
    )
    area = models.ForeignKey(
        InspectionArea, null=True, blank=True, on_delete=models.SET_NULL, related_name="inspectors"
    )

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


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


class TimePreference(models.TextChoices):
    ANY = "", "No preference"
    AM = "am", "AM"
    PM = "pm", "PM"


class Inspection(StatusMachine):
    Status = InspectionStatus
    move_error = InvalidInspectionStatusMove
    Result = InspectionResult

    EVENT_SUBJECT = "inspection"
    STATUS_EVENTS = {
        InspectionStatus.COMPLETED: "inspection.resulted",
        InspectionStatus.CANCELLED: "inspection.cancelled",
    }
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
    time_preference = models.CharField(
        "AM/PM", max_length=2, choices=TimePreference, blank=True, default=TimePreference.ANY
    )
    completed_on = models.DateField(null=True, blank=True)
    result = models.CharField(max_length=10, choices=InspectionResult, blank=True)
    # Shown on the public permit page.
    result_comments = models.TextField("public result comments", blank=True)
    # Never shown on the portal: for staff and inspectors only.
    inspector_notes = models.TextField("internal notes", blank=True)

    # The request, as the contractor made it online.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspection_requests",
    )
    contact_name = models.CharField(max_length=150, blank=True)
    contact_phone = models.CharField(max_length=30, blank=True)
    # "Additional Notes" for the inspector: staff and inspectors only, never shown on the portal.
    request_notes = models.TextField("notes for the inspector", blank=True)
    # A re-inspection: the failed (or partial) visit it follows; one per failed visit.
    reinspection_of = models.OneToOneField(
        "self",
        verbose_name="re-inspection of",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reinspection",
        editable=False,
    )
    # One per Finish click: a second click with the same token finds the first request.
    request_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    area = models.ForeignKey(
        InspectionArea, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    inspector = models.ForeignKey(
        Inspector,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspections",
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    resulted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resulted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        indexes = [
            models.Index(fields=["permit", "status"], name="inspection_permit_status"),
            models.Index(fields=["scheduled_for", "inspector"], name="inspection_day_inspector"),
            # The dashboard's lists: upcoming by date, latest results first.
            # Covering (permit in the index itself, on PostgreSQL): the dashboard counts its
            # inspections without reading the rows.
            models.Index(
                fields=["scheduled_for"],
                include=["permit"],
                condition=models.Q(status="scheduled"),
                name="inspection_upcoming",
            ),
            models.Index(
                fields=["-completed_on"],
                include=["permit"],
                condition=models.Q(status="completed"),
                name="inspection_completed",
            ),
        ]
        constraints = [
            # No second open request for the same inspection on the same permit, even for two
            # requests at the same moment.
            models.UniqueConstraint(
                fields=["permit", "inspection_type"],
                condition=models.Q(status="scheduled"),
                name="inspection_one_open_per_type",
                violation_error_message=(
                    "This inspection is already requested on this permit and not yet done."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.inspection_type} on {self.permit}"

    @property
    def number(self) -> str:
        """The request number the contractor is given: INS-000123."""
        return f"INS-{self.pk:06d}" if self.pk else "INS-(new)"

    def describe(self) -> str:
        return f"Inspection {self.number}"

    def event_about(self):
        return [self.permit]

    def move_payload(self, previous: str, status: str, context: dict) -> dict:
        # How a cancellation came about: online, as its result, or its permit ended.
        return {"how": context["how"]} if context.get("how") else {}


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """A contractor's private iCalendar URL of their upcoming inspections. Whoever has the URL
    can read the feed, so it is long, random and revocable (a new one replaces it)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"


class InspectionLicense(models.Model):
    """Which license professionals an inspection's permit has, with the inspection's status and
    dates: the dashboard reads a contractor's upcoming and recent inspections from this table's
    index, not by joining every recent inspection in the city against the contractor's permits.

    PostgreSQL only: database triggers (migration 0004) keep it, whatever writes inspections or
    permit licenses; nothing in the portal writes it. SQLite (the demo) does the join instead.
    """

    # Its status is the inspection's, copied (core.status: not a status of its own).
    STATUS_COPIED_FROM = "inspections.Inspection"

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="+")
    license = models.ForeignKey("licenses.License", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=InspectionStatus)
    scheduled_for = models.DateField(null=True)
    completed_on = models.DateField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "license"],
                name="inspectionlicense_unique",
                violation_error_message="This license is already recorded for this inspection.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["license", "scheduled_for", "inspection"],
                condition=models.Q(status="scheduled"),
                name="inspectionlicense_upcoming",
            ),
            models.Index(
                fields=["license", "-completed_on", "-inspection"],
                condition=models.Q(status="completed"),
                name="inspectionlicense_completed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id} under license {self.license_id}"
