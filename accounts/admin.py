from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from licenses.models import LicenseLink, Membership

from .models import User


class LicenseLinkInline(admin.TabularInline):
    model = LicenseLink
    fk_name = "user"
    extra = 0
    can_delete = False
    fields = ("license", "status", "requested_at", "decided_by", "decided_at", "reason")
    readonly_fields = fields
    verbose_name_plural = "license link requests (decide them in License link requests)"

    def has_add_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("contractor", "can_manage", "can_apply", "can_pay", "can_inspect", "can_upload")
    autocomplete_fields = ("contractor",)
    verbose_name_plural = "businesses (Professionals/Contractors)"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "is_active")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            "Contractor details",
            {
                "fields": (
                    "phone",
                    "preferred_contact",
                    ("business_address", "business_city", "business_state", "business_zip"),
                    ("mailing_address", "mailing_city", "mailing_state", "mailing_zip"),
                    "security_question",
                )
            },
        ),
    )
    inlines = [LicenseLinkInline, MembershipInline]
