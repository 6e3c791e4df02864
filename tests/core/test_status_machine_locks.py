"""A move locks its record FOR NO KEY UPDATE, on PostgreSQL: rows that refer to the record (a fee
to its permit) are still added while the move's transaction is open. FOR UPDATE would make them
wait for it (the key check takes FOR KEY SHARE), and a slow move would hold up every clerk adding
a fee; with the control, a plain FOR UPDATE, the insert waits until its lock timeout."""

import threading
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, transaction

from permits.models import Fee, Permit, PermitStatus
from tests.factories import PermitFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def add_a_fee_while_the_permit_is_held(permit: Permit, hold) -> Exception | None:
    """`hold(permit)` runs in a transaction of its own that stays open while another adds a fee
    to the permit (waiting 2 s at most). What the fee's insert raised, if anything."""
    held, done = threading.Event(), threading.Event()

    def holder():
        try:
            with transaction.atomic():
                hold(Permit.objects.get(pk=permit.pk))
                held.set()
                done.wait(10)
        finally:
            held.set()
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            Fee.objects.create(permit=permit, description="Reinspection", amount=Decimal("50.00"))
    except OperationalError as error:
        return error
    finally:
        done.set()
        thread.join()
    return None


def test_a_fee_is_added_to_a_permit_while_a_move_of_that_permit_is_under_way():
    permit = PermitFactory(status=PermitStatus.SUBMITTED)
    refused = add_a_fee_while_the_permit_is_held(
        permit, lambda held: held.move_to(PermitStatus.IN_REVIEW, note="Intake")
    )
    assert refused is None
    assert Permit.objects.get(pk=permit.pk).status == PermitStatus.IN_REVIEW
    assert Fee.objects.filter(permit=permit, description="Reinspection").exists()


def test_control_a_plain_row_lock_makes_the_fee_wait():
    permit = PermitFactory(status=PermitStatus.SUBMITTED)
    refused = add_a_fee_while_the_permit_is_held(
        permit, lambda held: Permit.objects.select_for_update().get(pk=held.pk)
    )
    assert "lock timeout" in str(refused)
    assert not Fee.objects.filter(permit=permit, description="Reinspection").exists()
