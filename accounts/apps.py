from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = gettext_lazy("Accounts")

    def ready(self) -> None:
        from . import (
            language,  # noqa: F401 (keeps a first sign-in's language)
            signals,  # noqa: F401 (connects the security log)
        )

        if self.apps.is_installed("allauth.mfa"):
            from . import mfa_signals  # noqa: F401
