from django.contrib import admin

from permits.admin import PermitAdmin
from permits.models import Permit

from .models import Inspection, InspectionType


class InspectionInline(admin.TabularInline):
    model = Inspection
    extra = 0
    fields = ("inspection_type", "status", "scheduled_for", "completed_on", "result")
    show_change_link = True

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # Offer only the inspection types of this permit's type.
        if obj is not None:
            field = formset.form.base_fields["inspection_type"]
            field.queryset = InspectionType.objects.filter(permit_type_id=obj.permit_type_id)
        return formset


# The permit page in admin shows its inspections too: this app sits above permits, so it
# extends the permit admin rather than the permit admin knowing about inspections.
admin.site.unregister(Permit)


@admin.register(Permit)
class PermitWithInspectionsAdmin(PermitAdmin):
    inlines = [*PermitAdmin.inlines[:2], InspectionInline, *PermitAdmin.inlines[2:]]


@admin.register(InspectionType)
class InspectionTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "permit_type")
    list_filter = ("permit_type",)
    search_fields = ("code", "name")


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ("permit", "inspection_type", "status", "scheduled_for", "result")
    list_filter = ("status", "result", "scheduled_for", "inspection_type__permit_type")
    search_fields = ("^permit__number", "permit__address_search", "inspection_type__name")
    list_select_related = ("permit", "inspection_type")
    autocomplete_fields = ("permit",)
    date_hierarchy = "scheduled_for"
    fields = (
        "permit",
        "inspection_type",
        "status",
        "scheduled_for",
        "completed_on",
        "result",
        "result_comments",
        "inspector_notes",
    )
