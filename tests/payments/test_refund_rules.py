"""Refunds at their edges: which payments may be refunded (a paid one, or one the gateway took
money for after it was closed here), which fees go back to due or waived (this payment's paid
ones, no others), who and what the history records, the refund notice, and the exact words of
each refusal staff read."""

import uuid
from decimal import Decimal

import pytest

from payments.exceptions import PaymentError
from payments.flows import payment_refund
from payments.models import CartLine, EntryKind, Payment, PaymentMethod, PaymentStatus, TrustEntry
from payments.providers.offline import OfflineDecision, OfflineGatewayProvider
from payments.selectors import trust_balance
from payments.services.checkout import payment_start
from payments.services.confirm import payment_confirm, payment_release
from payments.services.refunds import refund_record
from payments.services.trust import trust_pay, trust_refund
from permits.models import Fee, FeeStatus
from tests.factories import UserFactory, contractor_user, moves
from tests.payments.conftest import fund, permit_with_fees

pytestmark = pytest.mark.django_db

REFUSED_CHOICE = "After a refund a fee is due again, or waived."


def history(record) -> list[tuple[str, object, str]]:
    """The record's moves in its history (what admin shows), oldest first."""
    return [(move.to_status, move.changed_by, move.note) for move in moves(record)]


def statuses(fees) -> list[str]:
    return [Fee.objects.get(pk=fee.pk).status for fee in fees]


@pytest.fixture
def clerk():
    return UserFactory(username="clerk", is_staff=True)


@pytest.fixture
def payer(license):
    return contractor_user(license, can_pay=True, username="payer")


def pay_from_trust(payer, license, *amounts, balance="500.00"):
    _, fees = permit_with_fees(license, *amounts)
    for fee in fees:
        CartLine.objects.create(user=payer, fee=fee)
    return trust_pay(user=payer, account=fund(license, balance), key=uuid.uuid4()), fees


@pytest.fixture
def offline(settings):
    settings.STRIPE_SECRET_KEY = ""  # the offline card gateway


def card_checkout(payer, license, *amounts):
    """A card payment started at the offline gateway, holding its fees, not paid yet."""
    _, fees = permit_with_fees(license, *amounts)
    for fee in fees:
        CartLine.objects.create(user=payer, fee=fee)
    payment, _ = payment_start(
        user=payer, method=PaymentMethod.CARD, provider="offline", key=uuid.uuid4()
    )
    return payment, fees


# Which fees a refund lets go of -------------------------------------------------------------------


def test_a_refund_returns_only_its_own_fees_to_due(payer, license, clerk):
    """Another payment's paid fees (of the same payer, the same permit office) stay paid."""
    refunded, fees = pay_from_trust(payer, license, "100.00", "25.50")
    kept, other_fees = pay_from_trust(payer, license, "40.00")
    payment_refund(payment=refunded, by=clerk)
    assert statuses(fees) == [FeeStatus.DUE, FeeStatus.DUE]
    assert statuses(other_fees) == [FeeStatus.PAID]
    kept.refresh_from_db()
    assert kept.status == PaymentStatus.CONFIRMED


def test_a_fee_waived_before_the_payment_came_in_stays_waived_after_its_refund(
    payer, license, clerk, offline
):
    """The clerk waived a fee while the card payment holding it was open; the payment still
    went through (flagged for review). Refunding it makes the paid fee due again and leaves
    the waived one waived."""
    payment, (paid, waived) = card_checkout(payer, license, "30.00", "20.00")
    waived.move_to(FeeStatus.WAIVED, by=clerk, note="Hardship waiver")
    OfflineGatewayProvider().decide(payment, decision=OfflineDecision.APPROVE)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED and payment.needs_review
    payment_refund(payment=payment, by=clerk)
    assert statuses([paid, waived]) == [FeeStatus.DUE, FeeStatus.WAIVED]


def test_the_history_says_who_refunded_and_which_payment(payer, license, clerk):
    payment, fees = pay_from_trust(payer, license, "100.00", "25.50")
    payment_refund(payment=payment, by=clerk)
    note = f"Refund of {payment.receipt_number}"
    assert history(payment)[-1] == (PaymentStatus.REFUNDED, clerk, note)
    for fee in fees:
        assert history(fee)[-1] == (FeeStatus.DUE, clerk, note)
    payment.refresh_from_db()
    assert payment.refunded_by == clerk and payment.refunded_at is not None
    assert {line.live for line in payment.lines.all()} == {False}


