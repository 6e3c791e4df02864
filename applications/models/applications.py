"""An application, from its first saved step to intake's decision; its contacts and documents;
each submission, kept as it was."""

import datetime
import secrets
import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.addresses import street_address
from core.money import MONEY
from core.status import StatusMachine
from licenses.models import Contractor, License
from permits.models import ContactType, Permit, PermitType

from ..exceptions import ApplicationError, InvalidApplicationStatusMove
from .templates import ApplicationTemplate, DocumentRequirement

# Applications ---------------------------------------------------------------------------------


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("application status", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("application status", "Submitted")
    RETURNED = "returned", pgettext_lazy("application status", "Returned as incomplete")
    ACCEPTED = "accepted", pgettext_lazy("application status", "Accepted for review")
    WITHDRAWN = "withdrawn", pgettext_lazy("application status", "Withdrawn")
    EXPIRED = "expired", pgettext_lazy("application status", "Expired")


# Statuses in which the applicant can still change the application.
EDITABLE_STATUSES = (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED)

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    # Read over the phone: no 0/O or 1/I/L.
    return "A-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


class Application(StatusMachine):
    """An application for a permit, from its first saved step (a Draft, with its reference) to
    the clerk's decision at intake. Submitting creates its permit (in Submitted); each
    submission is kept as it was (Submission)."""

    Status = ApplicationStatus
    move_error = InvalidApplicationStatusMove
    EVENT_SUBJECT = "application"
    STATUS_EVENTS = {
        ApplicationStatus.SUBMITTED: "application.submitted",
        ApplicationStatus.ACCEPTED: "application.accepted",
        ApplicationStatus.RETURNED: "application.returned",
        ApplicationStatus.WITHDRAWN: "application.withdrawn",
    }

    ALLOWED_MOVES: dict[str, set[str]] = {
        ApplicationStatus.DRAFT: {ApplicationStatus.SUBMITTED, ApplicationStatus.EXPIRED},
        ApplicationStatus.SUBMITTED: {
            ApplicationStatus.ACCEPTED,
            ApplicationStatus.RETURNED,
            ApplicationStatus.WITHDRAWN,
        },
        ApplicationStatus.RETURNED: {ApplicationStatus.SUBMITTED, ApplicationStatus.WITHDRAWN},
        ApplicationStatus.ACCEPTED: set(),
        ApplicationStatus.WITHDRAWN: set(),
        ApplicationStatus.EXPIRED: set(),
    }

    reference = models.CharField(
        gettext_lazy("reference"), max_length=12, unique=True, default=new_reference, editable=False
    )
    template = models.ForeignKey(
        ApplicationTemplate,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=gettext_lazy("template"),
    )
    status = models.CharField(
        gettext_lazy("status"),
        max_length=10,
        choices=ApplicationStatus,
        default=ApplicationStatus.DRAFT,
        db_index=True,
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="applications",
        verbose_name=gettext_lazy("applicant"),
    )

    # Location
    street_number = models.CharField(gettext_lazy("street number"), max_length=20, blank=True)
    street_name = models.CharField(gettext_lazy("street name"), max_length=200, blank=True)
    unit = models.CharField(gettext_lazy("unit"), max_length=30, blank=True)
    city = models.CharField(gettext_lazy("city"), max_length=100, blank=True)
    state = models.CharField(gettext_lazy("state"), max_length=2, blank=True)
    zip_code = models.CharField(gettext_lazy("ZIP"), max_length=10, blank=True)
    parcel_number = models.CharField(gettext_lazy("parcel number"), max_length=40, blank=True)

    # People
    business = models.ForeignKey(
        Contractor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=gettext_lazy("business"),
    )
    license = models.ForeignKey(
        License,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=gettext_lazy("license professional"),
    )
    owner_name = models.CharField(gettext_lazy("owner's name"), max_length=200, blank=True)
    owner_email = models.EmailField(gettext_lazy("owner's email"), blank=True)

    # Details: question key -> the answer as typed (a string, or a list for multiple choice).
    answers = models.JSONField(default=dict, blank=True)
    # Keys of questions a newer version of the form changed: asked again before submitting.
    to_confirm = models.JSONField(default=list, blank=True)
    # Steps the applicant has saved at least once (for the progress bar).
    steps_saved = models.JSONField(default=list, blank=True)
    # The step the applicant last had open: Resume brings them back to it.
    last_step = models.CharField(max_length=20, blank=True, editable=False)

    attestation_name = models.CharField(
        gettext_lazy("attestation name"), max_length=200, blank=True
    )
    estimated_fees = models.DecimalField(
        gettext_lazy("estimated fees"), **MONEY, null=True, blank=True
    )
    permit = models.OneToOneField(
        Permit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="application",
        verbose_name=gettext_lazy("permit"),
    )
    copied_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("copied from"),
    )

    created_at = models.DateTimeField(gettext_lazy("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(gettext_lazy("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(gettext_lazy("submitted at"), null=True, blank=True)
    # A draft lapses on this day (APPLICATION_DRAFT_DAYS after it was last saved).
    expires_on = models.DateField(gettext_lazy("expires on"), null=True, blank=True)
    reminded_on = models.DateField(gettext_lazy("reminded on"), null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("application")
        verbose_name_plural = gettext_lazy("applications")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["applicant", "-updated_at"], name="application_applicant"),
            models.Index(fields=["status", "submitted_at"], name="application_queue"),
            models.Index(fields=["status", "expires_on"], name="application_drafts"),
        ]

    def __str__(self) -> str:
        return self.reference

    def describe(self) -> str:
        return _("Application %(reference)s") % {"reference": self.reference}

    def event_about(self):
        return [self.permit] if self.permit_id else []

    def move_payload(self, previous: str, status: str, context: dict) -> dict:
        submission = context.get("submission")
        return {"submission": submission.pk} if submission is not None else {}

    @property
    def permit_type(self) -> PermitType:
        return self.template.permit_type

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def resume_step(self) -> str:
        """Where Resume opens a draft: the step it was left on (drafts from before the portal
        kept it: the review, which lists what is missing). A returned application opens on the
        review, with the reasons."""
        if self.status == ApplicationStatus.DRAFT and self.last_step:
            return self.last_step
        return "review"

    @property
    def address(self) -> str:
        return street_address(self.street_number, self.street_name, self.unit)

    def touch_expiry(self, today: datetime.date | None = None) -> None:
        today = today or timezone.localdate()
        self.expires_on = today + datetime.timedelta(days=settings.APPLICATION_DRAFT_DAYS)
        self.reminded_on = None

    def apply_move(self, previous: str, status: str, context: dict) -> list[str]:
        if status == ApplicationStatus.SUBMITTED:
            self.submitted_at = timezone.now()
            self.expires_on = None
            return ["submitted_at", "expires_on"]
        return []


class ApplicationContact(models.Model):
    """Another person on the application, by email (PermitContact once submitted, if they have
    an account; otherwise they are emailed about the application)."""

    CONTACT_TYPES = [
        (value, label)
        for value, label in ContactType.choices
        if value not in (ContactType.OWNER, ContactType.APPLICANT)
    ]

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="contacts",
        verbose_name=gettext_lazy("application"),
    )
    name = models.CharField(gettext_lazy("name"), max_length=200, blank=True)
    email = models.EmailField(gettext_lazy("email"))
    contact_type = models.CharField(
        gettext_lazy("contact type"), max_length=20, choices=CONTACT_TYPES
    )

    class Meta:
        verbose_name = gettext_lazy("application contact")
        verbose_name_plural = gettext_lazy("application contacts")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "email"],
                name="application_contact_unique",
                violation_error_message=gettext_lazy(
                    "This email address is already a contact here."
                ),
            ),
        ]

    def __str__(self) -> str:
        return _("%(name)s (%(type)s)") % {
            "name": self.name or self.email,
            "type": self.get_contact_type_display(),
        }


