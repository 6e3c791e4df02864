"""Queue the emails the payment signals call for, once the transaction that sent them commits
(never for one that rolls back); answer the permits app's questions (permits.signals).
Connected in `PaymentsConfig.ready`."""

from django.dispatch import receiver

from core.mail import enqueue_after_commit
from permits.models import Fee
from permits.signals import fee_holders

from .models import Payment, PaymentLine, TrustAccount
from .signals import payment_confirmed, payment_refunded, trust_balance_fell_below_threshold
from .tasks import send_low_balance_alert, send_receipt, send_refund_notice


@receiver(payment_confirmed, sender=Payment, dispatch_uid="payments.send_receipt")
def queue_receipt(sender, *, payment_id: int, **kwargs) -> None:
    enqueue_after_commit(send_receipt, payment_id)


@receiver(payment_refunded, sender=Payment, dispatch_uid="payments.send_refund_notice")
def queue_refund_notice(sender, *, payment_id: int, **kwargs) -> None:
    enqueue_after_commit(send_refund_notice, payment_id)


@receiver(
    trust_balance_fell_below_threshold,
    sender=TrustAccount,
    dispatch_uid="payments.send_low_balance_alert",
)
def queue_low_balance_alert(sender, *, account_id: int, **kwargs) -> None:
    enqueue_after_commit(send_low_balance_alert, account_id)


@receiver(fee_holders, sender=Fee, dispatch_uid="payments.payment_holding_fee")
def payment_holding_fee(sender, fee: Fee, **kwargs) -> str | None:
    """Answers permits' "does something hold this fee?": a fee in a payment being paid, or
    paid, is held by it and keeps its amount."""
    line = PaymentLine.objects.filter(fee_id=fee.pk, live=True).select_related("payment").first()
    if line is None:
        return None
    return f"payment {line.payment.pk} ({line.payment.get_status_display().lower()})"
