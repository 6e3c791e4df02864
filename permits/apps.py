from django.apps import AppConfig


class PermitsConfig(AppConfig):
    name = "permits"
    verbose_name = "Permits"

    def ready(self) -> None:
        from .access import register_contact_flag

        register_contact_flag()
