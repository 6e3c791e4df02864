"""Issue 24, requirement 11: telling 30 people costs the request that made the change nothing
more than telling nobody: the request records the event and queues its subscribers; who is told
and how is worked out after the commit, in a worker."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from permits.models import PermitContact, PermitStatus
from tests.factories import PermitFactory, UserFactory

pytestmark = pytest.mark.django_db


def queries_of_a_move(permit) -> int:
    with CaptureQueriesContext(connection) as captured:
        permit.move_to(PermitStatus.FINALED, by=None, note="Final passed")
    return len(captured)


def test_a_status_change_costs_its_request_the_same_queries_for_30_parties_as_for_none(
    django_capture_on_commit_callbacks,
):
    crowded, lonely = (
        PermitFactory(status=PermitStatus.ISSUED),
        PermitFactory(status=PermitStatus.ISSUED),
    )
    for n in range(30):
        PermitContact.objects.create(
            permit=crowded, user=UserFactory(email=f"c{n}@example.com"), contact_type="contact"
        )
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        assert queries_of_a_move(crowded) == queries_of_a_move(lonely)
    # The telling waits for the commit: one delivery per subscriber and move, not per person.
    assert len(after_commit) == 2
