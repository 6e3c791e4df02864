from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = gettext_lazy("Inspections")

    def ready(self) -> None:
        from core.calendar import register_holidays
        from permits.cards import register_card_section

        from . import (
            signals,  # noqa: F401
        )
        from .scheduling import all_holidays
        from .selectors import inspections_card_section

        register_holidays(all_holidays)
        register_card_section(inspections_card_section)
