"""The Text messages page (a number for texts: add, verify by a code, remove) and the provider's
two webhooks: delivery reports and texts sent to the city's number (STOP, START). A webhook
call the provider did not sign is refused (403) and changes nothing."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..catalogue import Channel, Group, Timing
from ..preferences import user_timings
from .forms import CodeForm, PhoneNumberForm
from .providers import SmsProvider, provider
from .selectors import phone_of
from .services import (
    PhoneError,
    number_display,
    numbers_opt_in,
    numbers_opt_out,
    phone_code_resend,
    phone_number_add,
    phone_number_remove,
    phone_number_verify,
    sms_status_record,
)

logger = logging.getLogger("portal.notifications")


@login_required
def phone_page(request: HttpRequest) -> HttpResponse:
    sms = provider()
    # The phone number on the account, offered until a number for texts is added.
    known = "" if phone_of(request.user) else getattr(request.user, "phone", "")
    number_form = PhoneNumberForm(initial={"number": known})
    code_form = CodeForm()
    problem = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "add":
                number_form = PhoneNumberForm(request.POST)
                if number_form.is_valid():
                    phone = phone_number_add(
                        user=request.user, number=number_form.cleaned_data["number"]
                    )
                    messages.success(
                        request,
                        _("We texted a code to %(number)s. Enter it below.")
                        % {"number": number_display(phone.number)},
                    )
                    return redirect("notifications:phone")
            elif action == "verify":
                code_form = CodeForm(request.POST)
                if code_form.is_valid():
                    phone = phone_number_verify(
                        user=request.user, code=code_form.cleaned_data["code"]
                    )
                    messages.success(
                        request,
                        _("%(number)s is verified.") % {"number": number_display(phone.number)},
                    )
                    return redirect("notifications:phone")
            elif action == "resend":
                phone = phone_code_resend(user=request.user)
                messages.success(
                    request,
                    _("We texted a new code to %(number)s.")
                    % {"number": number_display(phone.number)},
                )
                return redirect("notifications:phone")
            elif action == "remove":
                phone_number_remove(user=request.user)
                messages.success(request, _("Your mobile number was removed: no more texts."))
                return redirect("notifications:phone")
            else:
                problem = _("Choose what to do on this page.")
        except PhoneError as error:
            if action == "add":
                number_form.add_error("number", str(error))
            elif action == "verify":
                code_form.add_error("code", str(error))
            else:
                problem = str(error)
    phone = phone_of(request.user)
    return render(
        request,
        "notifications/phone.html",
        {
            "sms": sms,
            "phone": phone,
            "texted": _texted(request.user) if phone and phone.verified_at else [],
            "number": number_display(phone.number) if phone else "",
            "number_form": number_form,
            "code_form": code_form,
            "problem": problem,
        },
        status=400 if request.method == "POST" else 200,
    )


def _texted(user) -> list[tuple[str, list[str]]]:
    """What the user gets by text now, by timing: [(timing's label, [group's label])], the
    timings that text something first."""
    timings, _sources = user_timings(user)
    found = [
        (
            Timing(timing).label,
            [Group(g).label for g in Group.values if timings[(g, Channel.SMS)] == timing],
        )
        for timing in (Timing.NOW, Timing.DIGEST, Timing.OFF)
    ]
    return [(label, groups) for label, groups in found if groups]


def _signed_provider(request: HttpRequest) -> SmsProvider:
    sms = provider()
    if sms is None or not sms.calls_back:
        raise Http404("This provider sends no webhooks.")
    return sms


@csrf_exempt
@require_POST
def sms_status(request: HttpRequest) -> HttpResponse:
    """The provider's delivery report on a text: the message is marked Delivered or Failed."""
    sms = _signed_provider(request)
    if not sms.is_signed(request):
        logger.warning("sms status callback refused: bad signature")
        return HttpResponse("bad signature", status=403, content_type="text/plain")
    report = sms.status_report(request)
    if report is not None:
        sms_status_record(report=report)
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    """A text to the city's number: STOP (or its synonyms) stops texts to the sender's number,
    START starts them again; anything else is ignored."""
    sms = _signed_provider(request)
    if not sms.is_signed(request):
        logger.warning("sms inbound webhook refused: bad signature")
        return HttpResponse("bad signature", status=403, content_type="text/plain")
    text = sms.inbound_text(request)
    if text is not None and text.keyword == "stop":
        numbers_opt_out(number=text.number)
    elif text is not None and text.keyword == "start":
        numbers_opt_in(number=text.number)
    return sms.inbound_answer()
