"""Admin: what was sent to whom and its delivery state (per user and per permit: the filters, and
the links from a user's and a permit's own pages, portal/admin.py), the addresses email no longer
goes to, and each user's preferences. Read-only: what was sent is a record."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model

from permits.models import Permit

from .models import (
    AddressOptOut,
    BouncedAddress,
    BusinessDefault,
    Message,
    Notice,
    PhoneNumber,
    Preference,
    Reminder,
)
from .tracking import about_permit, bounce_clear


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class OneRecordFilter(admin.SimpleListFilter):
    """A filter by one record's id, named in the link that opens the list (a user's or a
    permit's page): shown with its name, never as a list of every record there is."""

    def value(self) -> str:
        value = super().value() or ""
        return value if value.isdigit() else ""

    def name_of(self, pk: int) -> str | None:
        raise NotImplementedError

    def lookups(self, request, model_admin):
        # Only the one the link names (a filter with no choice would not be applied at all).
        given = self.used_parameters.get(self.parameter_name)
        if given is None:
            return []
        value = self.value()
        return [(given, (self.name_of(int(value)) if value else None) or "none such")]


class PermitFilter(OneRecordFilter):
    title = "permit"
    parameter_name = "permit"

    def name_of(self, pk: int) -> str | None:
        return Permit.objects.filter(pk=pk).values_list("number", flat=True).first()

    def queryset(self, request, queryset):
        if self.used_parameters.get(self.parameter_name) is None:
            return queryset
        value = self.value()
        return queryset.filter(about_permit(int(value))) if value else queryset.none()


class UserFilter(OneRecordFilter):
    title = "person"
    parameter_name = "user"

    def name_of(self, pk: int) -> str | None:
        return get_user_model().objects.filter(pk=pk).values_list("username", flat=True).first()

    def queryset(self, request, queryset):
        if self.used_parameters.get(self.parameter_name) is None:
            return queryset
        value = self.value()
        return queryset.filter(user_id=int(value)) if value else queryset.none()


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "channel",
        "address",
        "subject",
        "state",
        "sent_at",
        "tracked_at",
        "detail",
    )
    list_filter = ("state", "channel", "group", PermitFilter, UserFilter)
    search_fields = ("address", "user__username", "user__email", "permit__number", "subject")
    raw_id_fields = ("user", "permit")
    date_hierarchy = "created_at"
    list_select_related = ("user", "permit")
    show_full_result_count = False


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "subject", "group", "in_portal", "read_at")
    list_filter = ("group", "in_portal")
    search_fields = ("email", "user__username", "permit__number", "subject")
    raw_id_fields = ("user", "permit", "event", "superseded_by")
    date_hierarchy = "created_at"


@admin.register(Preference)
class PreferenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "group", "channel", "timing", "updated_at")
    list_filter = ("group", "channel", "timing")
    search_fields = ("user__username", "user__email")


@admin.register(BusinessDefault)
class BusinessDefaultAdmin(ReadOnlyAdmin):
    list_display = ("contractor", "group", "channel", "timing", "updated_by", "updated_at")
    search_fields = ("contractor__name",)


@admin.register(AddressOptOut)
class AddressOptOutAdmin(ReadOnlyAdmin):
    list_display = ("email", "group", "created_at")
    search_fields = ("email",)


@admin.register(PhoneNumber)
class PhoneNumberAdmin(ReadOnlyAdmin):
    """Each user's number for texts: verified, and whether it replied STOP (the code's hash is
    not shown)."""

    list_display = ("user", "number", "verified_at", "opted_out_at", "updated_at")
    search_fields = ("number", "user__username", "user__email")
    fields = ("user", "number", "verified_at", "opted_out_at", "created_at", "updated_at")
    raw_id_fields = ("user",)


class StoppedFilter(admin.SimpleListFilter):
    title = "email to it"
    parameter_name = "stopped"

    def lookups(self, request, model_admin):
        return [("yes", "Stopped"), ("no", "Goes again")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(cleared_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(cleared_at__isnull=False)
        return queryset


@admin.register(BouncedAddress)
class BouncedAddressAdmin(admin.ModelAdmin):
    """Addresses the email service bounced or whose owner marked an email as spam: nothing is
    emailed to them until cleared (notifications.tracking). Staff who may change these clear
    one ("Email these addresses again") once its owner says it works, e.g. on the phone."""

    list_display = ("email", "state", "at", "reason", "cleared_at", "cleared_by")
    list_filter = (StoppedFilter, "state")
    search_fields = ("email",)
    readonly_fields = ("email", "state", "at", "reason", "message", "cleared_at", "cleared_by")
    actions = ["email_again"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Nothing on the record is typed in: the list's action clears it.
        return obj is None and super().has_change_permission(request)

    @admin.action(description="Email these addresses again", permissions=["change"])
    def email_again(self, request, queryset):
        who = f"staff: {request.user.get_username()}"
        cleared = sum(bounce_clear(email=bounce.email, by=who) for bounce in queryset)
        self.message_user(
            request,
            f"Email goes again to {cleared} address(es); a new bounce stops it again.",
            messages.SUCCESS,
        )


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    """Every reminder sent, once per object and threshold (notifications.reminders)."""

    list_display = ("sent_on", "kind", "object_id", "threshold", "cleared_on")
    list_filter = ("kind",)
    search_fields = ("=object_id",)
    raw_id_fields = ("event",)
    date_hierarchy = "sent_on"
