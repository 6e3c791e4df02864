import datetime
from itertools import groupby

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import ReadOnlyAdmin, TabularInline
from core.params import parse_id
from permits.admin import permit_search_ids
from policy.staff import INSPECTORS_GROUP, inspector_filter, is_inspector

from .admin_filters import OpenFilter, shows_open_list
from .exceptions import InspectionError
from .models import (
    CalendarFeed,
    Holiday,
    Inspection,
    InspectionArea,
    InspectionLicense,
    InspectionStatus,
    InspectionType,
    Inspector,
)
from .scheduling import day_label
from .selectors import permit_types_without_inspections
from .services import (
    inspection_record_result,
    inspection_scheduled,
    inspections_route,
)


class InspectionInline(TabularInline):
    """A permit's inspections, read only (portal/admin.py adds it to the permit admin): a
    result is recorded on the inspection's own page ("Change"), through the one service that
    completes it, records who and emails the contractor."""

    model = Inspection
    extra = 0
    fields = ("inspection_type", "status", "scheduled_for", "inspector", "completed_on", "result")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Read only here, whatever the user may do on the inspection's own page.
        return False


class CityWideFilter(admin.SimpleListFilter):
    title = gettext_lazy("list")
    parameter_name = "list"

    def lookups(self, request, model_admin):
        return [
            ("city", _("City-wide (types without their own)")),
            ("type", _("A permit type's own")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "city":
            return queryset.filter(permit_type__isnull=True)
        if self.value() == "type":
            return queryset.filter(permit_type__isnull=False)
        return queryset


@admin.register(InspectionType)
class InspectionTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "list_of", "reinspection_fee")
    list_filter = (CityWideFilter, "permit_type")
    search_fields = ("code", "name")

    @admin.display(description=gettext_lazy("permit type"), ordering="permit_type")
    def list_of(self, inspection_type):
        return inspection_type.permit_type or _("City-wide list")


class InspectionTypeInline(TabularInline):
    """A permit type's own inspections, on its admin page (composed in portal/admin.py)."""

    model = InspectionType
    extra = 1
    fields = ("code", "name", "is_final", "reinspection_fee")


class WithoutInspectionsFilter(admin.SimpleListFilter):
    """Permit types without inspections of their own (imported ones, typically)."""

    title = gettext_lazy("inspections")
    parameter_name = "inspections"

    def lookups(self, request, model_admin):
        return [
            ("none", _("Without inspections of their own")),
            ("own", _("With their own inspections")),
        ]

    def queryset(self, request, queryset):
        without = permit_types_without_inspections().values("pk")
        if self.value() == "none":
            return queryset.filter(pk__in=without)
        if self.value() == "own":
            return queryset.exclude(pk__in=without)
        return queryset


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name")
    date_hierarchy = "date"
    search_fields = ("name",)


@admin.register(InspectionArea)
class InspectionAreaAdmin(admin.ModelAdmin):
    list_display = ("name", "zip_codes")
    search_fields = ("name", "zip_codes")


@admin.register(Inspector)
class InspectorAdmin(admin.ModelAdmin):
    list_display = ("__str__", "area", "in_group")
    list_filter = ("area",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
    autocomplete_fields = ("user",)

    @admin.display(
        boolean=True,
        description=format_lazy(gettext_lazy("in the {group} group"), group=INSPECTORS_GROUP),
    )
    def in_group(self, inspector):
        return is_inspector(inspector.user)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Staff can revoke a contractor's calendar link by deleting it."""

    list_display = ("user", "created_at")
    search_fields = ("user__username",)
    readonly_fields = ("user", "token", "created_at")

    def has_add_permission(self, request):
        return False


class InspectionAdminForm(forms.ModelForm):
    class Meta:
        model = Inspection
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "inspector" in self.fields:
            self.fields["inspector"].queryset = Inspector.objects.filter(
                inspector_filter("user__")
            ).select_related("user")
            self.fields["inspector"].help_text = _("Reassign to another inspector.")
        if "result" in self.fields:
            self.fields["result"].help_text = _(
                "Recording a result completes the inspection (Cancelled cancels it) and emails "
                "the contractor."
            )


def parse_day(raw: str | None) -> datetime.date:
    try:
        return datetime.date.fromisoformat(raw or "")
    except ValueError:
        return timezone.localdate()


def told(inspection) -> str:
    """Who is emailed an inspection's result, or who is not and how to reach them instead."""
    requester = inspection.requested_by
    if requester is not None and requester.email:
        name = requester.get_full_name() or requester.get_username()
        return _("%(name)s (%(email)s) is emailed the result.") % {
            "name": name,
            "email": requester.email,
        }
    nobody = _("Nobody is emailed: the inspection was not requested on the portal.")
    if not inspection.contact_phone:
        return nobody
    call = _("Call %(contact)s at %(phone)s.") % {
        "contact": inspection.contact_name or _("the site contact"),
        "phone": inspection.contact_phone,
    }
    return f"{nobody} {call}"


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    form = InspectionAdminForm
    # Narrow enough for 1366 px beside the filters: the permit by its number, the day with its
    # AM/PM, the status with its result.
    list_display = (
        "number",
        "permit_number",
        "inspection_type",
        "day",
        "inspector",
        "outcome",
    )
    list_filter = (
        OpenFilter,
        "scheduled_for",
        "inspector",
        "area",
        "result",
        "inspection_type__permit_type",
    )
    # Searched in get_search_results; listed here so that the admin shows its search box.
    search_fields = ("inspection_type__name",)
    search_help_text = gettext_lazy(
        "A request number (INS-000123), a permit's number or address (as in the permit list), "
        "or any part of an inspection's name."
    )
    list_select_related = ("permit", "inspection_type", "inspector__user", "area")
    autocomplete_fields = ("permit",)
    show_full_result_count = False
    ordering = ("scheduled_for", "inspector", "id")

    def get_ordering(self, request):
        # Open ones soonest (the overdue) first; a history, latest first.
        if shows_open_list(request):
            return self.ordering
        return ("-scheduled_for", "-id")

    fieldsets = (
        (
            gettext_lazy("Request"),
            {
                "fields": (
                    "permit",
                    "inspection_type",
                    "status",
                    "scheduled_for",
                    "time_preference",
                    "contact_name",
                    "contact_phone",
                    "request_notes",
                    "requested_by",
                    "created_at",
                    "reinspection_of",
                )
            },
        ),
        (gettext_lazy("Assignment"), {"fields": ("area", "inspector")}),
        (
            gettext_lazy("Result"),
            {
                "fields": (
                    "result",
                    "result_comments",
                    "inspector_notes",
                    "completed_on",
                    "resulted_by",
                    "resulted_at",
                    "cancelled_by",
                    "cancelled_at",
                )
            },
        ),
    )
    readonly_fields = (
        "status",
        "reinspection_of",
        "requested_by",
        "created_at",
        "request_notes",
        "completed_on",
        "resulted_by",
        "resulted_at",
        "cancelled_by",
        "cancelled_at",
    )

    def get_search_results(self, request, queryset, search_term):
        # "INS-000123" finds request 123.
        term = search_term.strip().upper()
        if not term:
            return queryset, False
        if term.startswith("INS-") and (pk := parse_id(term[4:])) is not None:
            return queryset.filter(pk=pk), False
        inspections = Inspection.objects.order_by()
        by_type = inspections.filter(inspection_type__name__icontains=search_term.strip())
        by_permit = inspections.filter(permit_id__in=permit_search_ids(search_term))
        ids = by_type.values("pk").union(by_permit.values("pk"))
        return queryset.filter(pk__in=ids), False

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None:
            # A new request is scheduled; its result is recorded on it once it exists, through
            # the result service (which completes it and tells the requester).
            fields += ["result", "result_comments", "inspector_notes"]
        else:
            fields += ["permit", "inspection_type"]
            if obj.status != InspectionStatus.SCHEDULED:
                fields += [
                    "result",
                    "result_comments",
                    "inspector_notes",
                    "scheduled_for",
                    "time_preference",
                    "inspector",
                ]
        return fields

    @admin.display(description=gettext_lazy("request"), ordering="id")
    def number(self, inspection):
        return inspection.number

    @admin.display(description=gettext_lazy("permit and address"), ordering="permit__number")
    def permit_number(self, inspection):
        # One column for both: seven columns and the filters fit a 1366 px screen.
        permit = inspection.permit
        return format_html('{}<br><span class="small">{}</span>', permit.number, permit.address)

    @admin.display(description=gettext_lazy("date"), ordering="scheduled_for")
    def day(self, inspection):
        if inspection.scheduled_for is None:
            return "-"
        day = date_format(inspection.scheduled_for, "SHORT_DATE_FORMAT")
        if inspection.time_preference:
            return f"{day} {inspection.get_time_preference_display()}"
        return day

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def outcome(self, inspection):
        if inspection.result:
            return inspection.get_result_display()
        return inspection.get_status_display()

    def save_model(self, request, obj, form, change):
        result = form.cleaned_data.get("result")
        if change and result and "result" in form.changed_data:
            # Everything else on the form first (e.g. a reassignment), then the result through
            # the one service that completes the inspection and emails the contractor.
            comments = obj.result_comments
            notes = obj.inspector_notes
            obj.result = ""
            super().save_model(request, obj, form, change)
            try:
                inspection_record_result(
                    inspection=obj,
                    result=result,
                    public_comments=comments,
                    internal_notes=notes,
                    by=request.user,
                )
            except InspectionError as error:
                messages.error(request, str(error))
            else:
                obj.refresh_from_db()
                messages.success(
                    request,
                    _("%(number)s: %(result)s. %(told)s")
                    % {"number": obj.number, "result": obj.get_result_display(), "told": told(obj)},
                )
            return
        super().save_model(request, obj, form, change)
        if change and {"inspector", "scheduled_for"} & set(form.changed_data):
            inspection_scheduled(inspection=obj, by=request.user)

    def get_urls(self):
        return [
            path(
                "queue/",
                self.admin_site.admin_view(self.queue_view),
                name="inspections_inspection_queue",
            ),
            path(
                "route/",
                self.admin_site.admin_view(self.route_view),
                name="inspections_inspection_route",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "queue_url": reverse("admin:inspections_inspection_queue"),
        }
        return super().changelist_view(request, extra_context)

    def queue_view(self, request):
        """The day's queue, by inspector (and area): each inspector's stops in route order."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        day = parse_day(request.GET.get("date"))
        area_id = parse_id(request.GET.get("area"))
        inspections = Inspection.objects.filter(
            scheduled_for=day, status=InspectionStatus.SCHEDULED
        ).select_related("permit", "inspection_type", "inspector__user", "area")
        if area_id is not None:
            inspections = inspections.filter(area_id=area_id)
        by_inspector = []
        ordered = sorted(inspections, key=lambda i: (str(i.inspector or "~ unassigned"), i.pk))
        for inspector, stops in groupby(ordered, key=lambda i: i.inspector):
            stops = inspections_route(inspector=inspector, day=day) if inspector else list(stops)
            if area_id is not None:
                stops = [stop for stop in stops if stop.area_id == area_id]
            by_inspector.append((inspector, stops))
        return TemplateResponse(
            request,
            "admin/inspections/queue.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Inspection queue for %(day)s") % {"day": day_label(day)},
                "day": day,
                "previous_day": day - datetime.timedelta(days=1),
                "next_day": day + datetime.timedelta(days=1),
                "areas": InspectionArea.objects.all(),
                "area_id": area_id,
                "by_inspector": by_inspector,
                "opts": self.model._meta,
            },
        )

    def route_view(self, request):
        """One inspector's day in order, with the private notes: what they take on the road."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        day = parse_day(request.GET.get("date"))
        inspector = (
            Inspector.objects.select_related("user")
            .filter(pk=parse_id(request.GET.get("inspector")) or 0)
            .first()
        )
        stops = inspections_route(inspector=inspector, day=day) if inspector else []
        return TemplateResponse(
            request,
            "admin/inspections/route.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Route of %(inspector)s for %(day)s")
                % {"inspector": inspector or _("an inspector"), "day": day_label(day)},
                "day": day,
                "inspector": inspector,
                "inspectors": Inspector.objects.select_related("user"),
                "stops": stops,
                "opts": self.model._meta,
            },
        )


@admin.register(InspectionLicense)
class InspectionLicenseAdmin(ReadOnlyAdmin):
    """Read only: kept by the database (see the model), shown for support."""

    list_display = ("inspection", "license", "status", "scheduled_for", "completed_on")
    list_filter = ("status",)
    search_fields = ("=inspection__id", "^license__number")
    list_select_related = ("inspection", "license")
