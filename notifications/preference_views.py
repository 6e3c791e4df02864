"""Notification preferences: a user's own (per group and channel, each channel's own timings:
email At once, Daily digest or Off; the portal On or Off; texts At once or Off), and a business's
defaults for its users, set by its Manager. Both pages show what is always sent and the table of
who hears what: a user's, the rows they can hear; a business's, every row its users can."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from licenses.models import Contractor
from policy.businesses import can_manage_business

from .catalogue import STAFF, Channel
from .forms import TimingsForm
from .preferences import (
    BUSINESS_USERS,
    Audience,
    always_sent,
    always_sent_by_group,
    audience_of,
    business_timings,
    user_timings,
    who_hears_what,
)
from .services import business_defaults_save, preferences_save, sms_numbers
from .sms.providers import provider


def channels() -> list[Channel]:
    """The channels a person chooses on: text messages only where the city sends them
    (SMS_PROVIDER)."""
    return list(Channel) if provider() else [Channel.EMAIL, Channel.PORTAL]


def _tables(form: TimingsForm, audience: Audience) -> dict:
    return {
        "form": form,
        "rows": form.rows(always_sent_by_group(audience)),
        "who_hears_what": who_hears_what(audience),
        "always_sent": always_sent(audience),
        "for_business": audience is BUSINESS_USERS,
    }


def _refused(request: HttpRequest) -> None:
    messages.error(request, "Nothing was saved: see the message beside each line to change.")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    texts = Channel.SMS in channels()
    has_number = texts and user.pk in sms_numbers([user.pk])
    initial, sources = user_timings(user)
    audience = audience_of(user)
    form = TimingsForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        channels=channels(),
        sms_note="sms-note" if texts and not has_number else "",
        sources=sources,
    )
    if request.method == "POST":
        if form.is_valid():
            preferences_save(user=user, choices=form.changed_choices())
            messages.success(request, "Your notification preferences were saved.")
            return redirect("notifications:preferences")
        _refused(request)
    return render(
        request,
        "notifications/preferences.html",
        {
            "texts": texts,
            "has_number": has_number,
            "staff": audience.side == STAFF,
            **_tables(form, audience),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def business_defaults(request: HttpRequest, contractor_id: int) -> HttpResponse:
    """A business's Manager chooses for its users who have not chosen themselves."""
    if not can_manage_business(request.user, contractor_id):
        raise Http404("No business you manage.")
    contractor = get_object_or_404(Contractor, pk=contractor_id)
    bound = request.POST if request.method == "POST" else None
    initial, sources = business_timings(contractor.pk)
    form = TimingsForm(bound, initial=initial, channels=channels(), sources=sources)
    if request.method == "POST":
        if form.is_valid():
            business_defaults_save(
                contractor=contractor, by=request.user, choices=form.changed_choices()
            )
            messages.success(
                request, f"Notification defaults for {contractor.business_name} were saved."
            )
            return redirect("notifications:business_defaults", contractor_id=contractor.pk)
        _refused(request)
    return render(
        request,
        "notifications/business_defaults.html",
        {"contractor": contractor, **_tables(form, BUSINESS_USERS)},
        status=400 if form.is_bound and form.errors else 200,
    )
