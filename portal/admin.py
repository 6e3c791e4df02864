"""The permit admin, composed: permits offers the base and its inlines, and the apps above it
add theirs here, the one module that knows them all (the apps themselves never import each
other)."""

from urllib.parse import urlencode

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from accounts.admin import UserAdmin
from accounts.forms import StaffLoginForm
from accounts.models import User
from inspections.admin import InspectionInline, InspectionTypeInline, WithoutInspectionsFilter
from notifications.models import Message, MessageState
from notifications.tracking import (
    active_bounce,
    bounce_words,
    messages_about_permit,
    permit_email_problems,
    state_counts,
)
from payments.admin import PaidReadyToIssueFilter
from permits.admin import PermitAdmin, PermitTypeAdmin
from permits.models import Permit, PermitType

admin.site.login_form = StaffLoginForm
admin.site.unregister(Permit)
admin.site.unregister(PermitType)
admin.site.unregister(User)


def messages_html(counts: dict[str, int], **filters: int) -> str:
    """A person's or a permit's messages by state, each linking to admin's list of them."""
    base = reverse("admin:notifications_message_changelist")
    if not counts:
        return "None sent."
    links = format_html_join(
        mark_safe(" · "),
        '<a href="{}?{}">{}: {}</a>',
        (
            (base, urlencode({**filters, "state__exact": state}), MessageState(state).label, n)
            for state, n in counts.items()
        ),
    )
    every = format_html(
        '<a href="{}?{}">All {} messages</a>', base, urlencode(filters), sum(counts.values())
    )
    return format_html("{} · {}", links, every)


@admin.register(PermitType)
class PortalPermitTypeAdmin(PermitTypeAdmin):
    # A type's own inspections on its page; "Without inspections of their own" finds the types
    # an import made, on which contractors can request only the city-wide list.
    inlines = [*PermitTypeAdmin.inlines, InspectionTypeInline]
    list_filter = (WithoutInspectionsFilter, *PermitTypeAdmin.list_filter)


@admin.register(Permit)
class PortalPermitAdmin(PermitAdmin):
    # Inspections right after the license professionals and fees, as a clerk reads a permit.
    inlines = [*PermitAdmin.inlines[:2], InspectionInline, *PermitAdmin.inlines[2:]]
    list_filter = (PaidReadyToIssueFilter, *PermitAdmin.list_filter)

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is None:
            return fieldsets
        # Under its number: whether the portal can reach its people, and what it told them.
        return [
            fieldsets[0],
            ("Email and messages", {"fields": ("email_delivery",)}),
            *fieldsets[1:],
        ]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "email_delivery"]

    @admin.display(description="Delivery")
    def email_delivery(self, permit: Permit) -> str:
        if permit is None or permit.pk is None:
            return "-"
        problems = format_html_join(
            "", '<p class="errornote">{}</p>', ((text,) for text in permit_email_problems(permit))
        )
        counts = state_counts(messages_about_permit(permit.pk))
        return format_html("{}<p>{}</p>", problems, messages_html(counts, permit=permit.pk))


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    # What the portal sent them and whether it arrived; their address, if it bounced.
    fieldsets = (*UserAdmin.fieldsets, ("Email and messages", {"fields": ("email_delivery",)}))
    readonly_fields = (*UserAdmin.readonly_fields, "email_delivery")

    @admin.display(description="Delivery")
    def email_delivery(self, user: User) -> str:
        if user is None or user.pk is None:
            return "-"
        bounce = active_bounce(user.email)
        problem = (
            format_html(
                '<p class="errornote">Their email ({}) {}{}: nothing is emailed to it until it '
                "changes or an email to it is delivered.</p>",
                user.email,
                bounce_words(bounce),
                f" ({bounce.reason})" if bounce.reason else "",
            )
            if bounce
            else ""
        )
        counts = state_counts(Message.objects.filter(user_id=user.pk))
        return format_html("{}<p>{}</p>", problem, messages_html(counts, user=user.pk))


# The audit trail (portal.audit): read only, never deleted, searched by record and person.
admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class AuditLogAdmin(LogEntryAdmin):
    date_hierarchy = None
    show_full_result_count = False
    list_filter = ("action", "content_type")

    def has_delete_permission(self, request, obj=None):
        return False
