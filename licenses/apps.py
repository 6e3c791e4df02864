from django.apps import AppConfig


class LicensesConfig(AppConfig):
    name = "licenses"
    verbose_name = "Contractors and licenses"

    def ready(self) -> None:
        from . import (
            signals,  # noqa: F401 (forgets cached license labels)
        )
