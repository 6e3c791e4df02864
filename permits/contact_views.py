"""A permit's contacts: invited by whoever holds Apply at its contractor (a signed link by email;
the invited user accepts), and removed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from policy.permits import can_apply, is_invited

from .exceptions import PermitError
from .forms import PermitContactForm
from .invitations import CONTACT_INVITATION_DAYS, invitation_from_token
from .models import PermitContact
from .services import (
    permit_contact_accept,
    permit_contact_invite,
    permit_contact_remove,
)
from .views import permit_url, permit_with_access, refuse_inactive_license

# Contacts -------------------------------------------------------------------------------------


@login_required
@require_POST
@refuse_inactive_license
def contact_add_view(request: HttpRequest, number: str) -> HttpResponse:
    permit = permit_with_access(request, number, can_apply)
    form = PermitContactForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(permit_url(permit, "contacts"))
    try:
        permit_contact_invite(
            permit=permit,
            email=form.cleaned_data["email"],
            contact_type=form.cleaned_data["contact_type"],
            by=request.user,
        )
    except PermitError as error:
        messages.error(request, str(error))
    else:
        # The same words whether or not the address has an account: nothing here tells which
        # addresses are registered.
        messages.success(request, contact_invited_message(form.cleaned_data["email"]))
    return redirect(permit_url(permit, "contacts"))


def contact_invited_message(email: str) -> str:
    return ngettext(
        "If %(email)s belongs to a registered user, they were emailed an invitation: they are a "
        "contact on this permit once they accept it (within %(days)s day).",
        "If %(email)s belongs to a registered user, they were emailed an invitation: they are a "
        "contact on this permit once they accept it (within %(days)s days).",
        CONTACT_INVITATION_DAYS,
    ) % {"email": email, "days": CONTACT_INVITATION_DAYS}


@login_required
@require_http_methods(["GET", "POST"])
def contact_invitation_view(request: HttpRequest, token: str) -> HttpResponse:
    """The invited user, signed in, sees the invitation and accepts it."""
    try:
        invitation = invitation_from_token(token)
    except PermitError as error:
        messages.error(request, str(error))
        return redirect("permits:my_records")
    if not is_invited(request.user, invitation):
        raise Http404("This invitation is for another account.")
    if request.method == "POST":
        try:
            contact = permit_contact_accept(token=token, user=request.user)
        except PermitError as error:
            messages.error(request, str(error))
            return redirect("permits:my_records")
        messages.success(
            request,
            _("You are a contact (%(type)s) on permit %(number)s.")
            % {"type": contact.get_contact_type_display(), "number": contact.permit.number},
        )
        return redirect(permit_url(contact.permit, "contacts"))
    return render(request, "permits/contact_invitation.html", {"invitation": invitation})


@login_required
@require_POST
@refuse_inactive_license
def contact_remove_view(request: HttpRequest, number: str, contact_id: int) -> HttpResponse:
    permit = permit_with_access(request, number, can_apply)
    contact = get_object_or_404(PermitContact, pk=contact_id, permit=permit)
    try:
        permit_contact_remove(contact=contact, by=request.user)
    except PermitError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(name)s was removed.")
            % {"name": contact.user.get_full_name() or contact.user.username},
        )
    return redirect(permit_url(permit, "contacts"))
