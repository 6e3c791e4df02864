"""Contractor Registration and Account Management (contact details, security question, licenses).

Views bind a form, call one service, and turn a domain error into a message on the page.
"""

from allauth.account.app_settings import EmailVerificationMethod
from allauth.account.utils import complete_signup, perform_login
from allauth.account.views import SignupView
from allauth.core.exceptions import ImmediateHttpResponse
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.params import parse_id
from licenses.exceptions import LicenseError
from licenses.models import (
    LIVE_LINK_STATUSES,
    License,
    LicenseLink,
    Membership,
)
from licenses.scope import forget_scope
from licenses.services import license_addable, license_link_remove, license_link_request
from policy.businesses import can_remove_license_link

from .forms import (
    LicenseLookupForm,
    ProfileForm,
    SecurityQuestionForm,
)
from .mfa import mfa_installed
from .security import QUESTION_TEXT, security_question_enabled
from .services import (
    registration_complete,
)

SESSION_KEY = "contractor_registration"


class Registration:
    """Where a visitor is in Contractor Registration, kept in their session."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.data = request.session.get(SESSION_KEY) or {"accepted": False, "licenses": []}

    @property
    def accepted(self) -> bool:
        return bool(self.data.get("accepted"))

    def accept(self) -> None:
        self.data["accepted"] = True
        self.save()

    @property
    def license_ids(self) -> list[int]:
        return list(self.data.get("licenses", []))

    def licenses(self) -> list[License]:
        found = License.objects.select_related("holder", "license_type").in_bulk(self.license_ids)
        return [found[pk] for pk in self.license_ids if pk in found]

    def add(self, license: License) -> None:
        if license.pk in self.license_ids:
            raise LicenseError(
                _("License %(number)s is already in your list.") % {"number": license.number}
            )
        license_addable(license)
        self.data["licenses"] = [*self.license_ids, license.pk]
        self.save()

    def remove(self, license_id: int) -> None:
        self.data["licenses"] = [pk for pk in self.license_ids if pk != license_id]
        self.save()

    def save(self) -> None:
        self.request.session[SESSION_KEY] = self.data

    def clear(self) -> None:
        self.request.session.pop(SESSION_KEY, None)


def signed_out_only(view):
    def wrapped(request: HttpRequest, *args, **kwargs):
        if request.user.is_authenticated:
            messages.info(request, _("You are signed in: add licenses from Account Management."))
            return redirect("accounts:manage")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@signed_out_only
@require_http_methods(["GET", "POST"])
def registration_disclaimer(request: HttpRequest) -> HttpResponse:
    """Step 1: the terms. They cannot be skipped."""
    registration = Registration(request)
    error = ""
    if request.method == "POST":
        if request.POST.get("accept") == "on":
            registration.accept()
            return redirect("accounts:register_licenses")
        error = _("Tick “I have read and accepted the above terms” to continue.")
    return render(
        request,
        "accounts/register_disclaimer.html",
        {"error": error, "step": 1, "accepted": registration.accepted},
    )


def lookup(request: HttpRequest) -> tuple[LicenseLookupForm, License | None, bool]:
    """Run the license lookup in the query string, if there is one."""
    if "license_number" not in request.GET:
        return LicenseLookupForm(), None, False
    form = LicenseLookupForm(request.GET)
    if not form.is_valid():
        return form, None, False
    return form, form.find(), True


@signed_out_only
@require_http_methods(["GET", "POST"])
def registration_licenses(request: HttpRequest) -> HttpResponse:
    """Step 2: look licenses up and add them to the registration."""
    registration = Registration(request)
    if not registration.accepted:
        messages.warning(request, _("Read and accept the terms first."))
        return redirect("accounts:register")
    if request.method == "POST":
        action = request.POST.get("action")
        license_id = parse_id(request.POST.get("license"))
        if license_id is None:
            raise Http404("No such license.")
        if action == "remove":
            registration.remove(license_id)
            messages.info(request, _("The license was taken off your list."))
            return redirect("accounts:register_licenses")
        license = get_object_or_404(License.objects.select_related("holder"), pk=license_id)
        try:
            registration.add(license)
        except LicenseError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _(
                    "License %(number)s (%(business)s) was added to My Licenses. Add another, "
                    "or continue."
                )
                % {"number": license.number, "business": license.holder.business_name},
            )
        return redirect("accounts:register_licenses")
    form, found, searched = lookup(request)
    return render(
        request,
        "accounts/register_licenses.html",
        {
            "step": 2,
            "form": form,
            "found": found,
            "searched": searched,
            "chosen": registration.licenses(),
            "add_url": reverse("accounts:register_licenses"),
        },
    )


class RegistrationAccountView(SignupView):
    """Step 3: the account (allauth's signup, with the contractor's details)."""

    template_name = "accounts/register_account.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("accounts:manage")
        self.registration = Registration(request)
        if not self.registration.accepted:
            messages.warning(request, _("Read and accept the terms first."))
            return redirect("accounts:register")
        if not self.registration.license_ids:
            messages.warning(request, _("Add at least one license to register."))
            return redirect("accounts:register_licenses")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict:
        kwargs = super().get_form_kwargs()
        kwargs["licenses"] = self.registration.licenses()
        return kwargs

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context.update(step=3, chosen=self.registration.licenses())
        return context

    def form_valid(self, form) -> HttpResponse:
        licenses = self.registration.licenses()
        # Statuses may have changed since step 2.
        for license in licenses:
            try:
                license_addable(license)
            except LicenseError as error:
                form.add_error(None, str(error))
                return self.form_invalid(form)
        # Whether the address is new or already has an account, the answer is the same: the
        # "verify your email" page, signed out (issue 12: registration must not tell which
        # addresses are registered). A new account is made, with its license requests, and
        # sent the verification link; a taken address makes nothing, and its owner is emailed
        # that someone tried to register with it. The new user signs in as before (unverified
        # until they follow the link).
        email_verification = EmailVerificationMethod.MANDATORY
        try:
            if form.account_already_exists:
                response = perform_login(
                    self.request,
                    None,
                    email_verification=email_verification,
                    signup=True,
                    email=form.cleaned_data["email"],
                )
            else:
                # One transaction: the account, its license requests and every email they send
                # (which go out only after it commits) stand or fall together.
                with transaction.atomic():
                    self.user = form.save(self.request)
                    registration_complete(user=self.user, licenses=licenses)
                    response = complete_signup(
                        self.request, self.user, email_verification, self.get_success_url()
                    )
        except ImmediateHttpResponse as error:
            return error.response
        self.registration.clear()
        messages.success(self.request, REGISTRATION_RECEIVED)
        return response


def signed_out_idle(request: HttpRequest) -> HttpResponse:
    """Where a session that was idle too long lands (accounts.middleware)."""
    next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    return render(
        request,
        "accounts/signed_out_idle.html",
        {
            "next_url": next_url,
            "staff_minutes": settings.STAFF_IDLE_MINUTES,
            "contractor_minutes": settings.CONTRACTOR_IDLE_MINUTES,
        },
    )


REGISTRATION_RECEIVED = gettext_lazy(
    "Registration received. Check your email to verify your address, then sign in; staff will "
    "review your license request and email you their decision."
)


def registration_signup_redirect(request: HttpRequest) -> HttpResponse:
    """allauth's plain sign-up page is not used: registration starts with the terms."""
    return redirect("accounts:register")


