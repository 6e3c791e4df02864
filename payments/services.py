"""Writes about money: the cart, starting and confirming payments, the trust ledger, refunds.

The guarantees, and where each is kept:
- a fee is in one live payment at most: a partial unique constraint on PaymentLine;
- a payment is confirmed by `payment_confirm` alone, which locks its row and returns early when
  it is already confirmed: the webhook, the return page, the offline gateway, the trust account
  and `reconcile_payments` all call it, and a repeated call has one effect;
- a trust debit locks the account row, checks the balance and writes its entry in one
  transaction; the balance is the sum of an append-only ledger and never goes negative;
- a double-clicked Pay carries the same idempotency key, and finds the first payment.
"""

import datetime
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from core.mail import enqueue_after_commit
from core.money import CENT, ZERO
from permits.access import can_use_trust_account, trust_account_businesses
from permits.models import Fee, FeeStatus, Permit, PermitLicense, PermitStatus

from .exceptions import GatewayError, PaymentError
from .models import (
    CartLine,
    EntryKind,
    Payment,
    PaymentLine,
    PaymentMethod,
    PaymentStatus,
    StripeEvent,
    TrustAccount,
    TrustEntry,
)
from .tasks import send_low_balance_alert, send_receipt

logger = logging.getLogger("portal.payments")


# The cart ---------------------------------------------------------------------------------------


@transaction.atomic
def cart_add_permit(*, user, permit: Permit) -> int:
    """ "Pay Fees Due": the permit's due fees go in the cart. Returns how many were new."""
    fees = list(Fee.objects.filter(permit=permit, status=FeeStatus.DUE))
    if not fees:
        raise PaymentError(f"Permit {permit.number} has no fees due.")
    before = CartLine.objects.filter(user=user, fee__in=fees).count()
    CartLine.objects.bulk_create(
        [CartLine(user=user, fee=fee) for fee in fees], ignore_conflicts=True
    )
    return len(fees) - before


def cart_remove_permit(*, user, permit_id: int) -> int:
    removed, _ = CartLine.objects.filter(user=user, fee__permit_id=permit_id).delete()
    return removed


@dataclass
class CartPermit:
    permit: Permit
    fees: list[Fee] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((fee.amount for fee in self.fees), ZERO)


@dataclass
class Cart:
    permits: list[CartPermit]
    dropped: list[Fee]

    @property
    def fees(self) -> list[Fee]:
        return [fee for group in self.permits for fee in group.fees]

    @property
    def total(self) -> Decimal:
        return sum((group.subtotal for group in self.permits), ZERO)

    def __len__(self) -> int:
        return len(self.fees)


def cart_for(user) -> Cart:
    """The user's cart, grouped by permit. Fees paid or waived meanwhile (or being paid in
    another payment) drop out and are reported in `dropped`."""
    lines = list(
        CartLine.objects.filter(user=user)
        .select_related("fee__permit__permit_type")
        .order_by("fee__permit__number", "fee__assessed_on", "fee_id")
    )
    # A fee held by another payment is not payable here; one held by this user's own
    # unfinished checkout stays (starting a new checkout closes that one).
    held = set(
        PaymentLine.objects.filter(fee__in=[line.fee_id for line in lines], live=True)
        .exclude(payment__user=user, payment__status=PaymentStatus.CREATED)
        .values_list("fee_id", flat=True)
    )
    dropped = [line for line in lines if line.fee.status != FeeStatus.DUE or line.fee_id in held]
    if dropped:
        CartLine.objects.filter(pk__in=[line.pk for line in dropped]).delete()
    groups: dict[int, CartPermit] = {}
    for line in lines:
        if line in dropped:
            continue
        group = groups.setdefault(line.fee.permit_id, CartPermit(permit=line.fee.permit))
        group.fees.append(line.fee)
    return Cart(permits=list(groups.values()), dropped=[line.fee for line in dropped])


