from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class LicensesConfig(AppConfig):
    name = "licenses"
    verbose_name = gettext_lazy("Contractors and licenses")

    def ready(self) -> None:
        from . import (
            signals,  # noqa: F401 (forgets cached license labels)
        )
