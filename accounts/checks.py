"""A site that requires staff's second factor must have allauth's MFA installed."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def staff_mfa_installed(app_configs, **kwargs) -> list[Error]:
    from django.apps import apps

    if settings.STAFF_REQUIRE_MFA and not apps.is_installed("allauth.mfa"):
        return [
            Error(
                "STAFF_REQUIRE_MFA is on but allauth's MFA is not installed, so no staff member "
                "could open the staff pages.",
                hint="pip install -e . (it installs django-allauth[mfa]: fido2 and qrcode), "
                "or set STAFF_REQUIRE_MFA=False.",
                id="accounts.E001",
            )
        ]
    return []
