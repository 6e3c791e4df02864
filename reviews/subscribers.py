"""Plan review's part in what happens (core.events): it opens an accepted application's first
review cycle, within the acceptance's transaction. (Who is told of reviews: notifications.)"""

from applications.models import Application
from core.events import subscriber
from core.models import Event

from .services import review_cycle_open


@subscriber("application.accepted", within_transaction=True)
def open_the_first_cycle(event: Event) -> None:
    """Cycle 1: a review per discipline of the application's permit type (none: no cycle)."""
    review_cycle_open(application=Application.objects.get(pk=event.object_id))
