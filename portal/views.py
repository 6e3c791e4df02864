from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from inspections.scheduling import mark_cancellable
from inspections.selectors import (
    RECENT_RESULTS_DAYS,
    inspections_in_order,
    my_inspection_countables,
    my_recent_result_rows,
    my_upcoming_inspection_rows,
)
from licenses.access import contractor_scope
from payments.models import CartLine
from permits.access import can_request_inspection, prefetch_parties, record_countables
from permits.forms import PermitSearchForm, default_applied_from
from permits.models import ACTIVE_STATUSES, Collection, PermitStatus, PermitType
from permits.pagination import Countable, count_each, paginate, read_pages
from permits.selectors import my_active_permits, my_expired_permits, permits_in_order
from permits.views import mark_records


def fill_pages(pages: list[Page], key: str, load: Callable[[list[int]], list]) -> None:
    """Turn pages of id rows into pages of objects, loading every page's objects at once."""
    ids = [[row[key] for row in page.object_list] for page in pages]
    loaded = {obj.pk: obj for obj in load([pk for page_ids in ids for pk in page_ids])}
    for page, page_ids in zip(pages, ids, strict=True):
        page.object_list = [loaded[pk] for pk in page_ids if pk in loaded]


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
    # The totals in one query, the four pages of ids in one more, then the pages'
    # permits and inspections in one query each.
    counts = count_each(
        {
            **record_countables(
                user, {"active": ACTIVE_STATUSES, "expired": [PermitStatus.EXPIRED]}
            ),
            **my_inspection_countables(user=user),
            # The header's badges, counted here with the rest (portal.context_processors).
            "collection_count": Countable(Collection.objects.filter(owner=user)),
            "cart_count": Countable(CartLine.objects.filter(user=user)),
        }
    )
    active = paginate(
        request, my_active_permits(user=user), size, "active_page", count=counts["active"]
    )
    expired = paginate(
        request, my_expired_permits(user=user), size, "expired_page", count=counts["expired"]
    )
    inspections = paginate(
        request,
        my_upcoming_inspection_rows(user=user),
        size,
        "inspections_page",
        count=counts["upcoming"],
    )
    completed = paginate(
        request,
        my_recent_result_rows(user=user),
        size,
        "completed_page",
        count=counts["completed"],
    )
    read_pages(
        {
            "active": (active, ("permit_id", "applied")),
            "expired": (expired, ("permit_id", "applied")),
            "upcoming": (inspections, ("inspection_id", "scheduled_for")),
            "completed": (completed, ("inspection_id", "completed_on")),
        }
    )
    fill_pages([active, expired], "permit_id", permits_in_order)
    fill_pages([inspections, completed], "inspection_id", inspections_in_order)
    upcoming = list(inspections.object_list)
    # One read of the parties for every permit on the page.
    permits = [*active.object_list, *expired.object_list]
    prefetch_parties([*permits, *(inspection.permit for inspection in upcoming)])
    mark_records(user, permits)
    mark_cancellable(upcoming)
    for inspection in upcoming:
        inspection.may_cancel = inspection.cancellable and can_request_inspection(
            user, inspection.permit
        )
    businesses = sorted(contractor_scope(user).business_names.values())
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
            "collection_count": counts["collection_count"],
            "cart_count": counts["cart_count"],
        },
    )
