""" "My stops": an inspector's day on a phone, and the result of each visit recorded from it.

Only the inspector a stop is assigned to opens it here (anyone else: 404); the result and the
re-inspection go through the same services as admin, which ask the policy again.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from policy.inspections import can_record_inspection_result
from policy.staff import is_inspector

from .exceptions import InspectionError
from .forms import InspectionResultForm, ReinspectionForm
from .models import Inspection, InspectionStatus, Inspector
from .scheduling import allowed_days, day_label
from .selectors import inspector_stops
from .services import (
    REINSPECTED_RESULTS,
    inspection_record_result,
    inspection_reinspection_request,
)


def inspector_of(request: HttpRequest) -> Inspector | None:
    if not is_inspector(request.user):
        raise Http404("My stops are for the city's inspectors.")
    return Inspector.objects.filter(user=request.user).first()


@login_required
@require_GET
def my_stops(request: HttpRequest) -> HttpResponse:
    inspector = inspector_of(request)
    return render(
        request,
        "inspections/my_stops.html",
        {"inspector": inspector, "stops": inspector_stops(inspector=inspector)},
    )


def stop_for(request: HttpRequest, inspection_id: int) -> Inspection:
    """One of the signed-in inspector's own stops (any other inspection: 404)."""
    inspector = inspector_of(request)
    if inspector is None:
        raise Http404("No stop of yours has that number.")
    stop = get_object_or_404(
        Inspection.objects.select_related(
            "permit", "permit__permit_type", "inspection_type", "inspector", "reinspection"
        ),
        pk=inspection_id,
        inspector=inspector,
    )
    if not can_record_inspection_result(request.user, stop):
        raise Http404("No stop of yours has that number.")
    return stop


def stop_page(request: HttpRequest, stop: Inspection, form=None, reinspect_form=None, status=200):
    today = timezone.localdate()
    scheduled = stop.status == InspectionStatus.SCHEDULED
    offers_reinspection = (
        stop.status == InspectionStatus.COMPLETED
        and stop.result in REINSPECTED_RESULTS
        and getattr(stop, "reinspection", None) is None
    )
    if offers_reinspection and reinspect_form is None:
        days = allowed_days()
        reinspect_form = ReinspectionForm(days=days, initial={"day": days[0].isoformat()})
    return render(
        request,
        "inspections/stop.html",
        {
            "stop": stop,
            "not_due": scheduled and stop.scheduled_for and stop.scheduled_for > today,
            "form": form if form is not None else (InspectionResultForm() if scheduled else None),
            "reinspect_form": reinspect_form if offers_reinspection else None,
            "reinspection_fee": stop.inspection_type.reinspection_fee,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def stop_detail(request: HttpRequest, inspection_id: int) -> HttpResponse:
    """The stop, with its notes for the inspector, and its result form."""
    stop = stop_for(request, inspection_id)
    if request.method == "GET":
        return stop_page(request, stop)
    form = InspectionResultForm(request.POST)
    if not form.is_valid():
        return stop_page(request, stop, form=form, status=400)
    try:
        inspection_record_result(
            inspection=stop,
            result=form.cleaned_data["result"],
            public_comments=form.cleaned_data["result_comments"],
            internal_notes=form.cleaned_data["inspector_notes"],
            by=request.user,
        )
    except InspectionError as error:
        form.add_error(None, str(error))
        return stop_page(request, stop, form=form, status=400)
    stop.refresh_from_db()
    messages.success(
        request,
        _("%(number)s: %(result)s recorded.")
        % {"number": stop.number, "result": stop.get_result_display()},
    )
    return redirect("inspections:stop", inspection_id=stop.pk)


@login_required
@require_POST
def stop_reinspect(request: HttpRequest, inspection_id: int) -> HttpResponse:
    """Request the failed visit again, through the request service."""
    stop = stop_for(request, inspection_id)
    days = allowed_days()
    form = ReinspectionForm(request.POST, days=days)
    if not days or not form.is_valid():
        if not days:
            form.add_error(None, _("No day can be requested at the moment."))
        return stop_page(request, stop, reinspect_form=form, status=400)
    try:
        again = inspection_reinspection_request(
            inspection=stop, by=request.user, day=form.cleaned_data["day"]
        )
    except InspectionError as error:
        form.add_error(None, str(error))
        return stop_page(request, stop, reinspect_form=form, status=400)
    messages.success(
        request,
        _("Re-inspection %(number)s requested for %(day)s.")
        % {"number": again.number, "day": day_label(again.scheduled_for)},
    )
    return redirect("inspections:stop", inspection_id=stop.pk)
