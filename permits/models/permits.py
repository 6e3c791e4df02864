"""Permits, their types and license professionals, the counts kept beside them, their numbers
and their cards."""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Concat, Upper
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.addresses import street_address
from core.money import ZERO
from core.status import StatusMachine
from core.validators import PERMIT_NUMBER
from licenses.models import License, LicenseType

from ..checks import issue_blockers
from ..exceptions import (
    InvalidPermitStatusMove,
)
from .fees import FeeStatus


class PermitType(models.Model):
    code = models.CharField(
        max_length=10,
        unique=True,
        help_text=gettext_lazy("Short code that starts the type's permit numbers, e.g. RES."),
    )
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    license_types = models.ManyToManyField(
        "licenses.LicenseType",
        blank=True,
        related_name="permit_types",
        verbose_name=gettext_lazy("license types that may apply"),
        help_text=gettext_lazy(
            "The license types whose holders may apply for this type of permit (its license "
            "professional), e.g. General and Residential for Residential Building. None: any."
        ),
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def accepted_license_types(self) -> list[LicenseType]:
        """The license types that may be this type's license professional ([] for any)."""
        return list(self.license_types.order_by("name"))

    def accepts(self, license: License, accepted: list[LicenseType] | None = None) -> bool:
        accepted = self.accepted_license_types() if accepted is None else accepted
        return not accepted or license.license_type_id in {kind.pk for kind in accepted}

    def license_rule(self, accepted: list[LicenseType] | None = None) -> str:
        """ "Residential Building permits are applied for under a General or Residential
        license." ("" when any license may.)"""
        accepted = self.accepted_license_types() if accepted is None else accepted
        if not accepted:
            return ""
        names = [kind.name for kind in accepted]
        listed = (
            _("%(names)s or %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}
            if len(names) > 1
            else names[0]
        )
        values = {"type": self.name, "licenses": listed}
        # English's article goes by the sound of the first name; another language says it its way.
        if listed[0] in "AEIOU":
            return _("%(type)s permits are applied for under an %(licenses)s license.") % values
        return _("%(type)s permits are applied for under a %(licenses)s license.") % values

    def license_refusal(self, license: License) -> str:
        """Why `license` cannot be the license professional of this type ("" when it can)."""
        accepted = self.accepted_license_types()
        if self.accepts(license, accepted):
            return ""
        return _("%(rule)s License %(number)s is %(type)s: choose another.") % {
            "rule": self.license_rule(accepted),
            "number": license.number,
            "type": license.license_type.name,
        }


class PermitStatus(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("permit status", "Submitted")
    # Intake returned the application as incomplete: the applicant fixes and resubmits it.
    RETURNED = "returned", pgettext_lazy("permit status", "Returned for Correction")
    IN_REVIEW = "in_review", pgettext_lazy("permit status", "In Review")
    PENDING_APPROVAL = "pending_approval", pgettext_lazy("permit status", "Pending Approval")
    READY_TO_ISSUE = "ready_to_issue", pgettext_lazy("permit status", "Ready to Issue")
    ISSUED = "issued", pgettext_lazy("permit status", "Issued")
    FINALED = "finaled", pgettext_lazy("permit status", "Finaled")
    EXPIRED = "expired", pgettext_lazy("permit status", "Expired")
    CANCELLED = "cancelled", pgettext_lazy("permit status", "Cancelled")


# Statuses in which a permit is still alive: on the dashboard's "My Active Permits".
ACTIVE_STATUSES = (
    PermitStatus.SUBMITTED,
    PermitStatus.RETURNED,
    PermitStatus.IN_REVIEW,
    PermitStatus.PENDING_APPROVAL,
    PermitStatus.READY_TO_ISSUE,
    PermitStatus.ISSUED,
)


# Statuses of a permit not yet issued (nor closed): while in one, a fee's waiver may be withdrawn.
PERMIT_BEFORE_ISSUE = (
    PermitStatus.SUBMITTED,
    PermitStatus.IN_REVIEW,
    PermitStatus.PENDING_APPROVAL,
    PermitStatus.READY_TO_ISSUE,
)


# A permit's address, in its columns' order: the CSV's columns, an application's Location step.
ADDRESS_FIELDS = (
    "street_number",
    "street_name",
    "unit",
    "city",
    "state",
    "zip_code",
    "parcel_number",
)


class Permit(StatusMachine):
    Status = PermitStatus
    move_error = InvalidPermitStatusMove

    # The moves a permit makes through the building department. Review can send an application
    # back; an expired permit can be renewed (back to Issued); Finaled and Cancelled are final.
    EVENT_SUBJECT = "permit"
    STATUS_EVENTS = {
        PermitStatus.ISSUED: "permit.issued",
        PermitStatus.EXPIRED: "permit.expired",
        PermitStatus.FINALED: "permit.finaled",
        PermitStatus.CANCELLED: "permit.cancelled",
    }
    ALLOWED_MOVES: dict[str, set[str]] = {
        PermitStatus.SUBMITTED: {
            PermitStatus.RETURNED,
            PermitStatus.IN_REVIEW,
            PermitStatus.CANCELLED,
        },
        PermitStatus.RETURNED: {PermitStatus.SUBMITTED, PermitStatus.CANCELLED},
        PermitStatus.IN_REVIEW: {
            PermitStatus.SUBMITTED,
            PermitStatus.PENDING_APPROVAL,
            PermitStatus.READY_TO_ISSUE,
            PermitStatus.CANCELLED,
        },
        PermitStatus.PENDING_APPROVAL: {
            PermitStatus.IN_REVIEW,
            PermitStatus.READY_TO_ISSUE,
            PermitStatus.CANCELLED,
        },
        PermitStatus.READY_TO_ISSUE: {PermitStatus.ISSUED, PermitStatus.CANCELLED},
        PermitStatus.ISSUED: {PermitStatus.FINALED, PermitStatus.EXPIRED, PermitStatus.CANCELLED},
        PermitStatus.EXPIRED: {PermitStatus.ISSUED, PermitStatus.CANCELLED},
        PermitStatus.FINALED: set(),
        PermitStatus.CANCELLED: set(),
    }

    number = models.CharField(
        gettext_lazy("permit number"),
        max_length=30,
        unique=True,
        validators=[PERMIT_NUMBER],
        help_text=gettext_lazy("Upper case, e.g. RES24-0150."),
    )
    permit_type = models.ForeignKey(PermitType, on_delete=models.PROTECT, related_name="permits")
    description = models.TextField(gettext_lazy("work description"), blank=True)
    status = models.CharField(
        max_length=20, choices=PermitStatus, default=PermitStatus.SUBMITTED, db_index=True
    )

    street_number = models.CharField(max_length=20, blank=True)
    street_name = models.CharField(max_length=200)
    unit = models.CharField(max_length=30, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField(gettext_lazy("ZIP"), max_length=10, blank=True)
    parcel_number = models.CharField(max_length=40, blank=True)
    # What address search matches against: the street address in capitals, kept by the
    # database itself so every way a permit is written (forms, imports, COPY) has it right.
    # City and ZIP are left out: "SPRINGFIELD" on every row would make its trigrams match every
    # permit, and each address search would read the whole trigram index to throw them away.
    address_search = models.GeneratedField(
        expression=Upper(
            Concat("street_number", models.Value(" "), "street_name", models.Value(" "), "unit")
        ),
        output_field=models.CharField(max_length=260),
        db_persist=True,
    )

    valuation = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    owner_name = models.CharField(max_length=200, blank=True)

    applied_on = models.DateField()
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    # The short code on the permit card and its QR code: the public verification page's key.
    check_code = models.CharField(max_length=12, unique=True, null=True, blank=True)
    finaled_on = models.DateField(null=True, blank=True)

    # The "license professional": the contractor license(s) responsible for the work.
    licenses = models.ManyToManyField(
        License, through="PermitLicense", related_name="permits", blank=True
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-applied_on", "-id"]
        indexes = [
            models.Index(fields=["-applied_on", "-id"], name="permit_applied_desc"),
            # The search's and My Records' issued-date range.
            models.Index(fields=["issued_on"], name="permit_issued_on"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valuation__gte=0),
                name="permit_valuation_gte_0",
                violation_error_message=gettext_lazy("The valuation cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(number=Upper("number")),
                name="permit_number_upper_case",
                violation_error_message=gettext_lazy("Permit numbers are upper case."),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_issued(self) -> bool:
        """Issued (not yet finaled or expired): inspections are requested of issued permits."""
        return self.status == PermitStatus.ISSUED

    @property
    def address(self) -> str:
        return street_address(self.street_number, self.street_name, self.unit)

    @property
    def full_address(self) -> str:
        city_line = " ".join(part for part in (self.state, self.zip_code) if part)
        return ", ".join(part for part in (self.address, self.city, city_line) if part)

    def describe(self) -> str:
        return _("Permit %(number)s") % {"number": self.number}

    def manual_moves_from(self, status: str) -> frozenset[str]:
        # Returned and resubmitted go with the application's own moves (intake's reasons, the
        # applicant's resubmission): never by hand, or the permit and its application disagree.
        moves = self.allowed_moves_from(status) - {PermitStatus.RETURNED}
        if status == PermitStatus.RETURNED:
            moves -= {PermitStatus.SUBMITTED}
        return moves

    def check_move(self, previous: str, status: str, context: dict) -> None:
        if status == PermitStatus.RETURNED and not (context.get("note") or "").strip():
            raise InvalidPermitStatusMove(
                _("Permit %(number)s is returned for correction only with the reasons.")
                % {"number": self.number}
            )
        if (
            status == PermitStatus.ISSUED
            and not settings.PERMIT_ISSUE_WITH_FEES_DUE
            and self.fees.filter(status=FeeStatus.DUE).exists()
        ):
            raise InvalidPermitStatusMove(
                _("Permit %(number)s has fees due: it is issued once they are paid or waived.")
                % {"number": self.number}
            )
        if (
            status == PermitStatus.ISSUED
            and previous == PermitStatus.READY_TO_ISSUE
            and (missing := issue_blockers(self))
        ):
            raise InvalidPermitStatusMove(
                _("Permit %(number)s is not issued yet: %(missing)s.")
                % {"number": self.number, "missing": "; ".join(str(reason) for reason in missing)}
            )

    @property
    def not_yet_issued(self) -> bool:
        """Never issued, and not closed: on its way to being issued."""
        return self.status in PERMIT_BEFORE_ISSUE and self.issued_on is None

    def apply_move(self, previous: str, status: str, context: dict) -> list[str]:
        today = context.get("on") or timezone.localdate()
        if status == PermitStatus.ISSUED:
            if self.issued_on is None:
                self.issued_on = today
            # Issued or renewed: the permit runs for the city's term from today.
            self.expires_on = today + datetime.timedelta(days=settings.PERMIT_EXPIRY_DAYS)
            return ["issued_on", "expires_on"]
        if status == PermitStatus.FINALED:
            self.finaled_on = today
            return ["finaled_on"]
        return []


class PermitLicense(models.Model):
    """A license on a permit (its "license professional").

    On PostgreSQL, `status` and `applied_on` are copies of the permit's, kept by database
    triggers (migration 0004) and never written by the portal: a contractor with 50,000 permits
    has them counted by status and paged by date from this table's index alone, without
    touching the permits. SQLite (the demo) reads the permit's own columns instead
    (`permits.scopes.record_columns`).
    """

    # Its status is the permit's, copied (core.status: not a status of its own to move).
    STATUS_COPIED_FROM = "permits.Permit"

    permit = models.ForeignKey(Permit, on_delete=models.CASCADE)
    license = models.ForeignKey(License, on_delete=models.PROTECT)
    status = models.CharField(max_length=20, choices=PermitStatus, blank=True, editable=False)
    applied_on = models.DateField(null=True, editable=False)

    class Meta:
        verbose_name = gettext_lazy("license professional")
        constraints = [
            models.UniqueConstraint(
                fields=["permit", "license"],
                name="permit_license_unique",
                violation_error_message=gettext_lazy("This license is already on this permit."),
            ),
        ]
        indexes = [
            models.Index(fields=["license", "permit"], name="permitlicense_license"),
            models.Index(
                fields=["license", "-applied_on", "-permit"], name="permitlicense_records"
            ),
            models.Index(
                fields=["license", "status", "-applied_on", "-permit"],
                name="permitlicense_by_status",
            ),
        ]

    def __str__(self) -> str:
        return _("%(license)s on %(permit)s") % {"license": self.license, "permit": self.permit}


class LicenseFeesDue(models.Model):
    """The fees due on the permits that name a license. On PostgreSQL, kept by triggers on
    Fee and PermitLicense (migration 0010) and never written by the portal: a dashboard totals
    what a contractor with 50,000 permits owes by reading one row. Elsewhere the fees are
    summed."""

    license = models.OneToOneField(License, on_delete=models.CASCADE, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = gettext_lazy("fees due per license")
        verbose_name_plural = gettext_lazy("fees due per license")

    def __str__(self) -> str:
        return _("Fees due on license %(license)s: %(amount)s") % {
            "license": self.license_id,
            "amount": self.amount,
        }


class LicensePermitCount(models.Model):
    """How many permits name a license, by permit status. On PostgreSQL, kept by triggers on
    PermitLicense (migration 0006) and never written by the portal: a dashboard counts a
    contractor's 50,000 permits by reading a few rows. SQLite (the demo) counts PermitLicense
    instead."""

    # Its status is a permit status it counts (core.status: not a status of its own).
    STATUS_COPIED_FROM = "permits.Permit"

    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, choices=PermitStatus)
    permits = models.IntegerField(default=0)

    class Meta:
        verbose_name = gettext_lazy("permits per license and status")
        verbose_name_plural = gettext_lazy("permits per license and status")
        constraints = [
            models.UniqueConstraint(
                fields=["license", "status"],
                name="license_permit_count",
                violation_error_message=gettext_lazy(
                    "This license already has a count for this status."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.license}: {self.permits} {self.get_status_display()}"


class PermitNumberSequence(models.Model):
    """The last number given in a permit number scheme: a type's prefix and a two-digit year
    (RES26-0001, RES26-0002, ...). Read under lock and raised in the transaction that creates
    the permit (permits.services.permit_number_next): a rolled-back submit gives its number
    back, and two submits at once never get the same one."""

    prefix = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)
    # The sequence's width, zero-padded: 4, or the width of the numbers already in use.
    digits = models.PositiveSmallIntegerField(default=4)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["prefix", "year"],
                name="permit_number_sequence_unique",
                violation_error_message=gettext_lazy(
                    "This prefix already has a sequence for this year."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}{self.year:02d}: {self.last}"


def card_path(instance: "PermitCard", filename: str) -> str:
    return f"permit-cards/{instance.permit_id}/{uuid.uuid4().hex}.pdf"


class PermitCard(models.Model):
    """A revision of a permit's card (the PDF posted at the site): made at issuance and again,
    as Rev n, when what it shows changes. Earlier revisions are kept, marked superseded."""

    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="cards")
    revision = models.PositiveSmallIntegerField()
    file = models.FileField(upload_to=card_path, max_length=200)
    content_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["permit", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["permit", "revision"],
                name="permit_card_revision_unique",
                violation_error_message=gettext_lazy(
                    "This permit already has a card of this revision."
                ),
            ),
        ]

    def __str__(self) -> str:
        return _("%(number)s card Rev %(revision)s") % {
            "number": self.permit.number,
            "revision": self.revision,
        }

    @property
    def download_name(self) -> str:
        return f"{self.permit.number}-permit-card-rev{self.revision}.pdf"
