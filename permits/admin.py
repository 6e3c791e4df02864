from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import ReadOnlyAdmin, StatusMoveAdmin, StatusMoveForm, TabularInline, money
from core.money import format_money
from policy.staff import can_open_permit_documents

from .document_views import document_file_response
from .models import (
    Collection,
    CollectionItem,
    Fee,
    FeeAdjustment,
    LicenseFeesDue,
    LicensePermitCount,
    Permit,
    PermitCard,
    PermitContact,
    PermitDocument,
    PermitLicense,
    PermitNumberSequence,
    PermitType,
)
from .selectors import with_fees_due
from .services import fee_adjust
from .signals import fee_held_by
from .views import card_file_response


class FeeForm(StatusMoveForm):
    """A fee a payment holds (being paid, or paid) keeps its amount: the payment and its
    receipt are for that amount. A refund gives the fee back first."""

    class Meta:
        model = Fee
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A paid or held fee's description is what its receipt shows (in the permit's inline
        # rows, where a field cannot be read only for one row alone).
        if "description" in self.fields and self.instance.is_held:
            self.fields["description"].disabled = True
            self.fields["description"].help_text = _("Paid: kept as the receipt shows it.")

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "amount" in self.changed_data:
            holder = fee_held_by(self.instance)
            if holder:
                self.add_error(
                    "amount",
                    _(
                        "This fee is held by %(holder)s: its amount cannot change. Refund the "
                        "payment first."
                    )
                    % {"holder": holder},
                )
            elif "adjust_reason" not in self.fields:
                self.add_error(
                    "amount",
                    _("Change an assessed fee's amount on the fee's own page, with the reason."),
                )
            elif not cleaned.get("adjust_reason", "").strip():
                self.add_error(
                    "adjust_reason", _("Give the reason the amount changes (kept with the fee).")
                )
        return cleaned


class FeeAdjustForm(FeeForm):
    """The fee's own page: an assessed amount changes with the reason, recorded."""

    adjust_reason = forms.CharField(
        label=gettext_lazy("Reason for a new amount"),
        required=False,
        max_length=300,
        help_text=gettext_lazy("Needed when the amount changes: kept in the fee's adjustments."),
    )


class FeeInline(TabularInline):
    """New fees are added here as Due; a fee's status moves on its own page (Waive with a
    reason) or through a payment."""

    model = Fee
    form = FeeForm
    extra = 0
    fields = ("description", "amount", "assessed_on", "status")
    readonly_fields = ("status",)
    show_change_link = True
    can_delete = False


class PermitLicenseInline(TabularInline):
    model = PermitLicense
    extra = 0
    autocomplete_fields = ("license",)
    verbose_name_plural = gettext_lazy("license professionals")


class PermitContactInline(TabularInline):
    model = PermitContact
    fk_name = "permit"
    extra = 0
    fields = ("user", "contact_type", "added_by", "added_at")
    readonly_fields = ("added_by", "added_at")
    autocomplete_fields = ("user",)


def document_download_link(document: PermitDocument) -> str:
    if document.pk is None:
        return "—"
    url = reverse("admin:permits_permitdocument_download", args=[document.pk])
    return format_html(
        '<a href="{}">{}</a>', url, _("Download %(name)s") % {"name": document.download_name}
    )


class PermitDocumentInline(TabularInline):
    model = PermitDocument
    extra = 0
    fields = ("original_name", "download", "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    can_delete = True

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("file"))
    def download(self, document: PermitDocument) -> str:
        return document_download_link(document)


class PermitAdminForm(StatusMoveForm):
    class Meta:
        model = Permit
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "number" in self.fields:
            self.fields["number"].help_text = _("Upper case, e.g. RES24-0150.")

    def clean_number(self) -> str:
        return self.cleaned_data["number"].strip().upper()


def permit_search_ids(term: str) -> QuerySet:
    """The ids of the permits a clerk's search finds: by the beginning of the permit number,
    any part of the address, the beginning of a license number, or any part of a license
    holder's business name. A UNION of reads that each use their own index (the address its
    trigram index, kept upper case): with a city's million permits, Django's search over the
    same fields (OR across joins, then DISTINCT) took seconds."""
    upper = " ".join(term.upper().split())
    permits = Permit.objects.order_by()
    by_number = permits.filter(number__startswith=upper).values("pk")
    by_address = permits.filter(address_search__contains=upper).values("pk")
    by_license = (
        PermitLicense.objects.filter(
            Q(license__number__startswith=upper)
            | Q(license__holder__business_name__icontains=term.strip())
        )
        .order_by()
        .values("permit_id")
    )
    return by_number.union(by_address, by_license)


PERMIT_SEARCH_HELP = gettext_lazy(
    "The beginning of a permit number, any part of the address, the beginning of a license "
    "number, or any part of a business name."
)


