"""Who hears what happens to inspections (core.events): the contractor who requested one (its
confirmation, its result, its cancellation and why), and the inspector whose day it was on when
the contractor cancels it online."""

from django.conf import settings
from django.urls import reverse

from core.events import subscriber
from core.mail import absolute_url
from core.models import Event
from inspections.models import Inspection

from ..catalogue import INSPECTOR, REQUESTER
from ..services import notify


def _inspection(inspection_id: int) -> Inspection:
    return Inspection.objects.select_related(
        "permit", "inspection_type", "requested_by", "inspector__user"
    ).get(pk=inspection_id)


def _email_requester(
    event: Event, inspection_id: int, template: str, links=lambda inspection: {}
) -> None:
    """Email the contractor who requested the inspection, with its page and any other links
    (`links` of the inspection)."""
    inspection = _inspection(inspection_id)
    if inspection.requested_by is None or not inspection.requested_by.email:
        return  # not requested on the portal: the admin's message says so
    url = absolute_url(reverse("inspections:detail", args=[inspection.pk]))
    notify(
        event,
        to=[inspection.requested_by],
        roles=[REQUESTER],
        template=template,
        context={"inspection": inspection, "url": url, **links(inspection)},
        permit=inspection.permit,
    )


def _actor_name(event: Event) -> str:
    return event.actor.get_full_name() or event.actor.get_username() if event.actor else ""


@subscriber("inspection.requested")
def send_inspection_confirmation(event: Event) -> None:
    """The requester: the inspection's day, time and page; the inspector it was given to (a
    request is scheduled at once): a stop on their day."""
    _email_requester(event, event.object_id, "inspection_confirmation")
    _tell_inspector(event)


def _tell_inspector(event: Event) -> None:
    """The inspector whose day the inspection is on: a stop on their day."""
    inspection = _inspection(event.object_id)
    inspector = inspection.inspector
    if inspector is None or not inspector.user.email or inspection.scheduled_for is None:
        return
    notify(
        event,
        to=[inspector.user],
        roles=[INSPECTOR],
        permit=inspection.permit,
        template="inspection_scheduled_inspector",
        context={
            "inspection": inspection,
            # The stop itself (its notes and result form), then the day it is on.
            "url": absolute_url(reverse("inspections:stop", args=[inspection.pk])),
            "stops_url": absolute_url(reverse("inspections:my_stops")),
        },
    )


@subscriber("inspection.cancelled")
def send_inspection_cancelled(event: Event) -> None:
    """The requester of an inspection cancelled online (by them or a colleague) or by the city
    (its permit expired or was cancelled), with why. (Cancelled as a result: the result email.)"""
    how = event.payload.get("how")
    if how == "online":
        reason = f"cancelled online by {_actor_name(event)}"
    elif how == "permit_ended":
        reason = event.payload.get("note", "")
    else:
        return

    def why(inspection: Inspection) -> dict[str, str]:
        return {"reason": reason, "office_phone": settings.CITY_OFFICE_PHONE}

    _email_requester(event, event.object_id, "inspection_cancelled", why)


@subscriber("inspection.cancelled")
def send_inspection_cancelled_to_inspector(event: Event) -> None:
    """The inspector assigned to an inspection its contractor cancelled online: a stop off their
    day."""
    if event.payload.get("how") != "online":
        return
    inspection = _inspection(event.object_id)
    inspector = inspection.inspector
    if inspector is None or not inspector.user.email:
        return
    cancelled_by = _actor_name(event)
    notify(
        event,
        to=[inspector.user],
        roles=[INSPECTOR],
        permit=inspection.permit,
        template="inspection_cancelled_inspector",
        context={
            "inspection": inspection,
            "cancelled_by": cancelled_by,
            "url": absolute_url(
                reverse("admin:inspections_inspection_change", args=[inspection.pk])
            ),
        },
    )


@subscriber("inspection.resulted", "inspection.cancelled")
def send_inspection_result(event: Event) -> None:
    """The requester: the result, the inspector's comments, and how to request again (an
    inspection cancelled as its result is told here too)."""
    if event.type == "inspection.cancelled" and event.payload.get("how") != "result":
        return

    def request_again(inspection: Inspection) -> dict[str, str]:
        url = reverse("inspections:request", args=[inspection.permit.number])
        return {"request_again_url": absolute_url(url)}

    _email_requester(event, event.object_id, "inspection_result", request_again)


@subscriber("inspection.scheduled")
def send_inspection_scheduled(event: Event) -> None:
    """Staff gave an inspection another day or inspector: the requester hears the day; the
    inspector whose day it is now on hears of the stop."""
    _email_requester(event, event.object_id, "inspection_scheduled")
    _tell_inspector(event)
