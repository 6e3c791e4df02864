"""The Notifications page: what the portal told the signed-in user, newest first, with filters
and Mark read."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.pagination import paginate

from .catalogue import Group
from .selectors import notices_for, unread_count
from .services import notices_mark_read


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    group = request.GET.get("group", "")
    if group not in Group.values:
        group = ""
    unread = request.GET.get("unread") == "1"
    notices = notices_for(request.user, group=group, unread=unread)
    page = paginate(request, notices, settings.DASHBOARD_PAGE_SIZE, "page")
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "groups": Group.choices,
            "group": group,
            "unread": unread,
            "unread_total": unread_count(request.user),
        },
    )


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification read (`notice`), or all of them."""
    notice = request.POST.get("notice", "")
    ids = [int(notice)] if notice.isdigit() else None
    notices_mark_read(user=request.user, notice_ids=ids)
    after = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(after, {request.get_host()}, request.is_secure()):
        return redirect(after)
    return redirect("notifications:list")
