from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Permit Portal"

    def ready(self) -> None:
        from .actions import register_record_filters
        from .audit import register_audited_models

        register_audited_models()
        register_record_filters()
