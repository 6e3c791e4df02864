import re
import secrets

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.status import StatusMachine

from .exceptions import InvalidLicenseLinkStatusMove, InvalidLicenseStatusMove

LICENSE_NUMBER_RE = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,18}$")


def normalize_license_number(raw: str, prefix: str = "") -> str:
    """The form every license number is stored and searched in: upper case, no spaces or dashes,
    and with its two-letter type prefix (added when a prefix is given and the number lacks one)."""
    number = re.sub(r"[\s\-]", "", raw or "").upper()
    prefix = (prefix or "").upper()
    if prefix and number and not number.startswith(prefix) and number[:1].isdigit():
        number = prefix + number
    return number


# No 0/O or 1/I/L: a PIN is read aloud over the phone and typed from paper.
PIN_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PIN_LENGTH = 8


def generate_pin() -> str:
    return "".join(secrets.choice(PIN_ALPHABET) for _ in range(PIN_LENGTH))


def normalize_pin(raw: str) -> str:
    return re.sub(r"[\s\-]", "", raw or "").upper()


class Contractor(models.Model):
    """A business on the city's record. It holds licenses; people join it as members.

    Its PIN lets a colleague associate their account with the business (Ottawa's
    Professional/Contractor PIN); managers see it and can regenerate it.
    """

    business_name = models.CharField(gettext_lazy("business name"), max_length=200)
    contact_name = models.CharField(gettext_lazy("contact name"), max_length=200, blank=True)
    address = models.CharField(gettext_lazy("address"), max_length=200, blank=True)
    city = models.CharField(gettext_lazy("city"), max_length=100, blank=True)
    state = models.CharField(gettext_lazy("state"), max_length=2, blank=True)
    zip_code = models.CharField(gettext_lazy("ZIP"), max_length=10, blank=True)
    # Private: never shown on public pages.
    phone = models.CharField(gettext_lazy("phone"), max_length=30, blank=True)
    email = models.EmailField(gettext_lazy("email"), blank=True)
    pin = models.CharField(
        gettext_lazy("PIN"), max_length=PIN_LENGTH, unique=True, default=generate_pin
    )
    created_at = models.DateTimeField(gettext_lazy("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(gettext_lazy("updated at"), auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("contractor")
        verbose_name_plural = gettext_lazy("contractors")
        ordering = ["business_name"]
        indexes = [models.Index(Upper("business_name"), name="contractor_name_upper")]

    def __str__(self) -> str:
        return self.business_name


class LicenseType(models.Model):
    prefix = models.CharField(
        gettext_lazy("prefix"),
        max_length=2,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2}$", gettext_lazy("Two capital letters, e.g. EC."))],
        help_text=gettext_lazy(
            "Two capital letters that start every license number of this type, e.g. EC."
        ),
    )
    name = models.CharField(gettext_lazy("name"), max_length=100)

    class Meta:
        verbose_name = gettext_lazy("license type")
        verbose_name_plural = gettext_lazy("license types")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class LicenseStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("license status", "Active")
    EXPIRED = "expired", pgettext_lazy("license status", "Expired")
    SUSPENDED = "suspended", pgettext_lazy("license status", "Suspended")
    REVOKED = "revoked", pgettext_lazy("license status", "Revoked")


class License(StatusMachine):
    Status = LicenseStatus
    move_error = InvalidLicenseStatusMove
    EVENT_SUBJECT = "license"

    # Which status moves the city makes. A revoked license stays revoked.
    ALLOWED_MOVES: dict[str, set[str]] = {
        LicenseStatus.ACTIVE: {
            LicenseStatus.EXPIRED,
            LicenseStatus.SUSPENDED,
            LicenseStatus.REVOKED,
        },
        LicenseStatus.EXPIRED: {LicenseStatus.ACTIVE, LicenseStatus.REVOKED},
        LicenseStatus.SUSPENDED: {LicenseStatus.ACTIVE, LicenseStatus.REVOKED},
        LicenseStatus.REVOKED: set(),
    }

    number = models.CharField(
        gettext_lazy("number"),
        max_length=20,
        unique=True,
        help_text=gettext_lazy("Stored with its type prefix, e.g. EC12345."),
    )
    license_type = models.ForeignKey(
        LicenseType,
        on_delete=models.PROTECT,
        related_name="licenses",
        verbose_name=gettext_lazy("license type"),
    )
    holder = models.ForeignKey(
        Contractor,
        on_delete=models.PROTECT,
        related_name="licenses",
        verbose_name=gettext_lazy("holder"),
    )
    status = models.CharField(
        gettext_lazy("status"),
        max_length=10,
        choices=LicenseStatus,
        default=LicenseStatus.ACTIVE,
    )
    issued_on = models.DateField(gettext_lazy("issued on"), null=True, blank=True)
    expires_on = models.DateField(gettext_lazy("expires on"), null=True, blank=True)
    created_at = models.DateTimeField(gettext_lazy("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(gettext_lazy("updated at"), auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("license")
        verbose_name_plural = gettext_lazy("licenses")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(issued_on__isnull=True)
                | models.Q(expires_on__gte=models.F("issued_on")),
                name="license_expires_after_issued",
                violation_error_message=gettext_lazy(
                    "A license cannot expire before it was issued."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_active(self) -> bool:
        return self.status == LicenseStatus.ACTIVE

    @property
    def display_number(self) -> str:
        return f"{self.number} ({self.license_type.name})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        self.number = normalize_license_number(
            self.number, self.license_type.prefix if self.license_type_id else ""
        )
        if self.license_type_id and not self.number.startswith(self.license_type.prefix):
            raise ValidationError(
                {
                    "number": _("A %(type)s license number starts with %(prefix)s.")
                    % {"type": self.license_type.name, "prefix": self.license_type.prefix}
                }
            )
        if not LICENSE_NUMBER_RE.match(self.number):
            raise ValidationError(
                {
                    "number": _(
                        "A license number is its two-letter prefix and then letters or digits."
                    )
                }
            )

    def describe(self) -> str:
        return _("License %(number)s") % {"number": self.number}


class LicenseLinkStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("license link status", "Pending")
    APPROVED = "approved", pgettext_lazy("license link status", "Approved")
    REJECTED = "rejected", pgettext_lazy("license link status", "Rejected")
    REMOVED = "removed", pgettext_lazy("license link status", "Removed")


# A request that still stands: one per user and license at a time.
LIVE_LINK_STATUSES = (LicenseLinkStatus.PENDING, LicenseLinkStatus.APPROVED)


class LicenseLink(StatusMachine):
    """A user's request to act for a license, and the city's decision on it.

    Staff decide in Django admin; a decision records who and when and is never edited
    afterwards (a later change is a new request). A user is a registered contractor for the
    license only when the link is approved and their email address is verified.
    """

    Status = LicenseLinkStatus
    move_error = InvalidLicenseLinkStatusMove

    # A decision is final; an approved link ends when its user removes it.
    EVENT_SUBJECT = "license_link"
    STATUS_EVENTS = {
        LicenseLinkStatus.APPROVED: "license_link.decided",
        LicenseLinkStatus.REJECTED: "license_link.decided",
    }
    ALLOWED_MOVES: dict[str, set[str]] = {
        LicenseLinkStatus.PENDING: {
            LicenseLinkStatus.APPROVED,
            LicenseLinkStatus.REJECTED,
            LicenseLinkStatus.REMOVED,
        },
        LicenseLinkStatus.APPROVED: {LicenseLinkStatus.REMOVED},
        LicenseLinkStatus.REJECTED: set(),
        LicenseLinkStatus.REMOVED: set(),
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="license_links",
        verbose_name=gettext_lazy("user"),
    )
    license = models.ForeignKey(
        License,
        on_delete=models.PROTECT,
        related_name="links",
        verbose_name=gettext_lazy("license"),
    )
    status = models.CharField(
        gettext_lazy("status"),
        max_length=10,
        choices=LicenseLinkStatus,
        default=LicenseLinkStatus.PENDING,
    )
    requested_at = models.DateTimeField(gettext_lazy("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="license_link_decisions",
        verbose_name=gettext_lazy("decided by"),
    )
    decided_at = models.DateTimeField(gettext_lazy("decided at"), null=True, blank=True)
    reason = models.TextField(gettext_lazy("reason for rejection"), blank=True)
    removed_at = models.DateTimeField(gettext_lazy("removed at"), null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("license link request")
        verbose_name_plural = gettext_lazy("license link requests")
        ordering = ["-requested_at"]
        constraints = [
            # Two quick clicks, or two tabs, cannot make two live requests.
            models.UniqueConstraint(
                fields=["user", "license"],
                condition=models.Q(status__in=LIVE_LINK_STATUSES),
                name="license_link_one_live_per_user",
                violation_error_message=gettext_lazy(
                    "This user already has a request or a link for this license."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(status=LicenseLinkStatus.PENDING)
                | models.Q(decided_at__isnull=False),
                name="license_link_decision_has_a_date",
                violation_error_message=gettext_lazy(
                    "A decided request needs the date of its decision."
                ),
            ),
        ]
        indexes = [models.Index(fields=["status", "requested_at"], name="licenselink_queue")]

    def __str__(self) -> str:
        return f"{self.user} -> {self.license} ({self.get_status_display()})"

    def describe(self) -> str:
        return _("The request of %(user)s for %(license)s") % {
            "user": self.user,
            "license": self.license,
        }

    def event_about(self):
        return [self.license]


class Role(models.TextChoices):
    MANAGE = "manage", pgettext_lazy("business role", "Manage")
    APPLY = "apply", pgettext_lazy("business role", "Apply")
    PAY = "pay", pgettext_lazy("business role", "Pay")
    INSPECTIONS = "inspections", pgettext_lazy("business role", "Inspections")
    UPLOAD = "upload", pgettext_lazy("business role", "Upload Files")


ROLE_FIELDS = {
    Role.MANAGE: "can_manage",
    Role.APPLY: "can_apply",
    Role.PAY: "can_pay",
    Role.INSPECTIONS: "can_inspect",
    Role.UPLOAD: "can_upload",
}


class Membership(models.Model):
    """A user associated with a business, and what the business's managers let them do.

    A new member has no roles until a manager grants some. Manage implies every other role.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=gettext_lazy("user"),
    )
    contractor = models.ForeignKey(
        Contractor,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=gettext_lazy("contractor"),
    )
    # Each role's column is named as the role is.
    can_manage = models.BooleanField(Role.MANAGE.label, default=False)
    can_apply = models.BooleanField(Role.APPLY.label, default=False)
    can_pay = models.BooleanField(Role.PAY.label, default=False)
    can_inspect = models.BooleanField(Role.INSPECTIONS.label, default=False)
    can_upload = models.BooleanField(Role.UPLOAD.label, default=False)
    joined_at = models.DateTimeField(gettext_lazy("joined at"), default=timezone.now)

    class Meta:
        verbose_name = gettext_lazy("membership")
        verbose_name_plural = gettext_lazy("memberships")
        ordering = ["contractor", "joined_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "contractor"],
                name="membership_unique",
                violation_error_message=gettext_lazy(
                    "This user is already a member of this business."
                ),
            ),
        ]

    def __str__(self) -> str:
        return _("%(user)s at %(business)s") % {"user": self.user, "business": self.contractor}

    @property
    def roles(self) -> frozenset[str]:
        """The roles this member holds; Manage brings every role with it."""
        if self.can_manage:
            return frozenset(Role.values)
        return frozenset(role for role, field in ROLE_FIELDS.items() if getattr(self, field))

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def role_labels(self) -> list[str]:
        """Every role the member holds, in the roles' order: a Manager's are all of them."""
        return [str(Role(role).label) for role in Role.values if role in self.roles]
