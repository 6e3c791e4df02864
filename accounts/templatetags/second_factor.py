from django import template

from accounts.mfa import WHY_STAFF_NEED_A_SECOND_FACTOR, needs_second_factor

register = template.Library()


@register.simple_tag(takes_context=True)
def why_a_second_factor(context) -> str:
    """The reason a staff member is asked to set up an authenticator app, or "" for everyone
    else (a contractor adds one by choice)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return WHY_STAFF_NEED_A_SECOND_FACTOR if needs_second_factor(user) else ""
