"""Who hears what happens on permits (core.events): the user invited to be a contact on one; the
permit's people when it expires, is finaled or is cancelled."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from core.events import subscriber
from core.mail import absolute_url
from core.models import Event
from permits.invitations import CONTACT_INVITATION_DAYS, invitation_from_token, invitation_token
from permits.models import Permit
from permits.parties import parties_of

from ..catalogue import INVITED, RULES
from ..services import notify


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
    notify(
        event,
        to=[user],
        roles=[INVITED],
        permit=permit,
        template="contact_invitation",
        context={
            "user": user,
            "inviter": event.actor,
            "invitation": invitation,
            "permit": permit,
            "accept_url": absolute_url(reverse("permits:contact_invitation", args=[token])),
            "days": CONTACT_INVITATION_DAYS,
        },
    )


@subscriber("permit.expired", "permit.finaled", "permit.cancelled")
def send_permit_status(event: Event) -> None:
    """The applicant, the owner, the contacts and the business's managers: the permit expired,
    was finaled or was cancelled, and what that means for them."""
    permit = Permit.objects.select_related("permit_type").filter(pk=event.object_id).first()
    if permit is None:
        return
    notify(
        event,
        to=[p for p in parties_of(permit) if p.has(*RULES[event.type].roles)],
        permit=permit,
        template="permit_status_changed",
        context={
            "permit": permit,
            "what": event.type.removeprefix("permit."),
            "note": event.payload.get("note", ""),
            "url": absolute_url(reverse("permits:detail", args=[permit.number])),
        },
    )
