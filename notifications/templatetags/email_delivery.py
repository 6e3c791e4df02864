"""The banner of a signed-in user whose email address bounced (templates/base.html)."""

from django import template

from ..models import BouncedAddress
from ..tracking import active_bounce, bounce_words

register = template.Library()


@register.simple_tag
def email_bounce_of(user) -> BouncedAddress | None:
    """The bounce that stops email to the user's address, if any: one indexed read per page."""
    if not getattr(user, "is_authenticated", False) or not user.email:
        return None
    return active_bounce(user.email)


@register.filter
def bounced_words(bounce: BouncedAddress) -> str:
    return bounce_words(bounce)
