import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

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
        verbose_name=gettext_lazy("permit type"),
        help_text=gettext_lazy(
            "Empty: on the city-wide list, for every permit type without its own."
        ),
    )
    code = models.CharField(gettext_lazy("code"), max_length=10)
    name = models.CharField(gettext_lazy("name"), max_length=100)
    is_final = models.BooleanField(
        gettext_lazy("final inspection"),
        default=False,
        help_text=gettext_lazy(
            "The permit's last inspection: held while a condition to meet before it is open."
        ),
    )
    # The fee schedule's charge for visiting again after this inspection failed (empty: none).
    reinspection_fee = models.DecimalField(
        gettext_lazy("re-inspection fee"),
        **MONEY,
        null=True,
        blank=True,
        help_text=gettext_lazy(
            "Charged on the permit when a re-inspection is requested after this inspection "
            "failed. Empty: no fee."
        ),
    )

    class Meta:
        verbose_name = gettext_lazy("inspection type")
        verbose_name_plural = gettext_lazy("inspection types")
        ordering = ["permit_type", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["permit_type", "code"],
                name="inspection_type_code_unique",
                violation_error_message=gettext_lazy(
                    "This permit type already has an inspection with this code."
                ),
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(permit_type__isnull=True),
                name="inspection_type_default_code_unique",
                violation_error_message=gettext_lazy(
                    "The city-wide list already has an inspection with this code."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(reinspection_fee__gte=0),
                name="inspection_type_reinspection_fee_gte_0",
                violation_error_message=gettext_lazy("A re-inspection fee cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Holiday(models.Model):
    """A day the building department does no inspections. Staff keep the list in admin."""

    date = models.DateField(gettext_lazy("date"), unique=True)
    name = models.CharField(gettext_lazy("name"), max_length=100)

    class Meta:
        verbose_name = gettext_lazy("holiday")
        verbose_name_plural = gettext_lazy("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.name} ({date_format(self.date, 'SHORT_DATE_FORMAT')})"


class InspectionArea(models.Model):
    """A part of the city an inspector covers, by ZIP code."""

    name = models.CharField(gettext_lazy("name"), max_length=100, unique=True)
    zip_codes = models.CharField(
        gettext_lazy("ZIP codes"),
        max_length=500,
        help_text=gettext_lazy(
            "The five-digit ZIP codes of the area, separated by commas or spaces."
        ),
    )

    class Meta:
        verbose_name = gettext_lazy("inspection area")
        verbose_name_plural = gettext_lazy("inspection areas")
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
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="inspector",
        verbose_name=gettext_lazy("user"),
    )
    area = models.ForeignKey(
        InspectionArea,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspectors",
        verbose_name=gettext_lazy("area"),
    )

    class Meta:
        verbose_name = gettext_lazy("inspector")
        verbose_name_plural = gettext_lazy("inspectors")
        ordering = ["user__username"]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class InspectionStatus(models.TextChoices):
    SCHEDULED = "scheduled", pgettext_lazy("inspection status", "Scheduled")
    COMPLETED = "completed", pgettext_lazy("inspection status", "Completed")
    CANCELLED = "cancelled", pgettext_lazy("inspection status", "Cancelled")


class InspectionResult(models.TextChoices):
    PASSED = "passed", pgettext_lazy("inspection result", "Passed")
    FAILED = "failed", pgettext_lazy("inspection result", "Failed")
    PARTIAL = "partial", pgettext_lazy("inspection result", "Partial")
    NOT_READY = "not_ready", pgettext_lazy("inspection result", "Not Ready")
    CANCELLED = "cancelled", pgettext_lazy("inspection result", "Cancelled")


class TimePreference(models.TextChoices):
    ANY = "", pgettext_lazy("time preference", "No preference")
    AM = "am", pgettext_lazy("time preference", "AM")
    PM = "pm", pgettext_lazy("time preference", "PM")


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

    permit = models.ForeignKey(
        Permit,
        on_delete=models.CASCADE,
        related_name="inspections",
        verbose_name=gettext_lazy("permit"),
    )
    inspection_type = models.ForeignKey(
        InspectionType,
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name=gettext_lazy("inspection type"),
    )
    status = models.CharField(
        gettext_lazy("status"),
        max_length=10,
        choices=InspectionStatus,
        default=InspectionStatus.SCHEDULED,
    )
    scheduled_for = models.DateField(gettext_lazy("scheduled for"), null=True, blank=True)
    time_preference = models.CharField(
        gettext_lazy("AM/PM"),
        max_length=2,
        choices=TimePreference,
        blank=True,
        default=TimePreference.ANY,
    )
    completed_on = models.DateField(gettext_lazy("completed on"), null=True, blank=True)
    result = models.CharField(
        gettext_lazy("result"), max_length=10, choices=InspectionResult, blank=True
    )
    # Shown on the public permit page.
    result_comments = models.TextField(gettext_lazy("public result comments"), blank=True)
    # Never shown on the portal: for staff and inspectors only.
    inspector_notes = models.TextField(gettext_lazy("internal notes"), blank=True)

    # The request, as the contractor made it online.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspection_requests",
        verbose_name=gettext_lazy("requested by"),
    )
    contact_name = models.CharField(gettext_lazy("contact name"), max_length=150, blank=True)
    contact_phone = models.CharField(gettext_lazy("contact phone"), max_length=30, blank=True)
    # "Additional Notes" for the inspector: staff and inspectors only, never shown on the portal.
    request_notes = models.TextField(gettext_lazy("notes for the inspector"), blank=True)
    # A re-inspection: the failed (or partial) visit it follows; one per failed visit.
    reinspection_of = models.OneToOneField(
        "self",
        verbose_name=gettext_lazy("re-inspection of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reinspection",
        editable=False,
    )
    # One per Finish click: a second click with the same token finds the first request.
    request_token = models.UUIDField(
        gettext_lazy("request token"), null=True, blank=True, unique=True, editable=False
    )

    area = models.ForeignKey(
        InspectionArea,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("area"),
    )
    inspector = models.ForeignKey(
        Inspector,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspections",
        verbose_name=gettext_lazy("inspector"),
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("cancelled by"),
    )
    cancelled_at = models.DateTimeField(gettext_lazy("cancelled at"), null=True, blank=True)
    resulted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("resulted by"),
    )
    resulted_at = models.DateTimeField(gettext_lazy("resulted at"), null=True, blank=True)
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)

    class Meta:
        verbose_name = gettext_lazy("inspection")
        verbose_name_plural = gettext_lazy("inspections")
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
                violation_error_message=gettext_lazy(
                    "This inspection is already requested on this permit and not yet done."
                ),
            ),
        ]

    def __str__(self) -> str:
        return _("%(number)s %(inspection)s on %(permit)s") % {
            "number": self.number,
            "inspection": self.inspection_type,
            "permit": self.permit,
        }

    @property
    def number(self) -> str:
        """The request number the contractor is given: INS-000123."""
        return f"INS-{self.pk:06d}" if self.pk else _("INS-(new)")

    def describe(self) -> str:
        return _("Inspection %(number)s") % {"number": self.number}

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
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name=gettext_lazy("user"),
    )
    token = models.CharField(
        gettext_lazy("token"), max_length=64, unique=True, default=new_calendar_token
    )
    created_at = models.DateTimeField(gettext_lazy("created at"), auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("calendar feed")
        verbose_name_plural = gettext_lazy("calendar feeds")

    def __str__(self) -> str:
        return _("Calendar feed of %(user)s") % {"user": self.user}


class InspectionLicense(models.Model):
    """Which license professionals an inspection's permit has, with the inspection's status and
    dates: the dashboard reads a contractor's upcoming and recent inspections from this table's
    index, not by joining every recent inspection in the city against the contractor's permits.

    PostgreSQL only: database triggers (migration 0004) keep it, whatever writes inspections or
    permit licenses; nothing in the portal writes it. SQLite (the demo) does the join instead.
    """

    # Its status is the inspection's, copied (core.status: not a status of its own).
    STATUS_COPIED_FROM = "inspections.Inspection"

    inspection = models.ForeignKey(
        Inspection,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=gettext_lazy("inspection"),
    )
    license = models.ForeignKey(
        "licenses.License",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=gettext_lazy("license"),
    )
    status = models.CharField(gettext_lazy("status"), max_length=10, choices=InspectionStatus)
    scheduled_for = models.DateField(gettext_lazy("scheduled for"), null=True)
    completed_on = models.DateField(gettext_lazy("completed on"), null=True)

    class Meta:
        verbose_name = gettext_lazy("inspection license")
        verbose_name_plural = gettext_lazy("inspection licenses")
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "license"],
                name="inspectionlicense_unique",
                violation_error_message=gettext_lazy(
                    "This license is already recorded for this inspection."
                ),
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
        return _("%(inspection)s under license %(license)s") % {
            "inspection": self.inspection_id,
            "license": self.license_id,
        }
