from celery import shared_task
from django.contrib.auth import get_user_model
from django.urls import reverse

from core.mail import MAIL_RETRY, absolute_url, send_templated_email

from .exceptions import PermitError
from .invitations import CONTACT_INVITATION_DAYS, invitation_from_token


@shared_task
def expire_permits() -> int:
    """Run daily by Celery beat (see CELERY_BEAT_SCHEDULE)."""
    # Imported here: the services enqueue this module's tasks.
    from .services import permits_expire

    return len(permits_expire())


@shared_task(**MAIL_RETRY)
def send_contact_invitation(token: str) -> None:
    """Email the invited user the link that makes them a contact on the permit."""
    try:
        invitation = invitation_from_token(token)
    except PermitError:
        return  # lapsed in the queue, or the permit is gone: nothing to send
    users = get_user_model().objects.in_bulk([invitation.user_id, invitation.invited_by_id])
    user, inviter = users.get(invitation.user_id), users.get(invitation.invited_by_id)
    if user is None or not user.email:
        return
    send_templated_email(
        template="contact_invitation",
        to=[user.email],
        context={
            "user": user,
            "inviter": inviter,
            "invitation": invitation,
            "permit": invitation.permit,
            "accept_url": absolute_url(reverse("permits:contact_invitation", args=[token])),
            "days": CONTACT_INVITATION_DAYS,
        },
    )


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def refresh_permit_card(permit_id: int) -> None:
    """The permit card's next revision, if what it shows changed (permits.cards)."""
    from .cards import permit_card_refresh
    from .models import Permit

    permit = Permit.objects.filter(pk=permit_id).first()
    if permit is not None:
        permit_card_refresh(permit=permit)
