"""Who hears what: the subscribers that tell people of events (core.events), one module for each
app whose events they hear. Each finds the people (by the roles notifications.catalogue names)
and hands them to `notifications.services.notify`, which tells each once, as they chose."""

from . import (  # noqa: F401
    accounts,
    applications,
    inspections,
    licenses,
    payments,
    permits,
    reminders,
    reviews,
)