def convenience_fee(method: str, fees_total: Decimal) -> Decimal:
    """The fee each method adds, from settings: a percentage for cards, a flat fee for
    electronic checks, nothing from a trust account."""
    if method == PaymentMethod.CARD:
        rate = Decimal(settings.PAYMENT_CARD_FEE_PERCENT) / 100
        return (fees_total * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    if method == PaymentMethod.ACH:
        return Decimal(settings.PAYMENT_ACH_FEE).quantize(CENT)
    return ZERO


def trust_balance(account: TrustAccount) -> Decimal:
    if account.pk is None:  # a business the city has not opened an account for yet
        return ZERO.quantize(CENT)
    total = TrustEntry.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]
    return (total or ZERO).quantize(CENT)


def permit_holders(permit_ids: Iterable[int]) -> dict[int, set[int]]:
    """Permit id -> the businesses holding a license on it (one query)."""
    holders: dict[int, set[int]] = {permit_id: set() for permit_id in permit_ids}
    rows = PermitLicense.objects.filter(permit_id__in=list(holders)).values_list(
        "permit_id", "license__holder_id"
    )
    for permit_id, holder_id in rows:
        holders[permit_id].add(holder_id)
    return holders


def trust_accounts_for(user, *, permit_ids: Iterable[int] | None = None) -> list[TrustAccount]:
    """The trust accounts the user may pay from (for a cart's permits): the policy's rule,
    permits.access.can_use_trust_account."""
    businesses = trust_account_businesses(user, permit_ids=permit_ids)
    # Accounts the city has opened (with a deposit, in admin); reading never creates one.
    return list(
        TrustAccount.objects.filter(contractor_id__in=businesses)
        .select_related("contractor")
        .order_by("contractor__business_name")
    )


# Starting a payment -----------------------------------------------------------------------------


def _lock_due_fees(fee_ids: Iterable[int]) -> list[Fee]:
    fees = list(Fee.objects.select_for_update().filter(pk__in=set(fee_ids)).order_by("pk"))
    for fee in fees:
        if fee.status != FeeStatus.DUE:
            raise PaymentError(
                f"{fee.description} on permit {fee.permit.number} is already "
                f"{fee.get_status_display().lower()}: it was taken out of your cart."
            )
    return fees


def _create_payment(
    *, user, method: str, provider: str, fees: list[Fee], key: uuid.UUID, account=None
) -> Payment:
    if not fees:
        raise PaymentError("Your cart is empty.")
    fees_total = sum((fee.amount for fee in fees), ZERO)
    surcharge = convenience_fee(method, fees_total)
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                user=user,
                method=method,
                provider=provider,
                fees_total=fees_total,
                convenience_fee=surcharge,
                total=fees_total + surcharge,
                idempotency_key=key,
                trust_account=account,
            )
    except IntegrityError:
        # The key of this click is taken: by another click of the same form that got here
        # first (found again after the locks, so rare), or a form used before.
        raise PaymentError(
            "This payment was already started. Open your cart to see where it stands."
        ) from None
    try:
        with transaction.atomic():
            PaymentLine.objects.bulk_create(
                [PaymentLine(payment=payment, fee=fee, amount=fee.amount) for fee in fees]
            )
    except IntegrityError:
        raise PaymentError(
            "Some of these fees are in a payment being processed. Wait for it to finish, or "
            "start again from your cart."
        ) from None
    return payment


def existing_payment(key: uuid.UUID, *, user, method: str) -> Payment | None:
    """The payment this user's click with `key` started already (a double click, a reload),
    if any. The same form used again for another way to pay, or after its payment failed or
    expired, is refused: the checkout page then starts afresh."""
    found = Payment.objects.filter(idempotency_key=key, user=user).first()
    if found is not None and (
        found.method != method or found.status in (PaymentStatus.FAILED, PaymentStatus.EXPIRED)
    ):
        raise PaymentError("This checkout form was used already. Choose how to pay once more.")
    return found


