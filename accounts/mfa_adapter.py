"""allauth's MFA, the portal's way. Imported only when allauth.mfa is installed (MFA_ADAPTER
names it)."""

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.utils.translation import gettext as _

from .mfa import needs_second_factor


class PortalMFAAdapter(DefaultMFAAdapter):
    def get_totp_issuer(self) -> str:
        # What the authenticator app shows beside the code: the city, not a host name.
        return _("%(city)s Permit Portal") % {"city": settings.CITY_NAME}

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # A staff member's authenticator app is what lets them into the staff pages: removing
        # it would only lock them out at their next sign-in. An administrator can remove it
        # in admin (a lost phone) and the staff member sets up a new one.
        if authenticator.type == Authenticator.Type.TOTP and needs_second_factor(
            authenticator.user
        ):
            return False
        return super().can_delete_authenticator(authenticator)