class BigListAdmin(admin.ModelAdmin):
    """A list of a city's millions of rows: the total of a filtered list is counted once, not
    again for the whole table."""

    show_full_result_count = False


class OfAPermitAdmin(BigListAdmin):
    """Rows that belong to a permit (fees, license professionals, status changes), searched
    as the permits are (permit_search_ids)."""

    search_fields = ("permit__number",)  # shows the search box; the search is below
    search_help_text = PERMIT_SEARCH_HELP

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.filter(permit_id__in=permit_search_ids(search_term)), False


@admin.register(Permit)
class PermitAdmin(StatusMoveAdmin, BigListAdmin):
    form = PermitAdminForm
    list_display = ("number", "permit_type", "status", "address", "applied_on", "fees_due")
    list_filter = ("status", "permit_type", "applied_on")
    # Searched by permit_search_ids; listed here so that the admin shows its search box.
    search_fields = ("number",)
    search_help_text = PERMIT_SEARCH_HELP
    list_select_related = ("permit_type",)
    # The dates of issuing, expiry and finaling are set by the moves that make them (a form
    # opened before a move would otherwise write them back empty).
    readonly_fields = ("issued_on", "expires_on", "finaled_on", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("number", "permit_type", "description")}),
        (gettext_lazy("Status"), {"fields": StatusMoveAdmin.STATUS_FIELDS}),
        (
            gettext_lazy("Site"),
            {
                "fields": (
                    ("street_number", "street_name", "unit"),
                    ("city", "state", "zip_code"),
                    "parcel_number",
                    "owner_name",
                )
            },
        ),
        (
            gettext_lazy("Dates and value"),
            {"fields": (("applied_on", "issued_on"), ("expires_on", "finaled_on"), "valuation")},
        ),
        (
            gettext_lazy("Record"),
            {"fields": ("created_at", "updated_at"), "classes": ("collapse",)},
        ),
        # Its events, its fees', payments' and inspections' too (core.events).
        (gettext_lazy("History"), {"fields": StatusMoveAdmin.HISTORY_FIELDS}),
    )

    # The apps above this one add their inlines and filters in portal/admin.py, the one place the
    # permit admin is composed.
    inlines = [
        PermitLicenseInline,
        FeeInline,
        PermitContactInline,
        PermitDocumentInline,
    ]

    def get_queryset(self, request):
        return with_fees_due(super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.filter(pk__in=permit_search_ids(search_term)), False

    @admin.display(description=gettext_lazy("Fees due"), ordering="fees_due")
    def fees_due(self, obj: Permit):
        return format_money(obj.fees_due)

    def has_delete_permission(self, request, obj=None):
        # A permit is never deleted: it is cancelled.
        return False


@admin.register(PermitType)
class PermitTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_active", "licenses_that_apply")
    list_filter = ("is_active", "license_types")
    search_fields = ("code", "name")
    filter_horizontal = ("license_types",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("license_types")

    @admin.display(description=gettext_lazy("license types that may apply"))
    def licenses_that_apply(self, permit_type: PermitType) -> str:
        return ", ".join(kind.name for kind in permit_type.license_types.all()) or _("any")


@admin.register(Fee)
class FeeAdmin(StatusMoveAdmin, OfAPermitAdmin):
    form = FeeAdjustForm
    fields = (
        "permit",
        "description",
        "amount",
        "adjust_reason",
        "adjustments",
        "assessed_on",
        *StatusMoveAdmin.STATUS_FIELDS,
        *StatusMoveAdmin.HISTORY_FIELDS,
    )
    list_display = ("permit", "description", money("amount"), "status", "assessed_on")
    list_filter = ("status", "assessed_on")
    list_select_related = ("permit",)
    autocomplete_fields = ("permit",)
    # Newest first from the primary key (the fees' own order, by date assessed, has no index
    # over the city's millions of fees).
    ordering = ("-pk",)

    def get_readonly_fields(self, request, obj=None):
        fields = [*super().get_readonly_fields(request, obj), "adjustments"]
        if obj is None:
            return fields
        # A fee never moves to another permit; a paid or held one keeps its description too
        # (the model refuses both as well: Fee.refuse_held_changes).
        return [*fields, "permit", *(["description"] if obj.is_held else [])]

    def has_delete_permission(self, request, obj=None):
        # Money is never deleted: a fee charged in error is waived, with the reason.
        return False

    @admin.display(description=gettext_lazy("adjustments"))
    def adjustments(self, fee: Fee) -> str:
        rows = list(fee.adjustments.select_related("adjusted_by")) if fee.pk else []
        if not rows:
            return "-"
        return format_html_join(
            mark_safe("<br>"),
            _("{date}: {previous} to {amount} by {by}: {reason}"),
            (
                {
                    "date": date_format(row.adjusted_at, "SHORT_DATE_FORMAT"),
                    "previous": format_money(row.previous_amount),
                    "amount": format_money(row.amount),
                    "by": row.adjusted_by or "-",
                    "reason": row.reason,
                }
                for row in rows
            ),
        )

    def save_model(self, request, obj, form, change):
        if change and "amount" in form.changed_data:
            fee_adjust(
                fee=obj,
                previous_amount=form.initial["amount"],
                reason=form.cleaned_data["adjust_reason"],
                by=request.user,
            )
        super().save_model(request, obj, form, change)


@admin.register(PermitLicense)
class PermitLicenseAdmin(OfAPermitAdmin):
    list_display = ("permit", "license")
    list_select_related = ("permit", "license")
    autocomplete_fields = ("permit", "license")


class CollectionItemInline(TabularInline):
    model = CollectionItem
    extra = 0
    autocomplete_fields = ("permit",)


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "created_at")
    search_fields = ("name", "owner__username")
    list_select_related = ("owner",)
    inlines = [CollectionItemInline]


@admin.register(CollectionItem)
class CollectionItemAdmin(admin.ModelAdmin):
    list_display = ("collection", "permit", "added_at")
    search_fields = ("collection__name", "^permit__number")
    list_select_related = ("collection", "permit")
    autocomplete_fields = ("permit",)


@admin.register(PermitContact)
class PermitContactAdmin(admin.ModelAdmin):
    list_display = ("permit", "user", "contact_type", "added_at")
    list_filter = ("contact_type",)
    search_fields = ("^permit__number", "user__username", "user__email")
    list_select_related = ("permit", "user")
    autocomplete_fields = ("permit", "user")


@admin.register(PermitDocument)
class PermitDocumentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "permit", "content_type", "size", "uploaded_by", "uploaded_at")
    list_filter = ("content_type", "uploaded_at")
    search_fields = ("original_name", "^permit__number")
    list_select_related = ("permit", "uploaded_by")
    readonly_fields = (
        "download",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    )
    exclude = ("file",)  # its own link would point at MEDIA_URL, which nothing serves

    @admin.display(description=gettext_lazy("file"))
    def download(self, document: PermitDocument) -> str:
        return document_download_link(document)

    def get_urls(self):
        download = path(
            "<int:document_id>/download/",
            self.admin_site.admin_view(self.download_view),
            name="permits_permitdocument_download",
        )
        return [download, *super().get_urls()]

    def download_view(self, request: HttpRequest, document_id: int) -> FileResponse:
        """Staff open a document here: the portal's download is for the permit's contractors
        (the policy), and the file itself is never served from MEDIA_URL."""
        if not can_open_permit_documents(request.user):
            raise PermissionDenied
        return document_file_response(get_object_or_404(PermitDocument, pk=document_id))


