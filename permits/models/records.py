"""What people keep about permits: collections, the contacts named on one, its documents."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from .permits import Permit


class Collection(models.Model):
    """A user's named group of permits, as Accela's Collections: private to its owner. Any
    permit can be in one; what the owner sees of it is decided when the page is shown."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections"
    )
    name = models.CharField(max_length=80)
    permits = models.ManyToManyField(Permit, through="CollectionItem", related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = [Lower("name")]
        constraints = [
            models.UniqueConstraint(
                "owner",
                Lower("name"),
                name="collection_name_unique_per_owner",
                violation_error_message=gettext_lazy(
                    "You already have a collection with this name."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "permit"],
                name="collection_item_unique",
                violation_error_message=gettext_lazy("This permit is already in this collection."),
            ),
        ]

    def __str__(self) -> str:
        return _("%(permit)s in %(collection)s") % {
            "permit": self.permit_id,
            "collection": self.collection_id,
        }


class ContactType(models.TextChoices):
    APPLICANT = "applicant", pgettext_lazy("contact type", "Applicant")
    CONTACT = "contact", pgettext_lazy("contact type", "Contact")
    OWNER = "owner", pgettext_lazy("contact type", "Owner")
    GENERAL_CONTRACTOR = "general_contractor", pgettext_lazy("contact type", "General Contractor")
    SUBCONTRACTOR = "subcontractor", pgettext_lazy("contact type", "Subcontractor")
    PROJECT_MANAGER = "project_manager", pgettext_lazy("contact type", "Project Manager")


class PermitContact(models.Model):
    """A registered user named on a permit, as Civic Access's contacts: they see the permit in My
    Records and its private details; paying and inspections still need their own roles."""

    Type = ContactType

    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="contacts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="permit_contacts"
    )
    contact_type = models.CharField(max_length=20, choices=ContactType)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["permit", "user"],
                name="permit_contact_unique",
                violation_error_message=gettext_lazy(
                    "This person is already a contact on this permit."
                ),
            ),
        ]
        indexes = [models.Index(fields=["user", "permit"], name="permitcontact_user")]

    def __str__(self) -> str:
        return _("%(user)s (%(type)s) on %(permit)s") % {
            "user": self.user,
            "type": self.get_contact_type_display(),
            "permit": self.permit,
        }


def document_path(instance: "PermitDocument", filename: str) -> str:
    # Never the uploader's file name on disk: a random name in a folder per permit.
    return f"permit-documents/{instance.permit_id}/{uuid.uuid4().hex}{instance.extension}"


class PermitDocument(models.Model):
    """A file uploaded to a permit. Stored outside any public URL; every download goes through
    a view that checks the user's access."""

    EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}

    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=document_path, max_length=200)
    original_name = models.CharField(max_length=200)
    # What it is, when it is a document the permit needs before issuance ("REScheck energy
    # compliance"): chosen as it is uploaded, it meets that need (permits.checks).
    kind = models.CharField(gettext_lazy("document"), max_length=100, blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.content_type, "")

    @property
    def download_name(self) -> str:
        """The name a download is saved under: the uploader's name with the extension of the
        type its content was found to be (a PDF named x.html is saved as x.pdf, never opened
        as a web page or run as a program)."""
        stem = PurePath(self.original_name).stem.strip(" .") or "document"
        return f"{stem[:150]}{self.extension}"
