"""The state writes every provider shares: confirm (the one way a payment becomes paid), release
(declined, failed, expired) and processing (a bank debit under way)."""

import logging

from django.db import transaction
from django.utils import timezone

from core.events import event_record
from permits.issuing import permit_issue_when_ready
from permits.models import Fee, FeeStatus, Permit, PermitStatus

from ..models import CartLine, EntryKind, Payment, PaymentStatus, TrustAccount, TrustEntry

logger = logging.getLogger("portal.payments")

OPEN_STATUSES = (PaymentStatus.CREATED, PaymentStatus.PROCESSING)


def receipt_number(payment: Payment, *, confirmed_at=None) -> str:
    """R<year>-<payment>, the year of the city's calendar (a payment at 8 pm on New Year's Eve
    is last year's, though UTC says otherwise)."""
    return f"R{timezone.localtime(confirmed_at or payment.confirmed_at):%Y}-{payment.pk:07d}"


@transaction.atomic
def payment_confirm(*, payment_id: int, source: str, stripe_payment_intent: str = "") -> Payment:
    """The one way a payment becomes paid. Locks the payment row; a payment already confirmed
    is returned as it is, so the webhook, the return page and reconciliation can all call this
    as often as they like with one effect."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status == PaymentStatus.CONFIRMED:
        return payment
    if payment.status not in OPEN_STATUSES:
        # It pays no fee now (they were freed, maybe paid by another payment): it holds money
        # staff refund. The payment intent is what the refund goes to.
        payment.needs_review = (
            f"Reported paid ({source}) while {payment.get_status_display().lower()}; the "
            "money may need refunding (Refund selected payments)."
        )[:300]
        fields = ["needs_review"]
        if stripe_payment_intent and not payment.stripe_payment_intent:
            payment.stripe_payment_intent = stripe_payment_intent
            fields.append("stripe_payment_intent")
        payment.save(update_fields=fields)
        logger.error("payment %s reported paid while %s", payment.pk, payment.status)
        return payment
    lines = list(payment.lines.filter(live=True))
    fee_ids = [line.fee_id for line in lines]
    fees = {fee.pk: fee for fee in Fee.objects.select_for_update().filter(pk__in=fee_ids)}
    for line in lines:
        fee = fees[line.fee_id]
        if fee.amount != line.amount:
            payment.needs_review = (
                f"Fee {fee.pk} is ${fee.amount} now; the payment was for ${line.amount}."
            )
        if fee.status == FeeStatus.DUE:
            note = f"Paid by payment {payment.pk}"
            fee.move_to(FeeStatus.PAID, by=payment.user, note=note, payment=payment)
        else:
            payment.needs_review = f"Fee {fee.pk} was {fee.status} when the payment came in."
    confirmed_at = timezone.now()
    changes = {
        "confirmed_at": confirmed_at,
        "receipt_number": receipt_number(payment, confirmed_at=confirmed_at),
        "needs_review": payment.needs_review,
    }
    if stripe_payment_intent:
        changes["stripe_payment_intent"] = stripe_payment_intent
    payment.move_to(
        PaymentStatus.CONFIRMED, by=payment.user, note=f"Paid ({source})", changes=changes
    )
    if payment.deposit_to_id is not None:
        _credit_deposit(payment)
    CartLine.objects.filter(fee_id__in=fee_ids).delete()
    _issue_paid_permits({fee.permit_id for fee in fees.values()})
    # The receipt is sent by a subscriber of the move's event (payment.completed).
    logger.info("payment %s confirmed (%s): %s", payment.pk, source, payment.total)
    return payment


def _credit_deposit(payment: Payment) -> TrustEntry:
    """A deposit's credit on its trust account, in the confirmation's transaction: written once,
    since only the call that moved the payment to confirmed gets here (and the database takes
    one credit per payment: `trust_entry_one_credit_per_deposit`)."""
    account = TrustAccount.objects.select_for_update().get(pk=payment.deposit_to_id)
    entry = TrustEntry.objects.create(
        account=account,
        kind=EntryKind.DEPOSIT,
        amount=payment.fees_total,
        payment=payment,
        created_by=payment.user,
        reference=f"Deposit online ({payment.get_method_display()})",
    )
    event_record(
        "trust.deposited",
        subject=account,
        actor=payment.user,
        amount=str(payment.fees_total),
        payment=payment.pk,
    )
    return entry


def _issue_paid_permits(permit_ids: set[int]) -> None:
    """With PAYMENTS_AUTO_ISSUE, a permit Ready to Issue whose fees are all paid (and that
    lacks nothing another app requires: permits.issuing) is issued."""
    for permit in Permit.objects.filter(pk__in=permit_ids, status=PermitStatus.READY_TO_ISSUE):
        permit_issue_when_ready(permit=permit, note="Issued on payment of its fees")


@transaction.atomic
def payment_release(*, payment_id: int, status: str, reason: str) -> Payment:
    """A payment that will not be paid (declined, failed, expired): its fees are free again and
    stay due."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status not in OPEN_STATUSES:
        return payment
    payment.move_to(status, note=reason)
    payment.lines.update(live=False)
    logger.info("payment %s %s: %s", payment.pk, status, reason)
    return payment


@transaction.atomic
def payment_mark_processing(*, payment_id: int) -> Payment:
    """The payer finished, the money is on its way (a bank debit): the payment keeps its fees
    until it is confirmed or fails."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status == PaymentStatus.CREATED:
        payment.move_to(PaymentStatus.PROCESSING, note="The bank debit is on its way")
    return payment
