from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from inspections.scheduling import mark_cancellable
from inspections.selectors import (
    RECENT_RESULTS_DAYS,
    inspections_in_order,
    my_recent_result_rows,
    my_upcoming_inspection_rows,
)
from licenses.models import Membership
from permits.access import can_request_inspection, prefetch_parties
from permits.forms import PermitSearchForm, default_applied_from
from permits.models import PermitType
from permits.pagination import paginate
from permits.selectors import my_active_permits, my_expired_permits
from permits.views import mark_records, paginate_records


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and monitoring: one query, one small template. Also the benchmark's
    ceiling: no page of the portal can be faster than this."""
    types = PermitType.objects.count()
    return render(request, "portal/health.html", {"permit_types": types})


def home(request: HttpRequest) -> HttpResponse:
    form = PermitSearchForm(initial={"applied_from": default_applied_from()})
    return render(request, "portal/home.html", {"form": form})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The page after sign-in, as eTRAKIT's: active permits, active inspections, expired
    permits; each with its count and its own pages."""
    user = request.user
    size = settings.DASHBOARD_PAGE_SIZE
    active = paginate_records(request, my_active_permits(user=user), size, "active_page")
    inspections = paginate(
        request, my_upcoming_inspection_rows(user=user), size, "inspections_page"
    )
    inspections.object_list = inspections_in_order([row["inspection_id"] for row in inspections])
    completed = paginate(request, my_recent_result_rows(user=user), size, "completed_page")
    completed.object_list = inspections_in_order([row["inspection_id"] for row in completed])
    expired = paginate_records(request, my_expired_permits(user=user), size, "expired_page")
    mark_records(user, [*active.object_list, *expired.object_list])
    upcoming = list(inspections.object_list)
    prefetch_parties([inspection.permit for inspection in upcoming])
    mark_cancellable(upcoming)
    for inspection in upcoming:
        inspection.may_cancel = inspection.cancellable and can_request_inspection(
            user, inspection.permit
        )
    businesses = [
        membership.contractor.business_name
        for membership in Membership.objects.filter(user=user).select_related("contractor")
    ]
    return render(
        request,
        "portal/dashboard.html",
        {
            "active": active,
            "inspections": inspections,
            "completed": completed,
            "recent_days": RECENT_RESULTS_DAYS,
            "expired": expired,
            "businesses": businesses,
        },
    )
