"""The permit admin, composed: permits offers the base and its inlines, and the apps above it
add theirs here, the one module that knows them all (the apps themselves never import each
other)."""

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin

from accounts.forms import StaffLoginForm
from inspections.admin import InspectionInline, InspectionTypeInline, WithoutInspectionsFilter
from payments.admin import PaidReadyToIssueFilter
from permits.admin import PermitAdmin, PermitTypeAdmin
from permits.models import Permit, PermitType

admin.site.login_form = StaffLoginForm
admin.site.unregister(Permit)
admin.site.unregister(PermitType)


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


# The audit trail (portal.audit): read only, never deleted, searched by record and person.
admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class AuditLogAdmin(LogEntryAdmin):
    date_hierarchy = None
    show_full_result_count = False
    list_filter = ("action", "content_type")

    def has_delete_permission(self, request, obj=None):
        return False
