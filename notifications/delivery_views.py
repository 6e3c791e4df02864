"""The owner of an address that bounced says it works again (the banner's button)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .tracking import bounce_clear


@login_required
@require_POST
def email_again(request: HttpRequest) -> HttpResponse:
    """Email goes to the signed-in user's own address again (no other address: none is named);
    if it bounces again, it stops again."""
    if bounce_clear(email=request.user.email, by="its owner asked for email again"):
        messages.success(
            request,
            f"We will email {request.user.email} again. If it bounces again, the notice comes "
            "back: then change your address.",
        )
    after = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(after, {request.get_host()}, request.is_secure()):
        return redirect(after)
    return redirect("dashboard")
