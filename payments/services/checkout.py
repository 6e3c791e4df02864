"""Starting a payment of the whole cart: the fees are locked and held by the payment, its amounts
computed here from the database (never taken from the browser), and the payer handed to the
provider chosen."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.money import format_money
from permits.models import Fee, FeeStatus

from ..exceptions import PaymentError
from ..models import ZERO, Payment, PaymentLine, PaymentMethod, PaymentStatus, TrustAccount
from ..registry import provider_for
from ..selectors import cart_for, convenience_fee
from .cart import cart_clean

if TYPE_CHECKING:  # the providers call these services: only the annotation is needed here
    pass


def lock_due_fees(fee_ids: Iterable[int]) -> list[Fee]:
    """Lock the fees a payment will hold; one not due any more stops the payment."""
    fees = list(Fee.objects.select_for_update().filter(pk__in=set(fee_ids)).order_by("pk"))
    for fee in fees:
        if fee.status != FeeStatus.DUE:
            raise PaymentError(
                _(
                    "%(fee)s on permit %(number)s is already %(status)s: it was taken out of "
                    "your cart."
                )
                % {
                    "fee": fee.description,
                    "number": fee.permit.number,
                    "status": fee.get_status_display().lower(),
                }
            )
    return fees


def payment_row_create(
    *,
    user,
    method: str,
    provider: str,
    amount: Decimal,
    key: uuid.UUID,
    key_taken: str,
    account: TrustAccount | None = None,
    deposit_to: TrustAccount | None = None,
) -> Payment:
    """The payment itself, for a cart's fees or a deposit: `amount` plus the convenience fee of
    the way to pay, under the click's idempotency key. `key_taken` is what the payer is told when
    that key started a payment already (each flow says where to look); `account` is the trust
    account that pays, `deposit_to` the one a deposit is credited to."""
    surcharge = convenience_fee(method, amount)
    try:
        with transaction.atomic():
            return Payment.objects.create(
                user=user,
                method=method,
                provider=provider,
                fees_total=amount,
                convenience_fee=surcharge,
                total=amount + surcharge,
                idempotency_key=key,
                trust_account=account,
                deposit_to=deposit_to,
            )
    except IntegrityError:
        # The key of this click is taken: by another click of the same form that got here
        # first (found again after the locks, so rare), or a form used before.
        raise PaymentError(key_taken) from None


def payment_create(
    *,
    user,
    method: str,
    provider: str,
    fees: list[Fee],
    key: uuid.UUID,
    account: TrustAccount | None = None,
) -> Payment:
    """The payment and its lines, the fees already locked by the caller's transaction."""
    if not fees:
        raise PaymentError(_("Your cart is empty."))
    payment = payment_row_create(
        user=user,
        method=method,
        provider=provider,
        amount=sum((fee.amount for fee in fees), ZERO),
        key=key,
        key_taken="This payment was already started. Open your cart to see where it stands.",
        account=account,
    )
    numbers = dict(
        Fee.objects.filter(pk__in=[fee.pk for fee in fees]).values_list("pk", "permit__number")
    )
    try:
        with transaction.atomic():
            PaymentLine.objects.bulk_create(
                [
                    PaymentLine.of_fee(payment=payment, fee=fee, permit_number=numbers[fee.pk])
                    for fee in fees
                ]
            )
    except IntegrityError:
        raise PaymentError(
            _(
                "Some of these fees are in a payment being processed. Wait for it to finish, or "
                "start again from your cart."
            )
        ) from None
    return payment


def existing_payment(*, key: uuid.UUID, user, method: str) -> Payment | None:
    """The payment this user's click with `key` started already (a double click, a reload),
    if any. The same form used again for another way to pay, or after its payment failed or
    expired, is refused: the checkout page then starts afresh."""
    found = Payment.objects.filter(idempotency_key=key, user=user).first()
    if found is not None and (
        found.method != method or found.status in (PaymentStatus.FAILED, PaymentStatus.EXPIRED)
    ):
        raise PaymentError(_("This checkout form was used already. Choose how to pay once more."))
    return found


def payment_start(*, user, method: str, provider: str, key: uuid.UUID) -> tuple[Payment, bool]:
    """A payment of the whole cart before the payer goes to the provider's page, and whether
    this call made it (False: an earlier click of the same form did). The user's older open
    payments are settled first, each in its own transaction (and with no transaction open while
    their gateway is asked), so what they found (a payment that went through meanwhile) stands
    whatever happens to this one."""
    found = existing_payment(key=key, user=user, method=method)
    if found is not None:
        return found, False
    expire_open_payments(user=user)
    with transaction.atomic():
        cart = cart_for(user)
        cart_clean(user=user, cart=cart)
        fees = lock_due_fees(fee.pk for fee in cart.fees)
        # A second click of the same form waited here for the first one's locks.
        found = existing_payment(key=key, user=user, method=method)
        if found is not None:
            return found, False
        payment = payment_create(user=user, method=method, provider=provider, fees=fees, key=key)
        return payment, True


def earlier_payment_message(payment: Payment, outcome: str, *, deposits: bool) -> str:
    """Why a new payment is refused: an older one the payer finished meanwhile."""
    values = {"total": format_money(payment.total), "receipt": payment.receipt_number}
    if outcome == "confirmed" and deposits:
        message = _(
            "Your earlier payment of %(total)s went through: receipt %(receipt)s. Nothing more "
            "was charged."
        )
    elif outcome == "confirmed":
        message = _(
            "Your earlier payment of %(total)s went through: receipt %(receipt)s. Nothing more "
            "was charged; what is still due stays in your cart."
        )
    elif deposits:
        message = _(
            "Your earlier payment of %(total)s is being processed by your bank. Nothing more was "
            "charged."
        )
    else:
        message = _(
            "Your earlier payment of %(total)s is being processed by your bank. Nothing more was "
            "charged; what is still due stays in your cart."
        )
    return message % values


def expire_open_payments(*, user, deposits: bool = False) -> int:
    """At most one open hosted-page payment per cart (and one deposit): before a new payment,
    the user's unfinished ones of the same kind are cancelled through their providers (a Stripe
    session is expired at Stripe), and their fees freed. One the payer finished meanwhile is
    settled instead, and the new payment refused with a word about it. Returns how many were
    closed."""
    older = Payment.objects.filter(
        user=user,
        status=PaymentStatus.CREATED,
        method__in=[PaymentMethod.CARD, PaymentMethod.ACH],
        deposit_to__isnull=not deposits,
    )
    closed = 0
    for payment in older:
        outcome = provider_for(payment).cancel(payment, reason="a newer checkout")
        if outcome in ("confirmed", "processing"):
            payment.refresh_from_db()
            raise PaymentError(earlier_payment_message(payment, outcome, deposits=deposits))
        closed += outcome == "expired"
    return closed