def payment_start(*, user, method: str, provider: str, key: uuid.UUID) -> Payment:
    """A card or e-check payment of the whole cart, before the hosted payment page. The amounts
    are computed here from the database, never taken from the browser. The user's older open
    payments are settled first, each in its own transaction, so what they found (a payment that
    went through meanwhile) stands whatever happens to this one."""
    found = existing_payment(key, user=user, method=method)
    if found is not None:
        return found
    expire_open_payments(user=user)
    with transaction.atomic():
        cart = cart_for(user)
        fees = _lock_due_fees(fee.pk for fee in cart.fees)
        # A second click of the same form waited here for the first one's locks.
        found = existing_payment(key, user=user, method=method)
        if found is not None:
            return found
        return _create_payment(user=user, method=method, provider=provider, fees=fees, key=key)


def lock_trust_account(account_id: int) -> TrustAccount:
    """The row lock every debit takes first: two debits at once wait for each other."""
    return TrustAccount.objects.select_for_update().get(pk=account_id)


def trust_pay(*, user, account: TrustAccount, key: uuid.UUID) -> Payment:
    """Pay the whole cart from a trust account: lock the account, check the balance, write the
    ledger entry and confirm the payment, all in one transaction."""
    found = existing_payment(key, user=user, method=PaymentMethod.TRUST)
    if found is not None:
        return found
    if account not in trust_accounts_for(user):
        raise PaymentError("You cannot pay from that trust account.")
    expire_open_payments(user=user)
    with transaction.atomic():
        return _trust_pay(user=user, account=account, key=key)


def _trust_pay(*, user, account: TrustAccount, key: uuid.UUID) -> Payment:
    account = lock_trust_account(account.pk)
    # A second click of the same form waited here for the first one's lock.
    found = existing_payment(key, user=user, method=PaymentMethod.TRUST)
    if found is not None:
        return found
    cart = cart_for(user)
    fees = _lock_due_fees(fee.pk for fee in cart.fees)
    permit_ids = {fee.permit_id for fee in fees}
    # An empty cart is refused as such when the payment is made.
    if fees and not can_use_trust_account(user, account.contractor_id, permit_ids=permit_ids):
        # The policy said no; name the permits it refused, if that was why.
        holders = permit_holders(permit_ids)
        strangers = sorted(
            {
                fee.permit.number
                for fee in fees
                if account.contractor_id not in holders[fee.permit_id]
            }
        )
        if not strangers:
            raise PaymentError("You cannot pay from that trust account.")
        raise PaymentError(
            f"The trust account of {account.contractor.business_name} pays for its own permits "
            f"only; {', '.join(strangers)} {'is' if len(strangers) == 1 else 'are'} not. Pay "
            "those another way."
        )
    balance = trust_balance(account)
    total = sum((fee.amount for fee in fees), ZERO)
    if total > balance:
        raise PaymentError(
            f"The trust account of {account.contractor.business_name} has ${balance:,.2f}; "
            f"the fees are ${total:,.2f}. Choose another way to pay, or ask the city for a deposit."
        )
    payment = _create_payment(
        user=user, method=PaymentMethod.TRUST, provider="trust", fees=fees, key=key, account=account
    )
    TrustEntry.objects.create(
        account=account,
        kind=EntryKind.PAYMENT,
        amount=-payment.total,
        payment=payment,
        created_by=user,
        reference=", ".join(sorted({fee.permit.number for fee in fees}))[:200],
    )
    payment_confirm(payment.pk, source="trust account")
    after = balance - payment.total
    threshold = account.low_balance_threshold
    if threshold is not None and balance >= threshold > after:
        enqueue_after_commit(send_low_balance_alert, account.pk)
    payment.refresh_from_db()
    return payment


# Confirming -------------------------------------------------------------------------------------


def receipt_number(payment: Payment) -> str:
    """R<year>-<payment>, the year of the city's calendar (a payment at 8 pm on New Year's Eve
    is last year's, though UTC says otherwise)."""
    return f"R{timezone.localtime(payment.confirmed_at):%Y}-{payment.pk:07d}"


