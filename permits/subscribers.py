"""Who hears what happens on permits (core.events): the user invited to be a contact on one."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from core.events import subscriber
from core.mail import absolute_url, send_templated_email
from core.models import Event

from .invitations import CONTACT_INVITATION_DAYS, invitation_from_token, invitation_token
from .models import Permit


@subscriber("permit.contact_invited")
def send_contact_invitation(event: Event) -> None:
    """The invited user: the link that makes them a contact on the permit (signed, lapsing
    after CONTACT_INVITATION_DAYS; made now, so the event keeps no secret)."""
    permit = Permit.objects.filter(pk=event.payload["permit"]).first()
    user = get_user_model().objects.filter(pk=event.object_id).first()
    if permit is None or user is None or not user.email:
        return
    token = invitation_token(
        permit=permit,
        user_id=user.pk,
        contact_type=event.payload["contact_type"],
        invited_by_id=event.actor_id,
    )
    invitation = invitation_from_token(token)
    send_templated_email(
        template="contact_invitation",
        to=[user.email],
        context={
            "user": user,
            "inviter": event.actor,
            "invitation": invitation,
            "permit": permit,
            "accept_url": absolute_url(reverse("permits:contact_invitation", args=[token])),
            "days": CONTACT_INVITATION_DAYS,
        },
    )
