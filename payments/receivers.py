"""Answer the permits app's questions (permits.signals). Connected in `PaymentsConfig.ready`."""

from django.dispatch import receiver

from permits.models import Fee
from permits.signals import fee_holders

from .models import PaymentLine


@receiver(fee_holders, sender=Fee, dispatch_uid="payments.payment_holding_fee")
def payment_holding_fee(sender, fee: Fee, **kwargs) -> str | None:
    """Answers permits' "does something hold this fee?": a fee in a payment being paid, or
    paid, is held by it and keeps its amount."""
    line = PaymentLine.objects.filter(fee_id=fee.pk, live=True).select_related("payment").first()
    if line is None:
        return None
    return f"payment {line.payment.pk} ({line.payment.get_status_display().lower()})"
