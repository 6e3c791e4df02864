"""What the payments app tells the apps below it when they ask (permits.signals)."""

from django.dispatch import receiver

from permits.models import Fee
from permits.signals import fee_holders

from .models import PaymentLine


@receiver(fee_holders, sender=Fee, dispatch_uid="payments.payment_holding_fee")
def payment_holding_fee(sender, fee: Fee, **kwargs) -> str | None:
    """A fee in a payment being paid, or paid, is held by it."""
    line = PaymentLine.objects.filter(fee_id=fee.pk, live=True).select_related("payment").first()
    if line is None:
        return None
    return f"payment {line.payment.pk} ({line.payment.get_status_display().lower()})"
