"""Invitations to be a contact on a permit: a signed token in an emailed link. Nothing is stored
until the invited user accepts it (permits.services.permit_contact_accept), and it lapses after
CONTACT_INVITATION_DAYS."""

import datetime
from dataclasses import dataclass

from django.core import signing
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .exceptions import PermitError
from .models import ContactType, Permit

CONTACT_INVITATION_SALT = "permits.contact-invitation"
CONTACT_INVITATION_DAYS = 14


@dataclass(frozen=True)
class ContactInvitation:
    permit: Permit
    user_id: int
    contact_type: str
    invited_by_id: int

    @property
    def contact_type_label(self) -> str:
        return ContactType(self.contact_type).label


def invitation_token(*, permit: Permit, user_id: int, contact_type: str, invited_by_id: int) -> str:
    return signing.dumps(
        {"permit": permit.pk, "user": user_id, "type": contact_type, "by": invited_by_id},
        salt=CONTACT_INVITATION_SALT,
    )


def invitation_from_token(token: str) -> ContactInvitation:
    """The invitation a token carries, if it is genuine and has not lapsed."""
    try:
        data = signing.loads(
            token,
            salt=CONTACT_INVITATION_SALT,
            max_age=datetime.timedelta(days=CONTACT_INVITATION_DAYS),
        )
    except signing.SignatureExpired:
        raise PermitError(
            ngettext(
                "This invitation lapsed after %(days)s day: ask for a new one.",
                "This invitation lapsed after %(days)s days: ask for a new one.",
                CONTACT_INVITATION_DAYS,
            )
            % {"days": CONTACT_INVITATION_DAYS}
        ) from None
    except signing.BadSignature:
        raise PermitError(_("This invitation link is not valid.")) from None
    permit = Permit.objects.filter(pk=data.get("permit")).first()
    if permit is None or data.get("type") not in ContactType.values:
        raise PermitError(_("This invitation link is not valid."))
    return ContactInvitation(
        permit=permit,
        user_id=data.get("user"),
        contact_type=data["type"],
        invited_by_id=data.get("by"),
    )
