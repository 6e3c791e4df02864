""" "Request an Inspection", in Accela's steps and words, and the pages around it.

The wizard keeps its answers in the session, per permit; the last step's token travels in the
form too, so a double-clicked Finish finds the request the first click made.
"""

import datetime
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from icalendar import Calendar, Event

from permits.checks import final_inspection_blockers
from permits.models import Permit
from permits.scopes import record_permit_ids
from policy.inspections import can_follow_calendar_feed, can_view_inspection
from policy.permits import can_view_private

from .exceptions import InspectionError
from .forms import (
    InspectionContactForm,
    InspectionDateForm,
    InspectionNotesForm,
    InspectionTypeForm,
)
from .models import CalendarFeed, Inspection, InspectionResult, InspectionType
from .scheduling import (
    allowed_days,
    cancel_deadline,
    cutoff_time,
    mark_cancellable,
    request_calendar,
)
from .selectors import inspection_types_for, upcoming_inspections
from .services import (
    inspection_cancel,
    inspection_request_check,
    inspection_request_create,
    open_request_type_ids,
)

STEPS = ("type", "date", "contact", "notes")
ALREADY_REQUESTED = "already requested"  # a mark of type_choices (never shown)


class RequestWizard:
    """The answers so far, for one permit, in the session."""

    def __init__(self, request: HttpRequest, permit: Permit) -> None:
        self.request = request
        self.key = f"inspection_request:{permit.pk}"
        self.data = request.session.get(self.key) or {}

    def get(self, name: str, default=None):
        return self.data.get(name, default)

    def update(self, **values) -> None:
        self.data.update(values)
        self.request.session[self.key] = self.data

    def token(self) -> str:
        if "token" not in self.data:
            self.update(token=str(uuid.uuid4()))
        return self.data["token"]

    def clear(self) -> None:
        self.request.session.pop(self.key, None)


def permit_for_request(request: HttpRequest, number: str) -> Permit:
    """The permit, if the user may see its private details (anyone else: 404)."""
    permit = get_object_or_404(
        Permit.objects.select_related("permit_type"), number=number.strip().upper()
    )
    if not can_view_private(request.user, permit):
        raise Http404("No permit of yours has that number.")
    return permit


def refused(request: HttpRequest, permit: Permit, error: InspectionError) -> HttpResponse:
    return render(
        request, "inspections/request_refused.html", {"permit": permit, "error": str(error)}
    )


def type_choices(
    permit: Permit,
) -> tuple[list[tuple[int, str]], dict[int, str], dict[int, str]]:
    """The inspections of the permit's type; those passed or already requested are marked, and
    a final inspection that cannot be requested yet (a condition of approval to meet first,
    permits.checks) is offered held, with the reason, so nobody types a date and notes for it."""
    passed = dict(
        Inspection.objects.filter(permit=permit, result=InspectionResult.PASSED)
        .order_by("completed_on")
        .values_list("inspection_type_id", "completed_on")
    )
    open_ids = open_request_type_ids(permit)
    choices, marks, held = [], {}, {}
    waiting = None
    for inspection_type in inspection_types_for(permit.permit_type_id):
        if inspection_type.pk in open_ids:
            marks[inspection_type.pk] = ALREADY_REQUESTED
            continue
        label = f"{inspection_type}"
        if inspection_type.pk in passed:
            on = date_format(passed[inspection_type.pk], "SHORT_DATE_FORMAT")
            marks[inspection_type.pk] = f"passed {on}"
            label = _("%(inspection)s (passed %(date)s)") % {"inspection": label, "date": on}
        if inspection_type.is_final:
            waiting = final_inspection_blockers(permit) if waiting is None else waiting
            if waiting:
                held[inspection_type.pk] = "; ".join(waiting)
                label = _("%(inspection)s: not available yet, %(reasons)s") % {
                    "inspection": label,
                    "reasons": held[inspection_type.pk],
                }
        choices.append((inspection_type.pk, label))
    return choices, marks, held


@login_required
@require_http_methods(["GET", "POST"])
def request_type(request: HttpRequest, number: str) -> HttpResponse:
    """Step 1: choose the inspection."""
    permit = permit_for_request(request, number)
    try:
        inspection_request_check(user=request.user, permit=permit)
    except InspectionError as error:
        return refused(request, permit, error)
    wizard = RequestWizard(request, permit)
    choices, marks, held = type_choices(permit)
    form = InspectionTypeForm(
        request.POST or None,
        choices=choices,
        held=held,
        initial={"inspection_type": wizard.get("type")},
    )
    if request.method == "POST" and form.is_valid():
        wizard.update(type=form.cleaned_data["inspection_type"])
        return redirect("inspections:request_date", number=permit.number)
    already = InspectionType.objects.filter(
        pk__in=[pk for pk, mark in marks.items() if mark == ALREADY_REQUESTED]
    )
    return render(
        request,
        "inspections/request_type.html",
        {
            "permit": permit,
            "form": form,
            "step": 1,
            "already": already,
            "empty": not choices,
            "held": held,
            "none_set_up": not choices and not marks,
        },
    )


