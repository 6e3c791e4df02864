"""Signed out, from an email's links (notifications.unsubscribe): the one-click unsubscribe
(RFC 8058: a mail provider POSTs it, with no cookies; a person sees a page with a button, as
link scanners follow every GET) and Choose what you receive (each group's email for that
recipient). The link's signed token is the permission: whoever is signed in does not matter.
Both are about email: they say how texts stop (reply STOP, or the Text messages page)."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .catalogue import Group, Timing
from .sms.providers import provider
from .unsubscribe import (
    Holder,
    LinkNotValid,
    always_sent,
    email_choices_save,
    email_off,
    email_timings,
    preferences_token,
    read_preferences_token,
    read_unsubscribe_token,
)


def _not_valid(request: HttpRequest, error: LinkNotValid) -> HttpResponse:
    return render(
        request, "notifications/link_not_valid.html", {"error": str(error)}, status=error.status
    )


def _texts(holder: Holder) -> bool:
    """Whether the page says how texts stop: the city sends them, and only to an account."""
    return holder.is_user and provider() is not None


def _signed_in_preferences() -> str:
    """The signed-in preferences page (every channel), or the Notifications page before it."""
    try:
        return reverse("notifications:preferences")
    except NoReverseMatch:
        return reverse("notifications:list")


@csrf_exempt  # a mail provider's one-click POST has no cookie and no form: the token is the check
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET: what the link turns off, and a button. POST (the button, or a mail provider's
    `List-Unsubscribe=One-Click`): turn it off, and say so."""
    try:
        holder, groups = read_unsubscribe_token(token)
    except LinkNotValid as error:
        return _not_valid(request, error)
    done = request.method == "POST"
    if done:
        email_off(holder=holder, groups=groups)
    labels = dict(Group.choices)
    return render(
        request,
        "notifications/unsubscribe.html",
        {
            "holder": holder,
            "done": done,
            "groups": [labels[group] for group in groups],
            "always": [reason for group in groups for reason in always_sent(group)],
            "texts": _texts(holder),
            "choices_url": reverse(
                "notifications:email_choices",
                args=[preferences_token(recipient=holder.recipient)],
            ),
        },
    )


class EmailChoicesForm(forms.Form):
    """Each group's email for one recipient: at once, daily digest or off for a user; on or
    off for an address without an account."""

    def __init__(self, *args, holder: Holder, **kwargs):
        super().__init__(*args, **kwargs)
        # An address without an account has no digest (unsubscribe.ADDRESS_TIMINGS).
        on_off = [(Timing.NOW, "On"), (Timing.OFF, "Off")]
        choices = Timing.choices if holder.is_user else on_off
        for group, label in Group.choices:
            self.fields[group] = forms.ChoiceField(
                label=label,
                choices=choices,
                widget=forms.RadioSelect,
                help_text=" ".join(f"Always sent: {reason}." for reason in always_sent(group)),
            )


@never_cache
@require_http_methods(["GET", "POST"])
def email_choices_view(request: HttpRequest, token: str) -> HttpResponse:
    """Choose what you receive, signed out: the email of each group for the link's recipient."""
    try:
        holder = read_preferences_token(token)
    except LinkNotValid as error:
        return _not_valid(request, error)
    timings = email_timings(holder)
    data = request.POST if request.method == "POST" else None
    form = EmailChoicesForm(data, holder=holder, initial=timings)
    if request.method == "POST" and form.is_valid():
        email_choices_save(holder=holder, choices=form.cleaned_data)
        messages.success(request, f"Saved: what {holder.email} receives by email.")
        return redirect(request.path)
    return render(
        request,
        "notifications/email_choices.html",
        {
            "holder": holder,
            "form": form,
            "signed_in_url": _signed_in_preferences(),
            "texts": _texts(holder),
        },
        status=400 if form.is_bound else 200,
    )
