from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401 (the security log; the MFA system check)

        if self.apps.is_installed("allauth.mfa"):
            from . import mfa_signals  # noqa: F401