def wizard_or_restart(request: HttpRequest, permit: Permit, needs: tuple[str, ...]):
    wizard = RequestWizard(request, permit)
    if any(wizard.get(name) in (None, "") for name in needs):
        messages.info(request, _("Start the request from the first step."))
        return wizard, redirect("inspections:request", number=permit.number)
    return wizard, None


@login_required
@require_http_methods(["GET", "POST"])
def request_date(request: HttpRequest, number: str) -> HttpResponse:
    """Step 2: the date (the next available day by default) and an AM/PM preference."""
    permit = permit_for_request(request, number)
    wizard, restart = wizard_or_restart(request, permit, ("type",))
    if restart:
        return restart
    days = allowed_days()
    if not days:
        return refused(
            request, permit, InspectionError(_("No day can be requested at the moment."))
        )
    form = InspectionDateForm(
        request.POST or None,
        days=days,
        initial={
            "day": wizard.get("day") or days[0].isoformat(),
            "time_preference": wizard.get("time", ""),
        },
    )
    if request.method == "POST" and form.is_valid():
        wizard.update(
            day=form.cleaned_data["day"].isoformat(), time=form.cleaned_data["time_preference"]
        )
        return redirect("inspections:request_contact", number=permit.number)
    return render(
        request,
        "inspections/request_date.html",
        {
            "permit": permit,
            "form": form,
            "step": 2,
            "calendar": request_calendar(days),
            "first": days[0],
            "cutoff": cutoff_time(),
            "max_ahead": settings.INSPECTION_MAX_BUSINESS_DAYS_AHEAD,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_contact(request: HttpRequest, number: str) -> HttpResponse:
    """Step 3: the contact on site: the contractor, or "Change Contact" for this inspection."""
    permit = permit_for_request(request, number)
    wizard, restart = wizard_or_restart(request, permit, ("type", "day"))
    if restart:
        return restart
    user = request.user
    default = {
        "contact_name": user.get_full_name() or user.get_username(),
        "contact_phone": user.phone,
    }
    changing = request.GET.get("change") == "1" or request.POST.get("change") == "1"
    if request.method == "POST" and not changing:
        if not default["contact_phone"]:
            messages.warning(
                request, _("Your account has no phone number: give one for this inspection.")
            )
            return redirect(
                reverse("inspections:request_contact", args=[permit.number]) + "?change=1"
            )
        wizard.update(**default)
        return redirect("inspections:request_notes", number=permit.number)
    form = InspectionContactForm(
        request.POST if request.method == "POST" else None,
        initial={
            "contact_name": wizard.get("contact_name") or default["contact_name"],
            "contact_phone": wizard.get("contact_phone") or default["contact_phone"],
        },
    )
    if request.method == "POST" and form.is_valid():
        wizard.update(**form.cleaned_data)
        return redirect("inspections:request_notes", number=permit.number)
    return render(
        request,
        "inspections/request_contact.html",
        {"permit": permit, "form": form, "step": 3, "default": default, "changing": changing},
    )


def parse_token(raw: str | None) -> uuid.UUID | None:
    """The Finish button's token; a damaged one counts as none (a new request then gets the
    wizard's own)."""
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def request_notes(request: HttpRequest, number: str) -> HttpResponse:
    """Step 4: additional notes for the inspector, the summary, and "Finish"."""
    permit = permit_for_request(request, number)
    token = parse_token(request.POST.get("token"))
    wizard = RequestWizard(request, permit)
    if request.method == "POST" and token and not wizard.get("type"):
        # A second click on Finish: the first one already made the request.
        existing = Inspection.objects.filter(
            request_token=token, permit=permit, requested_by=request.user
        ).first()
        if existing is not None:
            return redirect("inspections:detail", inspection_id=existing.pk)
    wizard, restart = wizard_or_restart(request, permit, ("type", "day", "contact_name"))
    if restart:
        return restart
    inspection_type = get_object_or_404(
        InspectionType, pk=wizard.get("type"), permit_type_id=permit.permit_type_id
    )
    form = InspectionNotesForm(request.POST or None, initial={"notes": wizard.get("notes", "")})
    if request.method == "POST" and form.is_valid():
        try:
            inspection = inspection_request_create(
                user=request.user,
                permit=permit,
                inspection_type=inspection_type,
                day=datetime.date.fromisoformat(wizard.get("day")),
                time_preference=wizard.get("time", ""),
                contact_name=wizard.get("contact_name"),
                contact_phone=wizard.get("contact_phone"),
                notes=form.cleaned_data["notes"],
                token=token or parse_token(wizard.token()),
            )
        except (InspectionError, ValueError) as error:
            # Refused at Finish: the page stays, with the date and the notes as typed (kept in
            # the wizard too, for going back to change the date).
            wizard.update(notes=form.cleaned_data["notes"])
            form.add_error(None, str(error))
        else:
            wizard.clear()
            messages.success(
                request,
                _(
                    "Inspection requested. Your request number is %(number)s; a confirmation "
                    "email is on its way."
                )
                % {"number": inspection.number},
            )
            return redirect("inspections:detail", inspection_id=inspection.pk)
    return render(
        request,
        "inspections/request_notes.html",
        {
            "permit": permit,
            "form": form,
            "step": 4,
            "token": wizard.token(),
            "inspection_type": inspection_type,
            "day": datetime.date.fromisoformat(wizard.get("day")),
            "time": dict(InspectionDateForm.base_fields["time_preference"].choices).get(
                wizard.get("time", ""), ""
            ),
            "contact_name": wizard.get("contact_name"),
            "contact_phone": wizard.get("contact_phone"),
        },
    )


def inspection_for_user(request: HttpRequest, inspection_id: int) -> Inspection:
    inspection = get_object_or_404(
        Inspection.objects.select_related("permit", "inspection_type", "inspector__user"),
        pk=inspection_id,
    )
    if not can_view_inspection(request.user, inspection):
        raise Http404("No inspection of yours has that number.")
    return inspection


@login_required
@require_GET
def inspection_detail(request: HttpRequest, inspection_id: int) -> HttpResponse:
    """ "View" / "View Details": the request, and once resulted, its result and public comments.
    The notes for the inspector are never shown here."""
    inspection = inspection_for_user(request, inspection_id)
    mark_cancellable([inspection])
    return render(
        request,
        "inspections/detail.html",
        {
            "inspection": inspection,
            "deadline": cancel_deadline(inspection.scheduled_for)
            if inspection.scheduled_for
            else None,
        },
    )


@login_required
@require_POST
def inspection_cancel_view(request: HttpRequest, inspection_id: int) -> HttpResponse:
    inspection = inspection_for_user(request, inspection_id)
    try:
        inspection_cancel(inspection=inspection, user=request.user)
    except InspectionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Inspection %(number)s was cancelled.") % {"number": inspection.number}
        )
    return redirect("inspections:detail", inspection_id=inspection.pk)


# Calendar feed --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """The user's private iCalendar link: shown, replaced (the old one stops working), or off."""
    feed = CalendarFeed.objects.filter(user=request.user).first()
    if request.method == "POST":
        if request.POST.get("action") == "off":
            CalendarFeed.objects.filter(user=request.user).delete()
            messages.success(request, _("Your calendar link was turned off."))
        else:
            CalendarFeed.objects.filter(user=request.user).delete()
            CalendarFeed.objects.create(user=request.user)
            messages.success(
                request, _("A new calendar link was made; the old one no longer works.")
            )
        return redirect("inspections:calendar")
    url = (
        request.build_absolute_uri(reverse("inspections:calendar_feed", args=[feed.token]))
        if feed
        else ""
    )
    return render(request, "inspections/calendar.html", {"feed": feed, "url": url})


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    feed = get_object_or_404(CalendarFeed.objects.select_related("user"), token=token)
    if not can_follow_calendar_feed(feed.user):
        raise Http404("No calendar has that link.")
    calendar = Calendar()
    calendar.add("prodid", "-//Permit Portal//Inspections//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("Permit inspections"))
    for inspection in upcoming_inspections(permit_ids=record_permit_ids(feed.user)):
        event = Event()
        event.add("uid", f"inspection-{inspection.pk}@permit-portal")
        event.add(
            "summary",
            _("%(inspection)s inspection, %(number)s")
            % {"inspection": inspection.inspection_type, "number": inspection.permit.number},
        )
        event.add("dtstart", inspection.scheduled_for)
        event.add("dtend", inspection.scheduled_for + datetime.timedelta(days=1))
        event.add("location", inspection.permit.full_address)
        description = _("%(request)s, permit %(number)s") % {
            "request": inspection.number,
            "number": inspection.permit.number,
        }
        if inspection.time_preference:
            description = f"{description}, {inspection.get_time_preference_display()}"
        event.add("description", description)
        event.add("dtstamp", timezone.now())
        calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