def test_the_payer_is_sent_the_refund_notice(
    payer, license, clerk, mailoutbox, django_capture_on_commit_callbacks
):
    payment, fees = pay_from_trust(payer, license, "100.00", "25.50")
    permit = fees[0].permit
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        payment_refund(payment=payment, by=clerk)
    assert [(m.to, m.subject.split("] ", 1)[1]) for m in mailoutbox] == [
        (
            [payer.email],
            f"Refund of receipt {payment.receipt_number}: $125.50, permit {permit.number}, "
            f"{permit.address}",
        )
    ]


# What may be refunded ---------------------------------------------------------------------------


def test_a_payment_that_took_no_money_is_not_refunded(payer, license, clerk, offline):
    payment, fees = card_checkout(payer, license, "30.00")
    payment_release(payment_id=payment.pk, status=PaymentStatus.EXPIRED, reason="a newer checkout")
    with pytest.raises(PaymentError) as error:
        payment_refund(payment=payment, by=clerk)
    assert str(error.value) == (f"Payment {payment.pk} is expired: only a paid one is refunded.")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED and statuses(fees) == [FeeStatus.DUE]


def test_a_payment_is_refunded_once(payer, license, clerk):
    payment, _ = pay_from_trust(payer, license, "100.00")
    payment_refund(payment=payment, by=clerk)
    with pytest.raises(PaymentError) as error:
        payment_refund(payment=payment, by=clerk)
    assert str(error.value) == (
        f"Payment {payment.receipt_number} is refunded: only a paid one is refunded."
    )
    assert TrustEntry.objects.filter(kind=EntryKind.REFUND).count() == 1
    assert trust_balance(payment.trust_account) == Decimal("500.00")


def test_a_payment_paid_at_the_gateway_after_it_expired_here_is_refunded(
    payer, license, clerk, offline
):
    """The gateway took the money after the payment had expired here (and its fees were freed):
    it holds money, so it is refunded; the fees it never paid stay as they are."""
    payment, fees = card_checkout(payer, license, "30.00")
    payment_release(payment_id=payment.pk, status=PaymentStatus.EXPIRED, reason="a newer checkout")
    payment_confirm(payment_id=payment.pk, source="webhook", stripe_payment_intent="pi_late")
    payment.refresh_from_db()
    assert payment.paid_while_closed
    refund_record(payment_id=payment.pk, by=clerk)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_by == clerk
    assert statuses(fees) == [FeeStatus.DUE]


# How the fees end up ------------------------------------------------------------------------------


@pytest.mark.parametrize("choice", [FeeStatus.PAID, "", "cancelled"])
def test_staff_choose_due_or_waived_and_nothing_else(payer, license, clerk, choice):
    payment, fees = pay_from_trust(payer, license, "100.00")
    with pytest.raises(PaymentError) as error:
        payment_refund(payment=payment, by=clerk, fees_become=choice)
    assert str(error.value) == REFUSED_CHOICE
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED and statuses(fees) == [FeeStatus.PAID]


def test_the_refund_record_refuses_another_choice_and_the_credit_is_undone(payer, license, clerk):
    """Reached past payment_refund (a provider's refund), the record refuses it too, and the
    ledger credit written in the same transaction goes with it."""
    payment, fees = pay_from_trust(payer, license, "100.00")
    with pytest.raises(PaymentError) as error:
        trust_refund(payment_id=payment.pk, by=clerk, fees_become=FeeStatus.PAID)
    assert str(error.value) == REFUSED_CHOICE
    assert not TrustEntry.objects.filter(kind=EntryKind.REFUND).exists()
    assert trust_balance(payment.trust_account) == Decimal("400.00")
    assert Payment.objects.get().status == PaymentStatus.CONFIRMED
    assert statuses(fees) == [FeeStatus.PAID]


def test_paying_a_way_no_provider_takes_here_says_which_way_and_whom_to_call(monkeypatch):
    """No provider takes the method here (Stripe without keys, say): the payer is told which
    way of paying is unavailable and to call the office, and nothing is started."""
    import uuid

    from payments import flows
    from payments.exceptions import PaymentError
    from payments.models import Payment

    monkeypatch.setattr(flows, "provider_for_method", lambda method: None)
    for method, way in (("card", "Credit Card"), ("ach", "Electronic Check"), ("x", "this way")):
        with pytest.raises(PaymentError) as refused:
            flows.checkout_begin(
                user=None, method=method, key=uuid.uuid4(), account_id=None, absolute=str
            )
        assert str(refused.value) == (
            f"Paying by {way} is not available right now; call the permit office."
        )
    assert not Payment.objects.exists()
