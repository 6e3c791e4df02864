"""The trust account: a business's prepaid balance on an append-only ledger. A debit locks the
account row, checks the balance and writes its entry in one transaction."""

import uuid
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.events import event_record
from core.money import format_money
from licenses.models import Contractor
from permits.models import FeeStatus
from policy.businesses import can_deposit_to_trust_account, can_manage_business

from ..exceptions import PaymentError
from ..models import (
    ZERO,
    EntryKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    TrustAccount,
    TrustEntry,
)
from ..selectors import (
    CENT,
    cart_for,
    trust_accounts_for,
    trust_balance,
    trust_refusal,
)
from .cart import cart_clean
from .checkout import (
    existing_payment,
    expire_open_payments,
    lock_due_fees,
    payment_create,
    payment_row_create,
)
from .confirm import payment_confirm
from .refunds import lock_refundable, refund_record

TRUST_PROVIDER = "trust"


def lock_trust_account(account_id: int) -> TrustAccount:
    """The row lock every debit takes first: two debits at once wait for each other."""
    return TrustAccount.objects.select_for_update().get(pk=account_id)


def trust_pay(*, user, account: TrustAccount, key: uuid.UUID) -> Payment:
    """Pay the whole cart from a trust account: lock the account, check the balance, write the
    ledger entry and confirm the payment, all in one transaction."""
    found = existing_payment(key=key, user=user, method=PaymentMethod.TRUST)
    if found is not None:
        return found
    if account not in trust_accounts_for(user):
        raise PaymentError(_("You cannot pay from that trust account."))
    expire_open_payments(user=user)
    with transaction.atomic():
        return _trust_pay(user=user, account=account, key=key)


def _trust_pay(*, user, account: TrustAccount, key: uuid.UUID) -> Payment:
    account = lock_trust_account(account.pk)
    # A second click of the same form waited here for the first one's lock.
    found = existing_payment(key=key, user=user, method=PaymentMethod.TRUST)
    if found is not None:
        return found
    cart = cart_for(user)
    cart_clean(user=user, cart=cart)
    fees = lock_due_fees(fee.pk for fee in cart.fees)
    # The policy's rule, asked again under the account's lock; an empty cart is refused as such
    # when the payment is made.
    refusal = trust_refusal(user=user, account=account, fees=fees) if fees else ""
    if refusal:
        raise PaymentError(refusal)
    balance = trust_balance(account)
    total = sum((fee.amount for fee in fees), ZERO)
    if total > balance:
        raise PaymentError(
            _(
                "The trust account of %(business)s has %(balance)s; the fees are %(total)s. "
                "Choose another way to pay, or ask the city for a deposit."
            )
            % {
                "business": account.contractor.business_name,
                "balance": format_money(balance),
                "total": format_money(total),
            }
        )
    payment = payment_create(
        user=user,
        method=PaymentMethod.TRUST,
        provider=TRUST_PROVIDER,
        fees=fees,
        key=key,
        account=account,
    )
    TrustEntry.objects.create(
        account=account,
        kind=EntryKind.PAYMENT,
        amount=-payment.total,
        payment=payment,
        created_by=user,
        reference=", ".join(sorted({fee.permit.number for fee in fees}))[:200],
    )
    payment_confirm(payment_id=payment.pk, source="trust account")
    after = balance - payment.total
    threshold = account.low_balance_threshold
    if threshold is not None and balance >= threshold > after:
        event_record(
            "trust.low_balance",
            subject=account,
            actor=user,
            balance=str(after),
            threshold=str(threshold),
            payment=payment.pk,
        )
    payment.refresh_from_db()
    return payment


@transaction.atomic
def trust_refund(*, payment_id: int, by, fees_become: str = FeeStatus.DUE) -> Payment:
    """Refund a trust payment: the whole amount back to its account as a ledger credit, in the
    transaction that records the refund."""
    payment = lock_refundable(payment_id)
    lock_trust_account(payment.trust_account_id)
    TrustEntry.objects.create(
        account_id=payment.trust_account_id,
        kind=EntryKind.REFUND,
        amount=payment.total,
        payment=payment,
        created_by=by,
        reference=f"Refund of {payment.receipt_number}",
    )
    return refund_record(payment_id=payment.pk, by=by, fees_become=fees_become)


@transaction.atomic
def trust_record(
    *, account: TrustAccount, kind: str, amount: Decimal, reference: str, by
) -> TrustEntry:
    """Staff record a deposit (money in) or an adjustment (either way). An adjustment may not
    take the balance below zero."""
    if kind not in (EntryKind.DEPOSIT, EntryKind.ADJUSTMENT):
        raise PaymentError(
            _("Staff record deposits and adjustments; payments and refunds come from the portal.")
        )
    amount = Decimal(amount).quantize(CENT)
    if not reference.strip():
        raise PaymentError(_("Give a reference (check number, receipt, reason)."))
    if kind == EntryKind.DEPOSIT and amount <= 0:
        raise PaymentError(_("A deposit is a positive amount."))
    if amount == 0:
        raise PaymentError(_("An adjustment is not zero."))
    account = lock_trust_account(account.pk)
    if trust_balance(account) + amount < 0:
        raise PaymentError(_("That adjustment would take the balance below zero."))
    return TrustEntry.objects.create(
        account=account, kind=kind, amount=amount, reference=reference.strip()[:200], created_by=by
    )


