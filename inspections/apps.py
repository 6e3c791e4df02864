from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = "Inspections"

    def ready(self) -> None:
        from core.calendar import register_holidays

        from . import signals  # noqa: F401
        from .scheduling import all_holidays

        register_holidays(all_holidays)
