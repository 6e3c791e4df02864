from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy, ngettext

from core.admin import TabularInline
from licenses.models import LicenseLink, Membership
from policy.staff import can_send_authenticator_links

from .exceptions import EnrolmentLinkError
from .models import AuthenticatorEnrolment, SecondFactorGuard, User
from .services import authenticator_link_send


class LicenseLinkInline(TabularInline):
    model = LicenseLink
    fk_name = "user"
    extra = 0
    can_delete = False
    fields = ("license", "status", "requested_at", "decided_by", "decided_at", "reason")
    readonly_fields = fields
    verbose_name_plural = gettext_lazy(
        "license link requests (decide them in License link requests)"
    )

    def has_add_permission(self, request, obj=None):
        return False


class MembershipInline(TabularInline):
    model = Membership
    extra = 0
    fields = ("contractor", "can_manage", "can_apply", "can_pay", "can_inspect", "can_upload")
    autocomplete_fields = ("contractor",)
    verbose_name_plural = gettext_lazy("businesses (Professionals/Contractors)")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "is_active")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            gettext_lazy("Contractor details"),
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
    actions = ["send_authenticator_link"]

    def has_send_authenticator_link_permission(self, request) -> bool:
        return can_send_authenticator_links(request.user)

    @admin.action(
        description=gettext_lazy("Send authenticator set-up link"),
        permissions=["send_authenticator_link"],
    )
    def send_authenticator_link(self, request, queryset):
        """A staff member's first authenticator app is set up through a one-time link to their
        email, never with the password alone (accounts.mfa)."""
        if not request.user.is_superuser:
            queryset = queryset.exclude(is_superuser=True)  # as for changing them
        for user in queryset.order_by("username"):
            try:
                authenticator_link_send(user=user, by=request.user)
            except EnrolmentLinkError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    ngettext(
                        "Set-up link sent to %(user)s at %(email)s: it works once, for "
                        "%(hours)d hour.",
                        "Set-up link sent to %(user)s at %(email)s: it works once, for "
                        "%(hours)d hours.",
                        settings.STAFF_ENROLMENT_LINK_HOURS,
                    )
                    % {
                        "user": user.get_username(),
                        "email": user.email,
                        "hours": settings.STAFF_ENROLMENT_LINK_HOURS,
                    },
                    messages.SUCCESS,
                )

    # Who may grant what: only a superuser. A clerk who may edit users (or groups) cannot make
    # anyone a superuser, put anyone in a group or hand out a permission, themselves included,
    # nor change a superuser's account (its password above all).
    PRIVILEGE_FIELDS = ("is_superuser", "groups", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += [name for name in self.PRIVILEGE_FIELDS if name not in fields]
        return fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        # The bulk "delete selected" asks has_delete_permission without the rows.
        if not request.user.is_superuser:
            queryset = queryset.exclude(is_superuser=True)
        super().delete_queryset(request, queryset)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # A group's permissions are granted by a superuser only (a clerk's own group included).
        return fields if request.user.is_superuser else [*fields, "permissions"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Security records the portal writes itself: staff read them (who is locked out, which
    set-up links were sent and used) and never edit them by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SecondFactorGuard)
class SecondFactorGuardAdmin(ReadOnlyAdmin):
    list_display = ("user", "wrong_codes", "window_started_at", "locked_until")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    ordering = ("-locked_until",)


@admin.register(AuthenticatorEnrolment)
class AuthenticatorEnrolmentAdmin(ReadOnlyAdmin):
    list_display = ("user", "sent_by", "created_at", "expires_at", "used_at", "replaced_at")
    list_select_related = ("user", "sent_by")
    search_fields = ("user__username", "user__email")
    ordering = ("-created_at",)