def application_document_path(instance: "ApplicationDocument", filename: str) -> str:
    # Never the uploader's file name in storage: a random name in a folder per application.
    return f"application-documents/{instance.application_id}/{uuid.uuid4().hex}{instance.extension}"


class ApplicationDocument(models.Model):
    """A file uploaded to an application, through Django's storage API (a folder, or S3-
    compatible object storage: STORAGES["default"]). Once part of a submission it is kept
    (`submitted`): the snapshot names it."""

    EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="documents",
        verbose_name=gettext_lazy("application"),
    )
    requirement = models.ForeignKey(
        DocumentRequirement,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("requirement"),
        help_text=gettext_lazy("Empty: an extra document."),
    )
    file = models.FileField(
        gettext_lazy("file"), upload_to=application_document_path, max_length=200
    )
    original_name = models.CharField(gettext_lazy("original name"), max_length=200)
    content_type = models.CharField(gettext_lazy("content type"), max_length=40)
    size = models.PositiveBigIntegerField(gettext_lazy("size"))
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("uploaded by"),
    )
    uploaded_at = models.DateTimeField(gettext_lazy("uploaded at"), auto_now_add=True)
    submitted = models.BooleanField(gettext_lazy("submitted"), default=False)
    # A corrected document is a new version of the one it replaces (which is kept).
    replaces = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="versions",
        verbose_name=gettext_lazy("replaces"),
    )
    version = models.PositiveSmallIntegerField(gettext_lazy("version"), default=1)
    # The documents of the cycle every discipline approved: the permit's approved plans.
    approved_plans = models.BooleanField(gettext_lazy("approved plans"), default=False)

    class Meta:
        verbose_name = gettext_lazy("application document")
        verbose_name_plural = gettext_lazy("application documents")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.content_type, "")

    @property
    def download_name(self) -> str:
        stem = PurePath(self.original_name).stem.strip(" .") or "document"
        return f"{stem[:150]}{self.extension}"


