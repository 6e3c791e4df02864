"""Admin: what was sent to whom and its delivery state (per user and per permit: filter or
search), and each user's preferences. Read-only: what was sent is a record."""

from django.contrib import admin

from .models import AddressOptOut, BusinessDefault, Message, Notice, PhoneNumber, Preference


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "channel", "address", "subject", "state", "sent_at", "detail")
    list_filter = ("channel", "state")
    search_fields = ("address", "user__username", "user__email", "permit__number", "subject")
    raw_id_fields = ("user", "permit")
    date_hierarchy = "created_at"
    list_select_related = ("user", "permit")


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
