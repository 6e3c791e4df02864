"""The rules of payment confirmation (payments/services/confirm.py), each as the people relying
on it see it: who paid, when, with which receipt number and which words in the history; which
permits a payment issues (its own, never another's); a fee no longer due when the money arrives;
a "paid" report on a payment already closed, flagged for a refund that goes where the money is;
a payment released or left processing, with the reason in its history."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from payments.models import CartLine, Payment, PaymentMethod, PaymentStatus
from payments.services.checkout import payment_create
from payments.services.confirm import (
    payment_confirm,
    payment_mark_processing,
    payment_release,
)
from permits.models import Fee, FeeStatus, PermitStatus
from tests.factories import FeeFactory, UserFactory, moves
from tests.payments.conftest import permit_with_fees

pytestmark = pytest.mark.django_db

LATE_FLAG = (
    "Reported paid (webhook checkout.session.completed) while expired; the money may need "
    "refunding (Refund selected payments)."
)


def holding(user, fees, *, provider="stripe", method=PaymentMethod.CARD) -> Payment:
    """A payment the user started for `fees` at the checkout: it holds them until it is paid,
    declined or expired."""
    return payment_create(user=user, method=method, provider=provider, fees=fees, key=uuid.uuid4())


def history(record) -> list[tuple]:
    """The record's status history as staff read it (its events): from, to, by whom, and the
    note."""
    return [(c.from_status, c.to_status, c.changed_by, c.note) for c in moves(record)]


permit_history = history


# Confirmed: who paid, when, the receipt, the history -------------------------------------------


def test_a_paid_payment_records_when_who_and_why_on_itself_and_each_fee(payer, license):
    _, fees = permit_with_fees(license, "100.00", "25.50")
    for fee in fees:
        CartLine.objects.create(user=payer, fee=fee)
    payment = holding(payer, fees, provider="offline")
    before = timezone.now()
    payment_confirm(payment_id=payment.pk, source="offline gateway")
    after = timezone.now()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED
    # When it was paid: the receipt and the city's books read this time.
    assert payment.confirmed_at is not None and before <= payment.confirmed_at <= after
    year = timezone.localtime(payment.confirmed_at).year
    assert payment.receipt_number == f"R{year}-{payment.pk:07d}"
    assert payment.needs_review == ""
    # Paid without a card network's payment intent: none is recorded (a refund of it moves no
    # card money).
    assert payment.stripe_payment_intent == ""
    # The history says who paid it, and how.
    assert history(payment) == [
        (PaymentStatus.CREATED, PaymentStatus.CONFIRMED, payer, "Paid (offline gateway)")
    ]
    for fee in fees:
        fee.refresh_from_db()
        assert fee.status == FeeStatus.PAID
        assert history(fee) == [
            (FeeStatus.DUE, FeeStatus.PAID, payer, f"Paid by payment {payment.pk}")
        ]
    assert not CartLine.objects.filter(user=payer).exists()  # paid: out of the cart


def test_a_card_payment_keeps_the_payment_intent_its_refund_goes_to(payer, license):
    _, fees = permit_with_fees(license, "40.00")
    payment = holding(payer, fees)
    payment_confirm(
        payment_id=payment.pk,
        source="webhook checkout.session.completed",
        stripe_payment_intent="pi_paid_by_card",
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED
    assert payment.stripe_payment_intent == "pi_paid_by_card"


def test_a_payment_confirmed_twice_is_paid_once(payer, license):
    _, fees = permit_with_fees(license, "40.00")
    payment = holding(payer, fees)
    first = payment_confirm(payment_id=payment.pk, source="return page")
    again = payment_confirm(payment_id=payment.pk, source="webhook checkout.session.completed")
    assert again.receipt_number == first.receipt_number
    assert again.confirmed_at == first.confirmed_at
    assert [note for *_, note in history(payment)] == ["Paid (return page)"]


def test_the_receipt_year_is_the_year_of_the_payments_confirmed_at_as_the_clock_turns(
    payer, license, monkeypatch
):
    """Paid in the last second of the year (city time): the receipt carries that year, the year
    of the confirmed_at stamped on the payment, even when the clock has turned by the time the
    number is written."""
    _, fees = permit_with_fees(license, "40.00")
    payment = holding(payer, fees)
    last_second = datetime.datetime(
        2025, 12, 31, 23, 59, 59, tzinfo=timezone.get_current_timezone()
    )
    ticks = iter(range(1000))

    def clock():  # one second later at each reading
        return (last_second + datetime.timedelta(seconds=next(ticks))).astimezone(datetime.UTC)

    monkeypatch.setattr(timezone, "now", clock)
    payment_confirm(payment_id=payment.pk, source="return page")
    monkeypatch.undo()
    payment.refresh_from_db()
    assert timezone.localtime(payment.confirmed_at) == last_second
    assert payment.receipt_number == f"R2025-{payment.pk:07d}"


# Which permits a payment issues ----------------------------------------------------------------


def test_paying_a_permits_fees_issues_that_permit_and_no_other(payer, license, settings):
    """With PAYMENTS_AUTO_ISSUE, the permits whose fees this payment paid are issued, if
    nothing else is missing; another permit Ready to Issue with nothing missing waits for the
    clerk (or its own payment), whatever anyone else pays."""
    settings.PAYMENTS_AUTO_ISSUE = True
    paid_for, fees = permit_with_fees(license, "60.00", status=PermitStatus.READY_TO_ISSUE)
    elsewhere = permit_with_fees(license, status=PermitStatus.READY_TO_ISSUE)[0]
    FeeFactory(permit=elsewhere, amount=Decimal("30.00"), status=FeeStatus.WAIVED)
    # A permit with a fee paid here and one still due: not issued yet.
    part_paid, (first, _second) = permit_with_fees(
        license, "10.00", "15.00", status=PermitStatus.READY_TO_ISSUE
    )
    payment = holding(payer, [*fees, first])
    payment_confirm(payment_id=payment.pk, source="trust account")

    paid_for.refresh_from_db()
    assert paid_for.status == PermitStatus.ISSUED and paid_for.issued_on is not None
    assert permit_history(paid_for) == [
        (PermitStatus.READY_TO_ISSUE, PermitStatus.ISSUED, None, "Issued on payment of its fees")
    ]
    for waiting in (elsewhere, part_paid):
        waiting.refresh_from_db()
        assert waiting.status == PermitStatus.READY_TO_ISSUE
        assert permit_history(waiting) == []


def test_without_auto_issue_a_paid_permit_waits_for_the_clerk(payer, license, settings):
    settings.PAYMENTS_AUTO_ISSUE = False
    permit, fees = permit_with_fees(license, "60.00", status=PermitStatus.READY_TO_ISSUE)
    payment_confirm(payment_id=holding(payer, fees).pk, source="trust account")
    permit.refresh_from_db()
    assert permit.status == PermitStatus.READY_TO_ISSUE


# A fee no longer due when the money arrives --------------------------------------------------


def test_a_fee_waived_while_the_payment_held_it_stays_waived_and_the_payment_is_flagged(
    payer, license
):
    """The clerk waived a fee while the payer was on the card page: the money still comes in,
    the payment is paid (its other fees are paid), the waived fee stays waived, and the payment
    is flagged for staff to refund what it paid for that fee."""
    _, (waived, paid) = permit_with_fees(license, "100.00", "25.50")
    payment = holding(payer, [waived, paid])
    clerk = UserFactory(username="cashier", is_staff=True)
    waived.move_to(FeeStatus.WAIVED, by=clerk, note="Hardship waiver approved")
    payment_confirm(payment_id=payment.pk, source="webhook checkout.session.completed")

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED
    assert payment.needs_review == f"Fee {waived.pk} was waived when the payment came in."
    waived.refresh_from_db()
    paid.refresh_from_db()
    assert waived.status == FeeStatus.WAIVED and paid.status == FeeStatus.PAID
    assert history(waived) == [(FeeStatus.DUE, FeeStatus.WAIVED, clerk, "Hardship waiver approved")]


# A "paid" report on a payment closed here ------------------------------------------------------


def test_a_late_paid_report_on_an_expired_payment_flags_it_and_records_where_the_money_is(
    payer, license
):
    """Stripe took the money after the payment expired here: the payment pays no fee (they are
    free, maybe paid since), it is flagged for a refund in the words staff read, and the payment
    intent the refund goes to is recorded."""
    _, fees = permit_with_fees(license, "40.00")
    payment = holding(payer, fees)
    payment_release(payment_id=payment.pk, status=PaymentStatus.EXPIRED, reason="a newer checkout")
    payment_confirm(
        payment_id=payment.pk,
        source="webhook checkout.session.completed",
        stripe_payment_intent="pi_taken_late",
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED and payment.receipt_number is None
    assert payment.needs_review == LATE_FLAG
    assert payment.stripe_payment_intent == "pi_taken_late"
    assert payment.paid_while_closed  # staff can refund it
    assert Fee.objects.get(pk=fees[0].pk).status == FeeStatus.DUE


def test_a_second_late_report_never_changes_where_the_refund_goes(payer, license):
    _, fees = permit_with_fees(license, "40.00")
    payment = holding(payer, fees)
    payment_release(payment_id=payment.pk, status=PaymentStatus.EXPIRED, reason="a newer checkout")
    for intent in ("pi_taken_late", "pi_some_other"):
        payment_confirm(
            payment_id=payment.pk,
            source="webhook checkout.session.completed",
            stripe_payment_intent=intent,
        )
    payment.refresh_from_db()
    assert payment.stripe_payment_intent == "pi_taken_late"
    assert payment.needs_review == LATE_FLAG


def test_a_late_report_from_a_long_named_source_is_still_flagged_within_its_column(payer, license):
    """The flag is cut to the 300 characters its column holds (PostgreSQL refuses a longer
    one, and the flag would be lost with the report)."""
    _, fees = permit_with_fees(license, "40.00")
    payment = holding(payer, fees)
    payment_release(payment_id=payment.pk, status=PaymentStatus.FAILED, reason="card declined")
    source = "settled by " + "a-very-long-staff-username-" * 10
    payment_confirm(payment_id=payment.pk, source=source)
    payment.refresh_from_db()
    column = Payment._meta.get_field("needs_review").max_length
    assert len(payment.needs_review) == column == 300
    assert (
        payment.needs_review
        == (
            f"Reported paid ({source}) while failed; the money may need refunding (Refund selected "
            "payments)."
        )[:300]
    )


# Released, processing ---------------------------------------------------------------------------


def test_a_released_payment_frees_its_fees_with_the_reason_in_its_history(payer, license):
    _, fees = permit_with_fees(license, "40.00")
    payment = holding(payer, fees)
    payment_release(
        payment_id=payment.pk, status=PaymentStatus.FAILED, reason="declined at the gateway"
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert not payment.lines.filter(live=True).exists()
    assert history(payment) == [
        (PaymentStatus.CREATED, PaymentStatus.FAILED, None, "declined at the gateway")
    ]
    # Released once: a later release of a closed payment changes nothing.
    payment_release(payment_id=payment.pk, status=PaymentStatus.EXPIRED, reason="a newer checkout")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED and len(history(payment)) == 1


def test_a_bank_debit_under_way_is_processing_with_a_note_and_keeps_its_fees(payer, license):
    _, fees = permit_with_fees(license, "40.00")
    payment = holding(payer, fees, method=PaymentMethod.ACH)
    payment_mark_processing(payment_id=payment.pk)
    payment_mark_processing(payment_id=payment.pk)  # reported twice: moved once
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PROCESSING
    assert payment.lines.filter(live=True).count() == 1
    assert history(payment) == [
        (PaymentStatus.CREATED, PaymentStatus.PROCESSING, None, "The bank debit is on its way")
    ]
    payment_confirm(
        payment_id=payment.pk, source="webhook checkout.session.async_payment_succeeded"
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED
