"""Refunds of a whole payment, by staff. The provider moves the money (to the card through
Stripe, back to the trust account as a ledger credit); `refund_record` writes what every refund
writes: the payment refunded, by whom and when, its fees due again or waived."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from permits.models import Fee, FeeStatus

from ..exceptions import PaymentError
from ..models import Payment, PaymentStatus

FEES_AFTER_REFUND = (FeeStatus.DUE, FeeStatus.WAIVED)


def lock_refundable(payment_id: int) -> Payment:
    """Lock the payment and check that it can be refunded: a paid one, or one the gateway
    took money for after it was closed here. The caller holds the transaction."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status != PaymentStatus.CONFIRMED and not payment.paid_while_closed:
        raise PaymentError(
            _("%(payment)s is %(status)s: only a paid one is refunded.")
            % {"payment": payment.describe(), "status": payment.get_status_display().lower()}
        )
    return payment


@transaction.atomic
def refund_record(*, payment_id: int, by, fees_become: str = FeeStatus.DUE) -> Payment:
    """Record a refund the provider has made: the payment is refunded and lets go of its fees
    (one paid while closed holds none: the fees stay as they are)."""
    if fees_become not in FEES_AFTER_REFUND:
        raise PaymentError(_("After a refund a fee is due again, or waived."))
    payment = lock_refundable(payment_id)
    note = f"Refund of {payment}"
    payment.move_to(
        PaymentStatus.REFUNDED,
        by=by,
        note=note,
        changes={"refunded_at": timezone.now(), "refunded_by": by},
    )
    lines = list(payment.lines.filter(live=True))
    paid = Fee.objects.filter(pk__in=[line.fee_id for line in lines], status=FeeStatus.PAID)
    for fee in paid.order_by("pk"):
        fee.move_to(fees_become, by=by, note=note, refund=payment)
    payment.lines.update(live=False)
    # The refund notice: a subscriber of the move's event (payment.refunded).
    return payment