class SubmissionOutcome(models.TextChoices):
    WAITING = "waiting", pgettext_lazy("application status", "Waiting for intake")
    ACCEPTED = "accepted", pgettext_lazy("application status", "Accepted for review")
    RETURNED = "returned", pgettext_lazy("application status", "Returned as incomplete")
    WITHDRAWN = "withdrawn", pgettext_lazy("application status", "Withdrawn")


class Submission(StatusMachine):
    """What the applicant submitted, once: the answers (with the questions as they were
    asked), the location, people, documents and fee estimate. Never changed afterwards; only
    the clerk's decision on it is added: its outcome moves through the status machine."""

    move_error = InvalidApplicationStatusMove
    STATUS_FIELD = "outcome"
    EVENT_SUBJECT = "submission"
    ALLOWED_MOVES: dict[str, set[str]] = {
        SubmissionOutcome.WAITING: {
            SubmissionOutcome.ACCEPTED,
            SubmissionOutcome.RETURNED,
            SubmissionOutcome.WITHDRAWN,
        },
        SubmissionOutcome.ACCEPTED: set(),
        SubmissionOutcome.RETURNED: set(),
        SubmissionOutcome.WITHDRAWN: set(),
    }

    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="submissions",
        verbose_name=gettext_lazy("application"),
    )
    number = models.PositiveIntegerField(gettext_lazy("number"))
    snapshot = models.JSONField(gettext_lazy("snapshot"))
    estimated_fees = models.DecimalField(gettext_lazy("estimated fees"), **MONEY)
    submitted_at = models.DateTimeField(gettext_lazy("submitted at"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("submitted by"),
    )
    outcome = models.CharField(
        gettext_lazy("outcome"),
        max_length=10,
        choices=SubmissionOutcome,
        default=SubmissionOutcome.WAITING,
    )
    decided_at = models.DateTimeField(gettext_lazy("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("decided by"),
    )
    reasons = models.TextField(gettext_lazy("reasons"), blank=True)

    class Meta:
        verbose_name = gettext_lazy("submission")
        verbose_name_plural = gettext_lazy("submissions")
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "number"],
                name="submission_number_unique",
                violation_error_message=gettext_lazy(
                    "This application already has a submission numbered so."
                ),
            ),
        ]

    def __str__(self) -> str:
        return _("%(application)s submission %(number)s") % {
            "application": self.application,
            "number": self.number,
        }

    def describe(self) -> str:
        return _("Submission %(number)s of application %(reference)s") % {
            "number": self.number,
            "reference": self.application.reference,
        }

    def event_about(self):
        # In the application's history; the permit's has the application's own move.
        return [self.application]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            stored = Submission.objects.filter(pk=self.pk).values("snapshot", "estimated_fees")
            stored = stored.first()
            if stored and (
                stored["snapshot"] != self.snapshot
                or stored["estimated_fees"] != self.estimated_fees
            ):
                raise ApplicationError(_("A submission stays as it was submitted."))
        super().save(*args, **kwargs)


class IntakeQueue(Application):
    """Submitted applications waiting for a clerk (admin's intake queue)."""

    class Meta:
        proxy = True
        verbose_name = gettext_lazy("submitted application (intake queue)")
        verbose_name_plural = gettext_lazy("intake queue")
