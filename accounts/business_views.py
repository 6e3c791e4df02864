"""Professionals/Contractors: a business's page, joining it by its PIN, its PIN, and its
members' roles (company users). Each view asks the policy (policy.businesses) for the business
the URL names, calls one service and turns a domain error into a message on the page.
"""

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.text import with_period
from licenses.exceptions import LicenseError
from licenses.models import Contractor, Membership, Role
from licenses.scope import forget_scope
from policy.businesses import can_manage_business, can_view_business

from .forms import MembershipRolesForm, PinForm
from .services import (
    contractor_regenerate_pin,
    membership_associate,
    membership_remove,
    membership_set_roles,
)

# Professionals/Contractors: businesses, PIN and roles ----------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def business_associate(request: HttpRequest) -> HttpResponse:
    form = PinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not ratelimit.consume(request, action="associate_pin", user=request.user):
            messages.error(
                request,
                _(
                    "Too many PIN attempts. Wait an hour and try again, or ask your company's "
                    "portal manager for the PIN."
                ),
            )
            return render(request, "accounts/business_associate.html", {"form": form}, status=429)
        try:
            membership = membership_associate(user=request.user, pin=form.cleaned_data["pin"])
        except LicenseError as error:
            form.add_error("pin", str(error))
        else:
            forget_scope(request.user)
            messages.success(
                request,
                _(
                    "You are now associated with %(business)s A manager there will grant you the "
                    "roles you need."
                )
                % {"business": with_period(membership.contractor.business_name)},
            )
            if not can_view_business(request.user, membership.contractor_id):
                # Joined, but the business's page waits for a verified address.
                return redirect("accounts:manage")
            return redirect("accounts:business", contractor_id=membership.contractor_id)
    return render(request, "accounts/business_associate.html", {"form": form})


def member_business_or_404(
    request: HttpRequest, contractor_id: int
) -> tuple[Contractor, Membership]:
    """The business, if the user may act as one of its members; anyone else gets a 404."""
    if not can_view_business(request.user, contractor_id):
        raise Http404("No business of yours.")
    membership = get_object_or_404(
        Membership.objects.select_related("contractor"),
        contractor_id=contractor_id,
        user=request.user,
    )
    return membership.contractor, membership


@login_required
def business_detail(request: HttpRequest, contractor_id: int) -> HttpResponse:
    contractor, mine = member_business_or_404(request, contractor_id)
    is_manager = can_manage_business(request.user, contractor.pk)
    members = list(contractor.memberships.select_related("user").order_by("joined_at"))
    forms = {}
    if is_manager:
        forms = {member.pk: MembershipRolesForm.for_membership(member) for member in members}
    return render(
        request,
        "accounts/business_detail.html",
        {
            "contractor": contractor,
            "licenses": contractor.licenses.select_related("license_type").order_by("number"),
            "members": [(member, forms.get(member.pk)) for member in members],
            "mine": mine,
            "roles": Role,
        },
    )


@login_required
@require_POST
def business_pin_regenerate(request: HttpRequest, contractor_id: int) -> HttpResponse:
    contractor, _membership = member_business_or_404(request, contractor_id)
    try:
        contractor_regenerate_pin(contractor=contractor, by=request.user)
    except LicenseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("A new PIN was made; the old one no longer works."))
    return redirect("accounts:business", contractor_id=contractor.pk)


@login_required
@require_POST
def membership_update(request: HttpRequest, contractor_id: int, membership_id: int) -> HttpResponse:
    contractor, _membership = member_business_or_404(request, contractor_id)
    membership = get_object_or_404(Membership, pk=membership_id, contractor=contractor)
    form = MembershipRolesForm(request.POST, prefix=f"m{membership.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose roles from the list."))
        return redirect("accounts:business", contractor_id=contractor.pk)
    try:
        membership_set_roles(
            membership=membership, by=request.user, roles=set(form.cleaned_data["roles"])
        )
    except LicenseError as error:
        messages.error(request, str(error))
    else:
        forget_scope(request.user)
        messages.success(
            request,
            _("Roles of %(name)s were saved.")
            % {"name": membership.user.get_full_name() or membership.user},
        )
    return redirect("accounts:business", contractor_id=contractor.pk)


@login_required
@require_POST
def membership_delete(request: HttpRequest, contractor_id: int, membership_id: int) -> HttpResponse:
    contractor, _membership = member_business_or_404(request, contractor_id)
    membership = get_object_or_404(Membership, pk=membership_id, contractor=contractor)
    leaving = membership.user_id == request.user.pk
    try:
        membership_remove(membership=membership, by=request.user)
    except LicenseError as error:
        messages.error(request, str(error))
        return redirect("accounts:business", contractor_id=contractor.pk)
    forget_scope(request.user)
    if leaving:
        messages.success(
            request,
            _("You left %(business)s") % {"business": with_period(contractor.business_name)},
        )
        return redirect("accounts:manage")
    messages.success(
        request,
        _("%(name)s was removed from %(business)s")
        % {"name": membership.user, "business": with_period(contractor.business_name)},
    )
    return redirect("accounts:business", contractor_id=contractor.pk)
