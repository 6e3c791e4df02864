from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class PermitsConfig(AppConfig):
    name = "permits"
    verbose_name = gettext_lazy("Permits")

    def ready(self) -> None:
        from licenses.selectors import provide_license_figures

        from . import (
            receivers,  # noqa: F401 (forgets the cached permit types)
        )
        from .license_figures import license_figures
        from .scopes import provide_facts_to_policy, register_contact_flag

        register_contact_flag()
        provide_facts_to_policy()
        provide_license_figures(license_figures)
