import os

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")


class PortalTask(Task):
    """Every task runs in the portal's default language, whatever request ran it (in-process,
    eager): what it writes for everyone (a permit card) is the same each time, and what it
    writes to a person is in theirs (notifications, accounts.language)."""

    def __call__(self, *args, **kwargs):
        from django.conf import settings
        from django.utils import translation

        with translation.override(settings.LANGUAGE_CODE):
            return super().__call__(*args, **kwargs)


app = Celery("portal", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