@transaction.atomic
def payment_confirm(payment_id: int, *, source: str, stripe_payment_intent: str = "") -> Payment:
    """The one way a payment becomes paid. Locks the payment row; a payment already confirmed
    is returned as it is, so the webhook, the return page and reconciliation can all call this
    as often as they like with one effect."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status == PaymentStatus.CONFIRMED:
        return payment
    if payment.status not in (PaymentStatus.CREATED, PaymentStatus.PROCESSING):
        payment.needs_review = (
            f"Reported paid ({source}) while {payment.get_status_display().lower()}; the "
            "money may need refunding."
        )[:300]
        payment.save(update_fields=["needs_review"])
        logger.error("payment %s reported paid while %s", payment.pk, payment.status)
        return payment
    lines = list(payment.lines.filter(live=True).select_related("fee"))
    fee_ids = [line.fee_id for line in lines]
    fees = {fee.pk: fee for fee in Fee.objects.select_for_update().filter(pk__in=fee_ids)}
    for line in lines:
        fee = fees[line.fee_id]
        if fee.amount != line.amount:
            payment.needs_review = (
                f"Fee {fee.pk} is ${fee.amount} now; the payment was for ${line.amount}."
            )
        if fee.status == FeeStatus.DUE:
            fee.move_to(
                FeeStatus.PAID,
                by=payment.user,
                note=f"Paid by payment {payment.pk}",
                payment=payment,
            )
        else:
            payment.needs_review = f"Fee {fee.pk} was {fee.status} when the payment came in."
    payment.move_to(PaymentStatus.CONFIRMED)
    payment.confirmed_at = timezone.now()
    payment.receipt_number = receipt_number(payment)
    if stripe_payment_intent:
        payment.stripe_payment_intent = stripe_payment_intent
    payment.save()
    CartLine.objects.filter(fee_id__in=fee_ids).delete()
    _issue_paid_permits({fee.permit_id for fee in fees.values()})
    enqueue_after_commit(send_receipt, payment.pk)
    logger.info("payment %s confirmed (%s): %s", payment.pk, source, payment.total)
    return payment


def _issue_paid_permits(permit_ids: set[int]) -> None:
    """With PAYMENTS_AUTO_ISSUE, a permit Ready to Issue whose fees are all paid is issued."""
    if not settings.PAYMENTS_AUTO_ISSUE:
        return
    ready = Permit.objects.select_for_update().filter(
        pk__in=permit_ids, status=PermitStatus.READY_TO_ISSUE
    )
    for permit in ready:
        if not permit.fees.filter(status=FeeStatus.DUE).exists():
            permit.move_to(PermitStatus.ISSUED, note="Issued on payment of its fees")


@transaction.atomic
def payment_release(payment_id: int, *, status: str, reason: str = "") -> Payment:
    """A payment that will not be paid (declined, failed, expired): its fees are free again and
    stay due."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status not in (PaymentStatus.CREATED, PaymentStatus.PROCESSING):
        return payment
    payment.move_to(status)
    payment.save(update_fields=["status"])
    payment.lines.update(live=False)
    logger.info("payment %s %s: %s", payment.pk, status, reason)
    return payment


@transaction.atomic
def payment_mark_processing(payment_id: int) -> Payment:
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status == PaymentStatus.CREATED:
        payment.move_to(PaymentStatus.PROCESSING)
        payment.save(update_fields=["status"])
    return payment


def expire_open_payments(*, user) -> int:
    """At most one open hosted-page payment per cart: before a new payment, the user's
    unfinished ones are closed at Stripe, then here, and their fees freed. One the payer
    finished meanwhile is settled instead, and the new payment refused with a word about it."""
    from . import stripe_gateway

    older = Payment.objects.filter(
        user=user, status=PaymentStatus.CREATED, method__in=[PaymentMethod.CARD, PaymentMethod.ACH]
    )
    count = 0
    for payment in older:
        if payment.stripe_session_id and not stripe_gateway.expire_session(
            payment.stripe_session_id
        ):
            # Stripe would not close it: the payer finished it meanwhile (paid, or a bank
            # debit under way), and its webhook is still to come. Settle it as Stripe has it;
            # only an expired session gives its fees back.
            session = stripe_gateway.retrieve_session(payment.stripe_session_id)
            outcome = apply_session(payment, session, source="settled before a newer checkout")
            if outcome in ("confirmed", "processing"):
                payment.refresh_from_db()
                went = (
                    f"went through: receipt {payment.receipt_number}"
                    if outcome == "confirmed"
                    else "is being processed by your bank"
                )
                raise PaymentError(
                    f"Your earlier payment of ${payment.total:,.2f} {went}. Nothing more was "
                    "charged; what is still due stays in your cart."
                )
            continue
        payment_release(payment.pk, status=PaymentStatus.EXPIRED, reason="a newer checkout")
        count += 1
    return count


