from django import template

from permits.access import can_request_inspection

from ..scheduling import mark_cancellable

register = template.Library()


@register.inclusion_tag("inspections/permit_inspections.html", takes_context=True)
def permit_inspections(context, permit, inspections) -> dict:
    """A permit's Upcoming and Completed inspections, with View, Cancel and View Details, for
    the private permit page (which the permits app renders without knowing about this app)."""
    inspections = list(inspections)
    mark_cancellable(inspections)
    user = context["request"].user
    return {
        "permit": permit,
        "upcoming": [i for i in inspections if i.status == "scheduled"],
        "completed": [i for i in inspections if i.status != "scheduled"],
        "may_request": permit.status == "issued" and can_request_inspection(user, permit),
        "may_cancel": can_request_inspection(user, permit),
        "CITY_OFFICE_PHONE": context.get("CITY_OFFICE_PHONE"),
    }
