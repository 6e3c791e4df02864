from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from inspections.scheduling import mark_cancellable
from inspections.selectors import completed_inspections, upcoming_inspections
from licenses.models import Membership
from permits.access import can_request_inspection, permits_visible_to, prefetch_parties
from permits.forms import PermitSearchForm, default_applied_from
from permits.selectors import my_active_permits, my_expired_permits
from permits.views import mark_records, paginate


def home(request: HttpRequest) -> HttpResponse:
    form = PermitSearchForm(initial={"applied_from": default_applied_from()})
    return render(request, "portal/home.html", {"form": form})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The page after sign-in, as eTRAKIT's: active permits, active inspections, expired
    permits; each with its count and its own pages."""
    user = request.user
    size = settings.DASHBOARD_PAGE_SIZE
    active = paginate(request, my_active_permits(user=user), size, "active_page")
    inspections = paginate(
        request, upcoming_inspections(permits=permits_visible_to(user)), size, "inspections_page"
    )
    completed = paginate(
        request, completed_inspections(permits=permits_visible_to(user)), size, "completed_page"
    )
    expired = paginate(request, my_expired_permits(user=user), size, "expired_page")
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
            "expired": expired,
            "businesses": businesses,
        },
    )