# Stripe events ----------------------------------------------------------------------------------


@dataclass
class EventOutcome:
    status: int
    message: str


def _session_matches(payment: Payment, session) -> str:
    if session.get("amount_total") != payment.amount_cents:
        return f"amount {session.get('amount_total')} != {payment.amount_cents}"
    if (session.get("currency") or "").lower() != payment.currency:
        return f"currency {session.get('currency')} != {payment.currency}"
    return ""


FAILED_INTENT_STATUSES = {"requires_payment_method", "canceled"}


def apply_session(payment: Payment, session, *, source: str) -> str:
    """Bring a payment in line with its Checkout Session as Stripe reports it."""
    from . import stripe_gateway

    mismatch = _session_matches(payment, session)
    state, paid = session.get("status"), session.get("payment_status")
    if mismatch and state == "complete":
        Payment.objects.filter(pk=payment.pk).update(needs_review=f"Stripe: {mismatch}"[:300])
        logger.error(
            "payment %s: session %s does not match: %s", payment.pk, session["id"], mismatch
        )
        return f"mismatch: {mismatch}"
    intent = session.get("payment_intent") or ""
    if not isinstance(intent, str):
        intent = intent.get("id", "")
    if state == "complete" and paid in ("paid", "no_payment_required"):
        payment_confirm(payment.pk, source=source, stripe_payment_intent=intent)
        return "confirmed"
    if state == "complete" and paid == "unpaid":
        # A bank debit under way, or one that failed: Stripe tells them apart only in the
        # payment intent (its webhook for the failure may never have come).
        if intent and stripe_gateway.payment_intent_status(intent) in FAILED_INTENT_STATUSES:
            payment_release(payment.pk, status=PaymentStatus.FAILED, reason="bank debit failed")
            return "failed"
        payment_mark_processing(payment.pk)
        return "processing"
    if state == "expired":
        payment_release(payment.pk, status=PaymentStatus.EXPIRED, reason=source)
        return "expired"
    return f"open ({state}, {paid})"


HANDLED_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
}


def handle_stripe_event(event) -> EventOutcome:
    """Handle a verified webhook event once. The event id is recorded in the same transaction
    as its effect: a failure leaves no record, so Stripe's retry is handled afresh."""
    from . import stripe_gateway

    kind = event["type"]
    if kind not in HANDLED_EVENTS:
        return EventOutcome(200, f"ignored {kind}")
    session_id = event["data"]["object"]["id"]
    try:
        with transaction.atomic():
            record = StripeEvent.objects.create(
                event_id=event["id"], event_type=kind, session_id=session_id
            )
            payment = Payment.objects.filter(stripe_session_id=session_id).first()
            if payment is None:
                logger.warning("stripe: event %s for unknown session %s", event["id"], session_id)
                record.outcome = "unknown session"
                record.save(update_fields=["outcome"])
                return EventOutcome(200, "unknown session")
            # Never trust the event's copy: ask Stripe for the session as it is now.
            session = stripe_gateway.retrieve_session(session_id)
            if (
                kind == "checkout.session.async_payment_failed"
                and session.get("payment_status") != "paid"
            ):
                payment_release(payment.pk, status=PaymentStatus.FAILED, reason="bank debit failed")
                outcome = "failed"
            else:
                outcome = apply_session(payment, session, source=f"webhook {kind}")
            record.outcome = outcome
            record.save(update_fields=["outcome"])
            return EventOutcome(200, outcome)
    except IntegrityError:
        if StripeEvent.objects.filter(event_id=event["id"]).exists():
            return EventOutcome(200, "already handled")
        # Something else refused the effect: nothing is recorded, so Stripe's retry (after a
        # 500) is handled afresh.
        raise