@admin.register(LicensePermitCount)
class LicensePermitCountAdmin(ReadOnlyAdmin):
    """Read only: kept by the database (see the model), shown for support."""

    list_display = ("license", "status", "permits")
    list_filter = ("status",)
    search_fields = ("^license__number",)
    list_select_related = ("license",)


@admin.register(LicenseFeesDue)
class LicenseFeesDueAdmin(ReadOnlyAdmin):
    """Read only: kept by the database (see the model), shown for support."""

    list_display = ("license", money("amount"))
    search_fields = ("^license__number",)
    list_select_related = ("license",)


@admin.register(PermitNumberSequence)
class PermitNumberSequenceAdmin(ReadOnlyAdmin):
    """Read only: the last number each scheme gave (permits.services.permit_number_next)."""

    list_display = ("prefix", "year", "last")
    ordering = ("prefix", "-year")


@admin.register(PermitCard)
class PermitCardAdmin(ReadOnlyAdmin):
    """Read only: each revision of each permit's card (permits.cards makes them)."""

    list_display = ("permit", "revision", "created_at", "superseded_at", "download")
    list_select_related = ("permit",)
    search_fields = ("permit__number",)

    @admin.display(description=gettext_lazy("PDF"))
    def download(self, card: PermitCard) -> str:
        url = reverse("admin:permits_permitcard_download", args=[card.pk])
        return format_html(
            '<a href="{}">{}</a>', url, _("Rev %(revision)s") % {"revision": card.revision}
        )

    def get_urls(self):
        return [
            path(
                "<int:card_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="permits_permitcard_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, card_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        card = get_object_or_404(PermitCard.objects.select_related("permit"), pk=card_id)
        return card_file_response(card)


@admin.register(FeeAdjustment)
class FeeAdjustmentAdmin(ReadOnlyAdmin):
    """Read only: every change to an assessed fee's amount, with its reason."""

    list_display = ("fee", "previous_amount", "amount", "reason", "adjusted_by", "adjusted_at")
    list_select_related = ("fee__permit", "adjusted_by")
    search_fields = ("fee__permit__number", "reason")
