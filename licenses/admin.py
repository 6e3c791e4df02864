from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, When
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from core.admin import StatusMoveAdmin, TabularInline

from .exceptions import LicenseError
from .models import Contractor, License, LicenseLink, LicenseType, Membership
from .scope import email_verified
from .selectors import approval_preview
from .services import license_link_approve, license_link_reject


class LicenseInline(TabularInline):
    model = License
    extra = 0
    fields = ("number", "license_type", "status", "issued_on", "expires_on")
    readonly_fields = ("status",)
    show_change_link = True


class MembershipInline(TabularInline):
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
    verbose_name_plural = gettext_lazy("associated accounts")


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
    title = gettext_lazy("request status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return LicenseLink.Status.choices

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (sent to the user)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )


@admin.register(LicenseLink)
class LicenseLinkAdmin(admin.ModelAdmin):
    """The "License link requests" queue: pending first. A decision is made by the Approve and
    Reject actions, or on a request's own page (the staff email's "Review" link: what the
    applicant entered, the license on record, and what approving will do, with Approve and
    Reject there); it records who and when, and is never edited afterwards."""

    change_form_template = "admin/licenses/licenselink/change_form.html"

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

    @admin.display(description=gettext_lazy("email"), ordering="user__email")
    def user_email(self, link):
        return link.user.email

    @admin.display(description=gettext_lazy("holder"), ordering="license__holder__business_name")
    def holder(self, link):
        return link.license.holder

    @admin.display(description=gettext_lazy("license status"), ordering="license__status")
    def license_status(self, link):
        return link.license.get_status_display()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:link_id>/approve/",
                view(require_POST(self.approve_one)),
                name="licenses_licenselink_approve",
            ),
            path(
                "<int:link_id>/reject/",
                view(require_POST(self.reject_one)),
                name="licenses_licenselink_reject",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        link = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if link is not None:
            extra.update(self.review_context(request, link))
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def review_context(self, request: HttpRequest, link: LicenseLink, form=None) -> dict:
        user = link.user
        verified = email_verified(user)
        pending = link.status == LicenseLink.Status.PENDING
        return {
            "link": link,
            "applicant": user,
            "email_verified": verified,
            "preview": approval_preview(link) if pending else None,
            "may_decide": pending and self.has_change_permission(request, link),
            "reject_form": form or RejectForm(),
        }

    def _decidable(self, request: HttpRequest, link_id: int) -> LicenseLink:
        link = get_object_or_404(
            LicenseLink.objects.select_related("user", "license__holder"), pk=link_id
        )
        if not self.has_change_permission(request, link):
            raise PermissionDenied
        return link

    def _back(self, link: LicenseLink) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:licenses_licenselink_change", args=[link.pk]))

    def approve_one(self, request: HttpRequest, link_id: int):
        link = self._decidable(request, link_id)
        try:
            license_link_approve(link=link, by=request.user)
        except LicenseError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request,
                _("Approved: %(user)s acts for license %(number)s (%(holder)s); they are emailed.")
                % {
                    "user": link.user,
                    "number": link.license.number,
                    "holder": link.license.holder,
                },
                messages.SUCCESS,
            )
        return self._back(link)

    def reject_one(self, request: HttpRequest, link_id: int):
        link = self._decidable(request, link_id)
        form = RejectForm(request.POST)
        if not form.is_valid():
            self.message_user(
                request,
                _("Give the reason for the rejection: the user is told it."),
                messages.ERROR,
            )
            return self._back(link)
        try:
            license_link_reject(link=link, by=request.user, reason=form.cleaned_data["reason"])
        except LicenseError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request,
                _("Rejected: %(user)s is emailed the reason.") % {"user": link.user},
                messages.SUCCESS,
            )
        return self._back(link)

    @admin.action(description=gettext_lazy("Approve selected requests"), permissions=["change"])
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
                request,
                ngettext(
                    "Approved %(count)d request; its user is emailed.",
                    "Approved %(count)d requests; each user is emailed.",
                    approved,
                )
                % {"count": approved},
                messages.SUCCESS,
            )

    @admin.action(
        description=gettext_lazy("Reject selected requests (with a reason)"),
        permissions=["change"],
    )
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
                    ngettext(
                        "Rejected %(count)d request; its user is emailed the reason.",
                        "Rejected %(count)d requests; each user is emailed the reason.",
                        rejected,
                    )
                    % {"count": rejected},
                    messages.SUCCESS,
                )
            return None
        return TemplateResponse(
            request,
            "admin/licenses/licenselink/reject.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Reject license link requests"),
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
