from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Q, QuerySet

from .models import (
    Collection,
    CollectionItem,
    Fee,
    LicensePermitCount,
    Permit,
    PermitContact,
    PermitDocument,
    PermitLicense,
    PermitStatusChange,
    PermitType,
)
from .selectors import with_fees_due


class FeeForm(forms.ModelForm):
    """A fee a payment holds (being paid, or paid) keeps its amount and status: the payment
    and its receipt are for that amount. A refund gives the fee back first."""

    class Meta:
        model = Fee
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        changed = {"amount", "status"} & set(self.changed_data)
        if self.instance.pk and changed:
            # Payments live in an app above this one: reached by the relation's name.
            line = self.instance.payment_lines.filter(live=True).select_related("payment").first()
            if line is not None:
                raise forms.ValidationError(
                    f"This fee is in payment {line.payment.pk} "
                    f"({line.payment.get_status_display().lower()}): its "
                    f"{' and '.join(sorted(changed))} cannot change. Refund the payment first."
                )
        return cleaned


class FeeInline(admin.TabularInline):
    model = Fee
    form = FeeForm
    extra = 0
    fields = ("description", "amount", "assessed_on", "status")


class PermitLicenseInline(admin.TabularInline):
    model = PermitLicense
    extra = 0
    autocomplete_fields = ("license",)
    verbose_name_plural = "license professionals"


class PermitStatusChangeInline(admin.TabularInline):
    model = PermitStatusChange
    extra = 0
    can_delete = False
    fields = ("changed_at", "from_status", "to_status", "changed_by", "note")
    readonly_fields = fields
    verbose_name_plural = "status history"

    def has_add_permission(self, request, obj=None):
        return False


class PermitContactInline(admin.TabularInline):
    model = PermitContact
    fk_name = "permit"
    extra = 0
    fields = ("user", "contact_type", "added_by", "added_at")
    readonly_fields = ("added_by", "added_at")
    autocomplete_fields = ("user",)


class PermitDocumentInline(admin.TabularInline):
    model = PermitDocument
    extra = 0
    fields = ("original_name", "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    can_delete = True

    def has_add_permission(self, request, obj=None):
        return False


class PermitAdminForm(forms.ModelForm):
    """Status offers only the moves the department makes from the permit's current status; the
    move itself goes through Permit.move_to so it is recorded with who and when."""

    note = forms.CharField(
        required=False, max_length=200, help_text="Why the status changed (kept in the history)."
    )

    class Meta:
        model = Permit
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            current = self.instance.status
            allowed = {current, *Permit.ALLOWED_MOVES[current]}
            self.fields["status"].choices = [
                choice for choice in Permit.Status.choices if choice[0] in allowed
            ]
        self.fields["number"].help_text = "Upper case, e.g. RES24-0150."

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


PERMIT_SEARCH_HELP = (
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
class PermitAdmin(BigListAdmin):
    form = PermitAdminForm
    list_display = ("number", "permit_type", "status", "address", "applied_on", "fees_due")
    list_filter = ("status", "permit_type", "applied_on")
    # Searched by permit_search_ids; listed here so that the admin shows its search box.
    search_fields = ("number",)
    search_help_text = PERMIT_SEARCH_HELP
    list_select_related = ("permit_type",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("number", "permit_type", "status", "note", "description")}),
        (
            "Site",
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
            "Dates and value",
            {"fields": (("applied_on", "issued_on"), ("expires_on", "finaled_on"), "valuation")},
        ),
        ("Record", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    # The apps above this one add their inlines and filters in portal/admin.py, the one place the
    # permit admin is composed.
    inlines = [
        PermitLicenseInline,
        FeeInline,
        PermitContactInline,
        PermitDocumentInline,
        PermitStatusChangeInline,
    ]

    def get_queryset(self, request):
        return with_fees_due(super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.filter(pk__in=permit_search_ids(search_term)), False

    @admin.display(description="Fees due", ordering="fees_due")
    def fees_due(self, obj: Permit):
        return obj.fees_due

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        note = form.cleaned_data.get("note", "")
        if change and "status" in form.changed_data:
            wanted = obj.status
            obj.status = form.initial["status"]
            super().save_model(request, obj, form, change)
            obj.move_to(wanted, by=request.user, note=note)
            messages.info(request, f"{obj.number} is now {obj.get_status_display()}.")
            return
        super().save_model(request, obj, form, change)
        if not change:
            PermitStatusChange.objects.create(
                permit=obj, from_status="", to_status=obj.status, changed_by=request.user, note=note
            )


@admin.register(PermitType)
class PermitTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")


@admin.register(Fee)
class FeeAdmin(OfAPermitAdmin):
    form = FeeForm
    list_display = ("permit", "description", "amount", "status", "assessed_on")
    list_filter = ("status", "assessed_on")
    list_select_related = ("permit",)
    autocomplete_fields = ("permit",)
    # Newest first from the primary key (the fees' own order, by date assessed, has no index
    # over the city's millions of fees).
    ordering = ("-pk",)


@admin.register(PermitLicense)
class PermitLicenseAdmin(OfAPermitAdmin):
    list_display = ("permit", "license")
    list_select_related = ("permit", "license")
    autocomplete_fields = ("permit", "license")


@admin.register(PermitStatusChange)
class PermitStatusChangeAdmin(OfAPermitAdmin):
    """The status history: read only, like any audit trail."""

    list_display = ("permit", "from_status", "to_status", "changed_by", "changed_at", "note")
    list_filter = ("to_status", "changed_at")
    list_select_related = ("permit", "changed_by")
    ordering = ("-pk",)  # latest first, from the primary key's index

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CollectionItemInline(admin.TabularInline):
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
        "file",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    )


@admin.register(LicensePermitCount)
class LicensePermitCountAdmin(admin.ModelAdmin):
    """Read only: kept by the database (see the model), shown for support."""

    list_display = ("license", "status", "permits")
    list_filter = ("status",)
    search_fields = ("^license__number",)
    list_select_related = ("license",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
