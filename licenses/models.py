import re

from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Upper

from .exceptions import InvalidLicenseStatusMove

LICENSE_NUMBER_RE = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,18}$")


def normalize_license_number(raw: str, prefix: str = "") -> str:
    """The form every license number is stored and searched in: upper case, no spaces or dashes,
    and with its two-letter type prefix (added when a prefix is given and the number lacks one)."""
    number = re.sub(r"[\s\-]", "", raw or "").upper()
    prefix = (prefix or "").upper()
    if prefix and number and not number.startswith(prefix) and number[:1].isdigit():
        number = prefix + number
    return number


class Contractor(models.Model):
    """A business on the city's record. It holds licenses; people join it as members."""

    business_name = models.CharField(max_length=200)
    contact_name = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField("ZIP", max_length=10, blank=True)
    # Private: never shown on public pages.
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["business_name"]
        indexes = [models.Index(Upper("business_name"), name="contractor_name_upper")]

    def __str__(self) -> str:
        return self.business_name


class LicenseType(models.Model):
    prefix = models.CharField(
        max_length=2,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2}$", "Two capital letters, e.g. EC.")],
        help_text="Two capital letters that start every license number of this type, e.g. EC.",
    )
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class LicenseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"


class License(models.Model):
    Status = LicenseStatus

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
        max_length=20,
        unique=True,
        help_text="Stored with its type prefix, e.g. EC12345.",
    )
    license_type = models.ForeignKey(LicenseType, on_delete=models.PROTECT, related_name="licenses")
    holder = models.ForeignKey(Contractor, on_delete=models.PROTECT, related_name="licenses")
    status = models.CharField(max_length=10, choices=LicenseStatus, default=LicenseStatus.ACTIVE)
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(issued_on__isnull=True)
                | models.Q(expires_on__gte=models.F("issued_on")),
                name="license_expires_after_issued",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_active(self) -> bool:
        return self.status == LicenseStatus.ACTIVE

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        self.number = normalize_license_number(
            self.number, self.license_type.prefix if self.license_type_id else ""
        )
        if self.license_type_id and not self.number.startswith(self.license_type.prefix):
            raise ValidationError(
                {
                    "number": f"A {self.license_type.name} license number starts with "
                    f"{self.license_type.prefix}."
                }
            )
        if not LICENSE_NUMBER_RE.match(self.number):
            raise ValidationError(
                {"number": "A license number is its two-letter prefix and then letters or digits."}
            )

    def move_to(self, status: str) -> None:
        """Change the status, refusing a move the city does not make. The caller saves."""
        if status == self.status:
            return
        if status not in self.ALLOWED_MOVES[self.status]:
            raise InvalidLicenseStatusMove(
                f"A {self.get_status_display().lower()} license cannot become "
                f"{LicenseStatus(status).label.lower()}."
            )
        self.status = status
