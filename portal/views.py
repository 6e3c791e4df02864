from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from inspections.scheduling import mark_cancellable
from inspections.selectors import RECENT_RESULTS_DAYS
from licenses.access import contractor_scope
from permits.access import prefetch_for_rules
from permits.forms import PermitSearchForm, default_applied_from
from permits.models import PermitType

from .dashboard import read_dashboard


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
    """The page after sign-in, as eTRAKIT's: active permits, active inspections, recent results,
    expired permits; each with its count and its own pages (portal.dashboard)."""
    user = request.user
    lists = read_dashboard(request, user)
    upcoming = list(lists.upcoming.object_list)
    # One read of the parties of every permit on the page, for the rules its rows ask.
    permits = [*lists.active.object_list, *lists.expired.object_list]
    prefetch_for_rules(user, [*permits, *(inspection.permit for inspection in upcoming)])
    mark_cancellable(upcoming)
    businesses = sorted(contractor_scope(user).business_names.values())
    return render(
        request,
        "portal/dashboard.html",
        {
            "active": lists.active,
            "inspections": lists.upcoming,
            "completed": lists.completed,
            "recent_days": RECENT_RESULTS_DAYS,
            "expired": lists.expired,
            "businesses": businesses,
            "collection_count": lists.collection_count,
            "cart_count": lists.cart_count,
        },
    )
