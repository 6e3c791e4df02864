from django import forms
from django.contrib import admin, messages

from .exceptions import LicenseError
from .models import Contractor, License, LicenseType


class LicenseInline(admin.TabularInline):
    model = License
    extra = 0
    fields = ("number", "license_type", "status", "issued_on", "expires_on")
    readonly_fields = ("status",)
    show_change_link = True


@admin.register(Contractor)
class ContractorAdmin(admin.ModelAdmin):
    list_display = ("business_name", "contact_name", "city", "phone", "email")
    search_fields = ("business_name", "contact_name", "licenses__number", "email")
    list_filter = ("state", "city")
    inlines = [LicenseInline]


@admin.register(LicenseType)
class LicenseTypeAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name")
    search_fields = ("prefix", "name")


class LicenseAdminForm(forms.ModelForm):
    """Status offers only the moves the city makes from the license's current status."""

    class Meta:
        model = License
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            current = self.instance.status
            allowed = {current, *License.ALLOWED_MOVES[current]}
            self.fields["status"].choices = [
                choice for choice in License.Status.choices if choice[0] in allowed
            ]


@admin.register(License)
class LicenseAdmin(admin.ModelAdmin):
    form = LicenseAdminForm
    list_display = ("number", "license_type", "holder", "status", "expires_on")
    list_filter = ("status", "license_type")
    search_fields = ("number", "holder__business_name")
    list_select_related = ("license_type", "holder")
    autocomplete_fields = ("holder",)

    def save_model(self, request, obj, form, change):
        if change and "status" in form.changed_data:
            wanted = obj.status
            obj.status = form.initial["status"]
            try:
                obj.move_to(wanted)
            except LicenseError as error:
                messages.error(request, str(error))
                return
        super().save_model(request, obj, form, change)