@transaction.atomic
def trust_threshold_set(*, contractor: Contractor, threshold: Decimal | None, by) -> TrustAccount:
    """A manager sets (or clears) the low-balance alert; the first one opens the account."""
    if not can_manage_business(by, contractor.pk):
        raise PaymentError(_("Only the business's managers set its low-balance alert."))
    account = TrustAccount.objects.select_for_update().filter(contractor=contractor).first()
    if account is None:
        return TrustAccount.objects.create(contractor=contractor, low_balance_threshold=threshold)
    account.low_balance_threshold = threshold
    account.save(update_fields=["low_balance_threshold"])
    return account


@transaction.atomic
def trust_deposit(*, contractor: Contractor, amount: Decimal, reference: str, by) -> TrustEntry:
    """Staff record a deposit for a business in one step: its trust account is opened first if
    it has none (a second clerk doing the same at the same moment finds the one just opened)."""
    Contractor.objects.select_for_update().get(pk=contractor.pk)
    account, _created = TrustAccount.objects.get_or_create(contractor=contractor)
    return trust_record(
        account=account, kind=EntryKind.DEPOSIT, amount=amount, reference=reference, by=by
    )


# Deposits online ---------------------------------------------------------------------------------

DEPOSIT_METHODS = (PaymentMethod.CARD, PaymentMethod.ACH)


def deposit_amount_check(amount: Decimal) -> Decimal:
    """The amount of a deposit online, or a PaymentError saying what is wrong with it."""
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        raise PaymentError(_("Enter the amount in dollars and cents, like 250.00."))
    if amount < TrustAccount.DEPOSIT_MINIMUM:
        raise PaymentError(
            _("A deposit online is at least %(minimum)s.")
            % {"minimum": format_money(TrustAccount.DEPOSIT_MINIMUM)}
        )
    if amount > TrustAccount.DEPOSIT_MAXIMUM:
        raise PaymentError(
            _("A deposit online is at most %(maximum)s; make a larger one at the permit office.")
            % {"maximum": format_money(TrustAccount.DEPOSIT_MAXIMUM)}
        )
    return amount.quantize(CENT)


def trust_deposit_start(
    *, user, contractor: Contractor, amount: Decimal, method: str, provider: str, key: uuid.UUID
) -> tuple[Payment, bool]:
    """A deposit to the business's trust account before the payer goes to the provider's page,
    and whether this call made it (False: an earlier click of the same form did). The account
    is credited only when the payment is confirmed (`confirm.payment_confirm`). The user's
    older unfinished deposits are closed first, as a checkout closes older checkouts."""
    if not can_deposit_to_trust_account(user, contractor.pk):
        raise PaymentError(
            _("Deposits to the trust account of %(business)s are made by its managers.")
            % {"business": contractor.business_name}
        )
    if method not in DEPOSIT_METHODS:
        raise PaymentError(_("A deposit is paid by credit card or electronic check."))
    amount = deposit_amount_check(amount)
    found = existing_payment(key=key, user=user, method=method)
    if found is not None:
        return found, False
    expire_open_payments(user=user, deposits=True)
    with transaction.atomic():
        return _trust_deposit_start(
            user=user,
            contractor=contractor,
            amount=amount,
            method=method,
            provider=provider,
            key=key,
        )


def _trust_deposit_start(
    *, user, contractor, amount, method, provider, key
) -> tuple[Payment, bool]:
    # The business's row lock: a first deposit opens the account, once.
    Contractor.objects.select_for_update().get(pk=contractor.pk)
    found = existing_payment(key=key, user=user, method=method)
    if found is not None:
        return found, False
    account, _created = TrustAccount.objects.get_or_create(contractor=contractor)
    payment = payment_row_create(
        user=user,
        method=method,
        provider=provider,
        amount=amount,
        key=key,
        key_taken=(
            "This deposit was already started. Open the trust account to see where it stands."
        ),
        deposit_to=account,
    )
    return payment, True


@transaction.atomic
def trust_deposit_refund_debit(*, payment_id: int, by) -> TrustEntry | None:
    """Before a confirmed deposit's money goes back to the card or bank, it leaves the account
    (an adjustment naming the payment): once, however often the refund is tried. Refused when
    the balance no longer holds it (spent on fees). A deposit the gateway took after it was
    closed here was never credited: nothing to take out (None)."""
    payment = lock_refundable(payment_id)
    if payment.deposit_to_id is None:
        raise PaymentError(
            _("%(payment)s is not a trust account deposit.") % {"payment": payment.describe()}
        )
    if payment.status != PaymentStatus.CONFIRMED:
        return None
    account = lock_trust_account(payment.deposit_to_id)
    done = TrustEntry.objects.filter(payment=payment, kind=EntryKind.ADJUSTMENT).first()
    if done is not None:
        return done
    balance = trust_balance(account)
    if balance < payment.fees_total:
        raise PaymentError(
            _(
                "The trust account of %(business)s has %(balance)s; the deposit %(receipt)s was "
                "%(amount)s. Only what is left can be given back: record an adjustment and "
                "refund that at the gateway."
            )
            % {
                "business": account.contractor.business_name,
                "balance": format_money(balance),
                "receipt": payment.receipt_number,
                "amount": format_money(payment.fees_total),
            }
        )
    return TrustEntry.objects.create(
        account=account,
        kind=EntryKind.ADJUSTMENT,
        amount=-payment.fees_total,
        payment=payment,
        created_by=by,
        reference=f"Deposit {payment.receipt_number} refunded",
    )