# Account Management ------------------------------------------------------------------------


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    from allauth.account.models import EmailAddress

    user = request.user
    links = (
        LicenseLink.objects.filter(user=user)
        .exclude(status=LicenseLink.Status.REMOVED)
        .select_related("license__holder", "license__license_type")
        .order_by("-requested_at")
    )
    memberships = Membership.objects.filter(user=user).select_related("contractor")
    return render(
        request,
        "accounts/manage.html",
        {
            "links": links,
            "live_count": sum(1 for link in links if link.status in LIVE_LINK_STATUSES),
            "memberships": memberships,
            "emails": EmailAddress.objects.filter(user=user).order_by("-primary", "email"),
            "security_question_enabled": security_question_enabled(),
            "mfa_available": mfa_installed(),
            "security_question_text": QUESTION_TEXT.get(user.security_question, ""),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your contact details were saved."))
        return redirect("accounts:manage")
    return render(request, "accounts/profile_edit.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def security_question(request: HttpRequest) -> HttpResponse:
    if not security_question_enabled():
        raise Http404("The security question is not used here.")
    form = SecurityQuestionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        request.user.set_security_answer(
            form.cleaned_data["security_question"], form.cleaned_data["security_answer"]
        )
        request.user.save(update_fields=["security_question", "security_answer_hash"])
        messages.success(request, _("Your security question was saved."))
        return redirect("accounts:manage")
    return render(request, "accounts/security_question.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def license_add(request: HttpRequest) -> HttpResponse:
    """ "Add a License": the same lookup as registration; staff approve again."""
    if request.method == "POST":
        license_id = parse_id(request.POST.get("license"))
        if license_id is None:
            raise Http404("No such license.")
        license = get_object_or_404(License.objects.select_related("holder"), pk=license_id)
        try:
            license_link_request(user=request.user, license=license)
        except LicenseError as error:
            messages.error(request, str(error))
            return redirect("accounts:license_add")
        forget_scope(request.user)
        messages.success(
            request,
            _(
                "License %(number)s (%(business)s) was requested. Staff will review it and email "
                "you their decision."
            )
            % {"number": license.number, "business": license.holder.business_name},
        )
        return redirect("accounts:manage")
    form, found, searched = lookup(request)
    return render(
        request,
        "accounts/license_add.html",
        {
            "form": form,
            "found": found,
            "searched": searched,
            "add_url": reverse("accounts:license_add"),
        },
    )


@login_required
@require_POST
def license_remove(request: HttpRequest, link_id: int) -> HttpResponse:
    link = get_object_or_404(LicenseLink.objects.select_related("license"), pk=link_id)
    if not can_remove_license_link(request.user, link):
        raise Http404("No license link of yours.")
    try:
        license_link_remove(link=link, user=request.user)
    except LicenseError as error:
        messages.error(request, str(error))
    else:
        forget_scope(request.user)
        messages.success(
            request,
            _("License %(number)s was removed from your account.")
            % {"number": link.license.number},
        )
    return redirect("accounts:manage")