# Reconciliation ---------------------------------------------------------------------------------


@dataclass
class ReconcileReport:
    checked: int = 0
    outcomes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def reconcile_payments(
    *, older_than: datetime.timedelta = datetime.timedelta(minutes=10)
) -> ReconcileReport:
    """Settle hosted-page payments whose webhook never came, by asking Stripe."""
    from . import stripe_gateway

    report = ReconcileReport()
    cutoff = timezone.now() - older_than
    open_payments = Payment.objects.filter(
        provider="stripe",
        status__in=[PaymentStatus.CREATED, PaymentStatus.PROCESSING],
        stripe_session_id__isnull=False,
        created_at__lt=cutoff,
    ).order_by("pk")
    for payment in open_payments:
        report.checked += 1
        try:
            session = stripe_gateway.retrieve_session(payment.stripe_session_id)
        except GatewayError as error:
            report.outcomes["error"].append(f"payment {payment.pk}: {error}")
            continue
        outcome = apply_session(payment, session, source="reconcile_payments")
        report.outcomes[outcome.split(":")[0]].append(
            f"payment {payment.pk} ({payment.stripe_session_id}): {outcome}"
        )
    for payment in Payment.objects.exclude(needs_review="").filter(provider="stripe"):
        report.outcomes["needs review"].append(f"payment {payment.pk}: {payment.needs_review}")
    return report


# The trust ledger and refunds -------------------------------------------------------------------


@transaction.atomic
def trust_record(
    *, account: TrustAccount, kind: str, amount: Decimal, reference: str, by
) -> TrustEntry:
    """Staff record a deposit (money in) or an adjustment (either way). An adjustment may not
    take the balance below zero."""
    if kind not in (EntryKind.DEPOSIT, EntryKind.ADJUSTMENT):
        raise PaymentError(
            "Staff record deposits and adjustments; payments and refunds come from the portal."
        )
    amount = Decimal(amount).quantize(CENT)
    if not reference.strip():
        raise PaymentError("Give a reference (check number, receipt, reason).")
    if kind == EntryKind.DEPOSIT and amount <= 0:
        raise PaymentError("A deposit is a positive amount.")
    if amount == 0:
        raise PaymentError("An adjustment is not zero.")
    account = lock_trust_account(account.pk)
    if trust_balance(account) + amount < 0:
        raise PaymentError("That adjustment would take the balance below zero.")
    return TrustEntry.objects.create(
        account=account, kind=kind, amount=amount, reference=reference.strip()[:200], created_by=by
    )


@transaction.atomic
def payment_refund(*, payment: Payment, by, fees_become: str = FeeStatus.DUE) -> Payment:
    """Staff refund a whole payment: to the card through Stripe, or to the trust account as a
    ledger credit. The fees go back to due, or are waived, as staff choose."""
    from . import stripe_gateway

    if fees_become not in (FeeStatus.DUE, FeeStatus.WAIVED):
        raise PaymentError("After a refund a fee is due again, or waived.")
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != PaymentStatus.CONFIRMED:
        raise PaymentError(
            f"Payment {payment} is {payment.get_status_display().lower()}: only a paid one "
            "is refunded."
        )
    if payment.method == PaymentMethod.TRUST:
        lock_trust_account(payment.trust_account_id)
        TrustEntry.objects.create(
            account_id=payment.trust_account_id,
            kind=EntryKind.REFUND,
            amount=payment.total,
            payment=payment,
            created_by=by,
            reference=f"Refund of {payment.receipt_number}",
        )
    elif payment.provider == "stripe":
        stripe_gateway.refund(payment)
    payment.move_to(PaymentStatus.REFUNDED)
    payment.refunded_at = timezone.now()
    payment.refunded_by = by
    payment.save(update_fields=["status", "refunded_at", "refunded_by"])
    lines = list(payment.lines.filter(live=True))
    for fee in Fee.objects.filter(pk__in=[line.fee_id for line in lines], status=FeeStatus.PAID):
        fee.move_to(fees_become, by=by, note=f"Refund of {payment.receipt_number}", refund=payment)
    payment.lines.update(live=False)
    return payment
