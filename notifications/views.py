"""The Notifications page: what the portal told the signed-in user, newest first, with filters
and Mark read; opening one marks it read and goes to its page."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from core.mail import without_subject_prefix
from core.pagination import paginate
from core.params import parse_id
from policy.notifications import can_open_notice

from .catalogue import Group
from .models import Notice
from .selectors import notices_for
from .services import notices_mark_read

PAGE_SIZE = 20


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    group = request.GET.get("group", "")
    if group not in Group.values:
        group = ""
    unread = request.GET.get("unread") == "1"
    notices = notices_for(request.user, group=group, unread=unread)
    page = paginate(request, notices, PAGE_SIZE, "page")
    for notice in page:
        # The email's "[City ... Permit Portal]" says nothing inside the portal.
        notice.title = without_subject_prefix(notice.subject)
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "groups": Group.choices,
            "group": group,
            "group_label": Group(group).label if group else "",
            "unread": unread,
        },
    )


def _own_notice_or_404(request: HttpRequest, raw_id: object) -> Notice:
    notice_id = parse_id(raw_id)
    if notice_id is None:
        raise Http404("No such notification.")
    notice = get_object_or_404(Notice.objects.select_related("permit"), pk=notice_id)
    if not can_open_notice(request.user, notice):
        raise Http404("No notification of yours.")
    return notice


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification read (`notice`, the user's own), or all of them."""
    ids = None
    if "notice" in request.POST:
        ids = [_own_notice_or_404(request, request.POST["notice"]).pk]
    group = request.POST.get("group", "")
    notices_mark_read(
        user=request.user, notice_ids=ids, group=group if group in Group.values else ""
    )
    after = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(after, {request.get_host()}, request.is_secure()):
        return redirect(after)
    return redirect("notifications:list")


def notice_destination(request: HttpRequest, notice: Notice) -> str:
    """The page a notification is about: its link (a page of the portal), else its permit's."""
    if notice.link and url_has_allowed_host_and_scheme(
        notice.link, {request.get_host()}, request.is_secure()
    ):
        return notice.link
    if notice.permit is not None:
        return reverse("permits:detail", args=[notice.permit.number])
    return reverse("notifications:list")


@login_required
@require_GET
def notification_open(request: HttpRequest, notice_id: int) -> HttpResponse:
    """A notification's link on the Notifications page: marks it read, then goes to its page."""
    notice = _own_notice_or_404(request, notice_id)
    notices_mark_read(user=request.user, notice_ids=[notice.pk])
    return redirect(notice_destination(request, notice))
