from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Who hears what (core.events' subscribers), each person's preferences, the portal's
    notifications and the messages sent (docs/notifications.md)."""

    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from . import subscribers  # noqa: F401 (every email, told through notify)
        from .sms.services import register as register_sms

        register_sms()
