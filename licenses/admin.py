from django import forms
from django.contrib import admin, messages
from django.db.models import Case, When
from django.template.response import TemplateResponse

from core.admin import StatusMoveAdmin

from .exceptions import LicenseError
from .models import Contractor, License, LicenseLink, LicenseType, Membership
from .services import license_link_approve, license_link_reject


class LicenseInline(admin.TabularInline):
    model = License
    extra = 0
    fields = ("number", "license_type", "status", "issued_on", "expires_on")
    readonly_fields = ("status",)
    show_change_link = True


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = (
        "user",
        "can_manage",
        "can_apply",
        "can_pay",
        "can_inspect",
        "can_upload",
        "joined_at",
    )
    readonly_fields = ("joined_at",)
    autocomplete_fields = ("user",)
    verbose_name_plural = "associated accounts"


@admin.register(Contractor)
class ContractorAdmin(admin.ModelAdmin):
    list_display = ("business_name", "contact_name", "city", "phone", "email")
    search_fields = ("business_name", "contact_name", "licenses__number", "email")
    list_filter = ("state", "city")
    readonly_fields = ("pin",)
    inlines = [LicenseInline, MembershipInline]


@admin.register(LicenseType)
class LicenseTypeAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name")
    search_fields = ("prefix", "name")


@admin.register(License)
class LicenseAdmin(StatusMoveAdmin):
    list_display = ("number", "license_type", "holder", "status", "expires_on")
    list_filter = ("status", "license_type")
    search_fields = ("number", "holder__business_name")
    list_select_related = ("license_type", "holder")
    autocomplete_fields = ("holder",)
    fields = (
        "number",
        "license_type",
        "holder",
        "issued_on",
        "expires_on",
        *StatusMoveAdmin.STATUS_FIELDS,
        *StatusMoveAdmin.HISTORY_FIELDS,
    )


class LinkStatusFilter(admin.SimpleListFilter):
    title = "request status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return LicenseLink.Status.choices

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason (sent to the user)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )


@admin.register(LicenseLink)
class LicenseLinkAdmin(admin.ModelAdmin):
    """The "License link requests" queue: pending first. A decision is made by the Approve and
    Reject actions only, records who and when, and is never edited afterwards."""

    list_display = (
        "user",
        "user_email",
        "license",
        "holder",
        "license_status",
        "status",
        "requested_at",
        "decided_by",
        "decided_at",
    )
    list_filter = (LinkStatusFilter, "license__license_type", "requested_at")
    search_fields = (
        "user__username",
        "user__email",
        "^license__number",
        "license__holder__business_name",
    )
    list_select_related = ("user", "license__holder", "decided_by")
    readonly_fields = (
        "user",
        "license",
        "status",
        "requested_at",
        "decided_by",
        "decided_at",
        "reason",
        "removed_at",
    )
    actions = ["approve", "reject"]

    def get_queryset(self, request):
        pending_first = Case(When(status=LicenseLink.Status.PENDING, then=0), default=1)
        return (
            super()
            .get_queryset(request)
            .annotate(pending_first=pending_first)
            .order_by("pending_first", "-requested_at")
        )

    @admin.display(description="email", ordering="user__email")
    def user_email(self, link):
        return link.user.email

    @admin.display(description="holder", ordering="license__holder__business_name")
    def holder(self, link):
        return link.license.holder

    @admin.display(description="license status", ordering="license__status")
    def license_status(self, link):
        return link.license.get_status_display()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Approve selected requests", permissions=["change"])
    def approve(self, request, queryset):
        approved = 0
        for link in queryset.select_related("license", "user"):
            try:
                license_link_approve(link=link, by=request.user)
            except LicenseError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                approved += 1
        if approved:
            self.message_user(
                request, f"Approved {approved} request(s); each user is emailed.", messages.SUCCESS
            )

    @admin.action(description="Reject selected requests (with a reason)", permissions=["change"])
    def reject(self, request, queryset):
        form = RejectForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            rejected = 0
            for link in queryset.select_related("license", "user"):
                try:
                    license_link_reject(
                        link=link, by=request.user, reason=form.cleaned_data["reason"]
                    )
                except LicenseError as error:
                    self.message_user(request, str(error), messages.ERROR)
                else:
                    rejected += 1
            if rejected:
                self.message_user(
                    request,
                    f"Rejected {rejected} request(s); each user is emailed the reason.",
                    messages.SUCCESS,
                )
            return None
        return TemplateResponse(
            request,
            "admin/licenses/licenselink/reject.html",
            {
                **self.admin_site.each_context(request),
                "title": "Reject license link requests",
                "links": queryset.select_related("user", "license"),
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "contractor",
        "can_manage",
        "can_apply",
        "can_pay",
        "can_inspect",
        "can_upload",
        "joined_at",
    )
    list_filter = ("can_manage", "can_pay", "can_inspect")
    search_fields = ("user__username", "user__email", "contractor__business_name")
    list_select_related = ("user", "contractor")
    autocomplete_fields = ("user", "contractor")
