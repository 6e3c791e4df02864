"""Queue the emails the payment signals call for, once the transaction that sent them commits
(never for one that rolls back). Connected in `PaymentsConfig.ready`."""

from django.dispatch import receiver

from licenses.mail import enqueue_after_commit

from .models import Payment, TrustAccount
from .signals import payment_confirmed, trust_balance_fell_below_threshold
from .tasks import send_low_balance_alert, send_receipt


@receiver(payment_confirmed, sender=Payment, dispatch_uid="payments.send_receipt")
def queue_receipt(sender, *, payment_id: int, **kwargs) -> None:
    enqueue_after_commit(send_receipt, payment_id)


@receiver(
    trust_balance_fell_below_threshold,
    sender=TrustAccount,
    dispatch_uid="payments.send_low_balance_alert",
)
def queue_low_balance_alert(sender, *, account_id: int, **kwargs) -> None:
    enqueue_after_commit(send_low_balance_alert, account_id)
