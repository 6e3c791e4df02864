import time

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.seed import load_city


class Command(BaseCommand):
    help = (
        "Print the current authenticator-app code of the demo staff logins (admin, clerk, "
        "inspectors), as a phone set up with the demo key would show it. Refuses to run with "
        "production settings."
    )

    def handle(self, *args, **options) -> None:
        if settings.PORTAL_ENVIRONMENT == "production":
            raise CommandError("demo_totp_code is for the demo city only.")
        if not apps.is_installed("allauth.mfa"):
            raise CommandError("allauth's MFA is not installed (pip install -e .).")
        from allauth.mfa import app_settings
        from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

        now = int(time.time())
        key = load_city()["staff_authenticator_key"]
        code = format_hotp_value(hotp_value(key, now // app_settings.TOTP_PERIOD))
        left = app_settings.TOTP_PERIOD - now % app_settings.TOTP_PERIOD
        self.stdout.write(f"{code}  (the demo staff logins' code for {left} more seconds)")
