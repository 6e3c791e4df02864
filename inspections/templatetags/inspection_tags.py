from django import template

from ..scheduling import mark_cancellable

register = template.Library()


@register.inclusion_tag("inspections/permit_inspections.html", takes_context=True)
def permit_inspections(context, permit, inspections) -> dict:
    """A permit's Upcoming and Completed inspections, with View, Cancel and View Details, for
    the private permit page (which the permits app renders without knowing about this app).
    What the user may do there, the template asks the policy (`{% may %}`)."""
    inspections = list(inspections)
    mark_cancellable(inspections)
    return {
        "request": context["request"],
        "permit": permit,
        "upcoming": [i for i in inspections if i.status == "scheduled"],
        "completed": [i for i in inspections if i.status != "scheduled"],
        "CITY_OFFICE_PHONE": context.get("CITY_OFFICE_PHONE"),
    }
