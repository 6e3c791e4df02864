from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Who hears what (core.events' subscribers), each person's preferences, the portal's
    notifications and the messages sent (docs/notifications.md)."""

    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from . import (
            sending,
            subscribers,  # noqa: F401 (every email, told through notify)
            tracking,
            unsubscribe,
        )
        from .sms.services import register as register_sms

        sending.register_email_headers(unsubscribe.email_headers)
        sending.register_email_content(unsubscribe.with_footer)
        register_sms()
        # What the email service says became of each email; no email to an address that bounced.
        tracking.connect()
