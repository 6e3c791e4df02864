import sys

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from applications.selectors import my_applications
from inspections.scheduling import mark_cancellable
from inspections.selectors import RECENT_RESULTS_DAYS
from licenses.scope import contractor_scope
from permits.checks import issuance_needs
from permits.forms import PermitSearchForm, default_applied_from
from permits.hints import example_address
from permits.models import PermitType
from permits.scopes import prefetch_for_rules
from policy.applications import can_start_application
from policy.permits import payable_license_ids

from .actions import action_section
from .dashboard import read_dashboard

# Seconds a client (or a proxy) is told to wait before it tries again while the database is away.
UNAVAILABLE_RETRY_AFTER = 60


def _database_unavailable(error: BaseException | None) -> bool:
    # The error a view or middleware raised, or one it was raised from (a wrapper's cause).
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500, called for any uncaught error, wherever it was raised (a view or a
    middleware, which is why this is a handler and not a middleware's process_exception): while
    PostgreSQL is down or restarting, the visitor gets a 503 page that says to try again, with
    Retry-After, never a 500. Django closes the broken connection at the end of the request and
    CONN_HEALTH_CHECKS replaces a stale one at the start of the next, so the same web process
    serves again once the database is back."""
    if not _database_unavailable(sys.exc_info()[1]):
        return defaults.server_error(request)
    # No request context: its processors (the user, the cart) would ask the database.
    page = render_to_string(
        "503.html",
        {"CITY_NAME": settings.CITY_NAME, "CITY_OFFICE_PHONE": settings.CITY_OFFICE_PHONE},
    )
    response = HttpResponse(page, status=503)
    response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    return response


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and monitoring: one query, one small template. Also the benchmark's
    ceiling: no page of the portal can be faster than this."""
    types = PermitType.objects.count()
    return render(request, "portal/health.html", {"permit_types": types})


@require_GET
@cache_control(public=True, max_age=24 * 60 * 60)
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Which pages crawlers may read (templates/robots.txt): the public ones. Rendered without
    the request's context (no session, no query): a crawler's visit costs almost nothing."""
    text = render_to_string("robots.txt", {"CITY_NAME": settings.CITY_NAME})
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@require_GET
@cache_control(public=True, max_age=24 * 60 * 60)
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers and feed readers ask for whatever a page links: the
    portal's icon. A temporary redirect: the icon's static URL changes with its content."""
    return redirect(static("portal/favicon.svg"))


def home(request: HttpRequest) -> HttpResponse:
    form = PermitSearchForm(initial={"applied_from": default_applied_from()})
    return render(request, "portal/home.html", {"form": form, "example": example_address()})


# The dashboard's "My Applications": the latest few, with a link to all.
DASHBOARD_APPLICATIONS = 5


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The page after sign-in, as eTRAKIT's: active permits, active inspections, recent results,
    expired permits; each with its count and its own pages (portal.dashboard)."""
    user = request.user
    lists = read_dashboard(request, user)
    upcoming = list(lists.upcoming.object_list)
    # "Needs your action": the permits each kind shows (the same objects as the lists' where a
    # permit is in both).
    acting = {name: list(page.object_list) for name, page in lists.actions.items()}
    # One read of the parties of every permit on the page, for the rules its rows ask.
    permits = [
        *lists.active.object_list,
        *lists.expired.object_list,
        *(permit for shown in acting.values() for permit in shown),
    ]
    prefetch_for_rules(user, [*permits, *(inspection.permit for inspection in upcoming)])
    # What each active permit, and each Ready to Issue one "Needs your action" shows, still
    # needs before issuance, for the whole page at once.
    approved = list({permit.pk: permit for permit in [*lists.active, *acting["ready"]]}.values())
    needs = issuance_needs(approved)
    for permit in approved:
        permit.issuance_needs = needs.get(permit.pk, [])
    actions = action_section(
        user, acting, {name: page.paginator.count for name, page in lists.actions.items()}
    )
    mark_cancellable(upcoming)
    businesses = sorted(contractor_scope(user).business_names.values())
    return render(
        request,
        "portal/dashboard.html",
        {
            "actions": actions,
            "active": lists.active,
            "inspections": lists.upcoming,
            "completed": lists.completed,
            "recent_days": RECENT_RESULTS_DAYS,
            "expired": lists.expired,
            "businesses": businesses,
            "collection_count": lists.collection_count,
            "cart_count": lists.cart_count,
            "fees_due": lists.fees_due,
            "may_pay": bool(payable_license_ids(user)),
            "applications": list(my_applications(user)[:DASHBOARD_APPLICATIONS]),
            "may_apply": can_start_application(user),
        },
    )
