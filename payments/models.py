"""Cart, payments, the trust-account ledger, and the Stripe events already handled.

Money is Decimal with two places; integer cents appear only at the Stripe boundary. A fee is in
at most one live payment at a time (a partial unique constraint), so no fee is ever paid twice.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.money import MONEY, ZERO, format_money
from core.status import StatusMachine
from licenses.models import Contractor
from permits.models import Fee

from .choices import EntryKind, PaymentMethod, PaymentStatus
from .exceptions import InvalidPaymentStatusMove, LedgerIsAppendOnly, TrustAccountBusinessFixed


class CartLine(models.Model):
    """A due fee the user means to pay, kept in the database so the cart outlives the session."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="cart_lines",
        verbose_name=gettext_lazy("user"),
    )
    fee = models.ForeignKey(
        Fee, on_delete=models.CASCADE, related_name="+", verbose_name=gettext_lazy("fee")
    )
    added_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("added at"))

    class Meta:
        verbose_name = gettext_lazy("cart line")
        verbose_name_plural = gettext_lazy("cart lines")
        ordering = ["fee__permit__number", "fee__assessed_on", "fee_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "fee"],
                name="cart_line_unique",
                violation_error_message=gettext_lazy("This fee is already in the cart."),
            ),
        ]

    def __str__(self) -> str:
        return _("%(fee)s in the cart of %(user)s") % {"fee": self.fee, "user": self.user}


# Statuses in which a payment still holds its fees.
LIVE_PAYMENT_STATUSES = (PaymentStatus.CREATED, PaymentStatus.PROCESSING, PaymentStatus.CONFIRMED)


class Payment(StatusMachine):
    Status = PaymentStatus
    move_error = InvalidPaymentStatusMove
    Method = PaymentMethod
    EVENT_SUBJECT = "payment"
    STATUS_EVENTS = {
        PaymentStatus.CONFIRMED: "payment.completed",
        PaymentStatus.REFUNDED: "payment.refunded",
    }

    ALLOWED_MOVES: dict[str, set[str]] = {
        PaymentStatus.CREATED: {
            PaymentStatus.PROCESSING,
            PaymentStatus.CONFIRMED,
            PaymentStatus.FAILED,
            PaymentStatus.EXPIRED,
        },
        PaymentStatus.PROCESSING: {PaymentStatus.CONFIRMED, PaymentStatus.FAILED},
        PaymentStatus.CONFIRMED: {PaymentStatus.REFUNDED},
        # Only one the gateway took money for after it was closed here (`paid_while_closed`).
        PaymentStatus.FAILED: {PaymentStatus.REFUNDED},
        PaymentStatus.EXPIRED: {PaymentStatus.REFUNDED},
        PaymentStatus.REFUNDED: set(),
    }

    # Who paid; nobody for a payment made in the city's own system (IMPORTED).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=gettext_lazy("user"),
    )
    method = models.CharField(
        max_length=10, choices=PaymentMethod, verbose_name=gettext_lazy("method")
    )
    provider = models.CharField(
        max_length=20,
        help_text="stripe, offline, trust or import",
        verbose_name=gettext_lazy("provider"),
    )
    status = models.CharField(
        max_length=12,
        choices=PaymentStatus,
        default=PaymentStatus.CREATED,
        verbose_name=gettext_lazy("status"),
    )
    fees_total = models.DecimalField(**MONEY, verbose_name=gettext_lazy("fees total"))
    convenience_fee = models.DecimalField(
        **MONEY, default=ZERO, verbose_name=gettext_lazy("convenience fee")
    )
    total = models.DecimalField(**MONEY, verbose_name=gettext_lazy("total"))
    currency = models.CharField(max_length=3, default="usd", verbose_name=gettext_lazy("currency"))
    # One per "Pay" click: a second click with the same key finds this payment.
    idempotency_key = models.UUIDField(
        unique=True,
        default=uuid.uuid4,
        editable=False,
        verbose_name=gettext_lazy("idempotency key"),
    )
    trust_account = models.ForeignKey(
        "TrustAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=gettext_lazy("trust account"),
    )
    # A deposit: the trust account this payment puts money in. It pays no fee (no lines); its
    # `fees_total` is the amount credited, and confirming it writes the ledger's credit.
    deposit_to = models.ForeignKey(
        "TrustAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deposits",
        verbose_name=gettext_lazy("deposit to"),
    )
    stripe_session_id = models.CharField(
        max_length=255,
        unique=True,
        null=True,
        blank=True,
        verbose_name=gettext_lazy("stripe session id"),
    )
    stripe_payment_intent = models.CharField(
        max_length=255, blank=True, verbose_name=gettext_lazy("stripe payment intent")
    )
    receipt_number = models.CharField(
        max_length=20,
        unique=True,
        null=True,
        blank=True,
        verbose_name=gettext_lazy("receipt number"),
    )
    # A payment the gateway reports as paid but that cannot be confirmed as it stands (wrong
    # amount, or it had already expired here): staff look at it.
    needs_review = models.CharField(
        max_length=300, blank=True, verbose_name=gettext_lazy("needs review")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))
    confirmed_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("confirmed at")
    )
    refunded_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("refunded at")
    )
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("refunded by"),
    )

    class Meta:
        verbose_name = gettext_lazy("payment")
        verbose_name_plural = gettext_lazy("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total=models.F("fees_total") + models.F("convenience_fee")),
                name="payment_total_adds_up",
                violation_error_message=gettext_lazy(
                    "A payment's total must be its fees plus the convenience fee."
                ),
            ),
            models.CheckConstraint(
                condition=Q(fees_total__gt=0),
                name="payment_fees_positive",
                violation_error_message=gettext_lazy("A payment must pay some fees."),
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(method=PaymentMethod.IMPORTED),
                name="payment_has_payer",
                violation_error_message=gettext_lazy(
                    "A payment made in the portal needs its payer; only one made in the city's "
                    "own system has none."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(method=PaymentMethod.TRUST) | Q(trust_account__isnull=False),
                name="payment_trust_has_account",
                violation_error_message=gettext_lazy(
                    "A trust payment needs the trust account it is paid from."
                ),
            ),
            models.CheckConstraint(
                condition=Q(deposit_to__isnull=True)
                | Q(method__in=[PaymentMethod.CARD, PaymentMethod.ACH]),
                name="payment_deposit_by_card_or_echeck",
                violation_error_message=gettext_lazy(
                    "A trust account deposit is paid by card or electronic check."
                ),
            ),
        ]
        indexes = [models.Index(fields=["user", "status"], name="payment_user_status")]

    def __str__(self) -> str:
        return self.receipt_number or _("Payment %(number)s") % {"number": self.pk}

    @property
    def amount_cents(self) -> int:
        return int((self.total * 100).to_integral_value())

    def describe(self) -> str:
        # "Payment R2026-0000012", or "Payment 12" before it has a receipt (never "Payment
        # Payment 12").
        return _("Payment %(number)s") % {"number": self.receipt_number or self.pk}

    @property
    def is_deposit(self) -> bool:
        return self.deposit_to_id is not None

    def event_about(self):
        # The permits whose fees it pays: in each one's history.
        from permits.models import Permit

        return Permit.objects.filter(fees__payment_lines__payment=self).distinct()

    @property
    def paid_while_closed(self) -> bool:
        """Stripe took money for it after it was closed here (expired or failed): it pays no
        fee, and holds money staff refund."""
        return self.status in (PaymentStatus.FAILED, PaymentStatus.EXPIRED) and bool(
            self.stripe_payment_intent
        )

    def check_move(self, previous: str, status: str, context) -> None:
        refundable = previous == PaymentStatus.CONFIRMED or self.paid_while_closed
        if status == PaymentStatus.REFUNDED and not refundable:
            raise self.move_error(
                _("%(payment)s is %(status)s and took no money: there is nothing to refund.")
                % {"payment": self.describe(), "status": self.status_label(previous).lower()}
            )


class PaymentLine(models.Model):
    """A fee in a payment, as it was then: its amount, description and permit number are kept
    here (a receipt shows what was paid, whatever the fee says later). `live` while the payment
    holds the fee; the database lets a fee be live in one payment only."""

    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        related_name="lines",
        verbose_name=gettext_lazy("payment"),
    )
    fee = models.ForeignKey(
        Fee,
        on_delete=models.PROTECT,
        related_name="payment_lines",
        verbose_name=gettext_lazy("fee"),
    )
    amount = models.DecimalField(**MONEY, verbose_name=gettext_lazy("amount"))
    description = models.CharField(
        max_length=200, editable=False, verbose_name=gettext_lazy("description")
    )
    permit_number = models.CharField(
        max_length=30, editable=False, verbose_name=gettext_lazy("permit number")
    )
    live = models.BooleanField(default=True, verbose_name=gettext_lazy("live"))

    class Meta:
        verbose_name = gettext_lazy("payment line")
        verbose_name_plural = gettext_lazy("payment lines")
        ordering = ["fee__permit__number", "fee_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["fee"],
                condition=Q(live=True),
                name="payment_line_one_live_per_fee",
                violation_error_message=gettext_lazy(
                    "This fee is already being paid by another payment."
                ),
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="payment_line_positive",
                violation_error_message=gettext_lazy(
                    "A payment line's amount must be more than zero."
                ),
            ),
        ]

    def __str__(self) -> str:
        return _("%(description)s (%(amount)s) in %(payment)s") % {
            "description": self.description,
            "amount": format_money(self.amount),
            "payment": self.payment,
        }

    def save(self, *args, **kwargs):
        if self._state.adding and not (self.description and self.permit_number):
            self.description = self.description or self.fee.description
            self.permit_number = self.permit_number or self.fee.permit.number
        super().save(*args, **kwargs)

    @classmethod
    def of_fee(cls, *, payment: Payment, fee: Fee, permit_number: str) -> "PaymentLine":
        """A new line for the fee, with the snapshot its receipt shows."""
        return cls(
            payment=payment,
            fee=fee,
            amount=fee.amount,
            description=fee.description,
            permit_number=permit_number,
        )


class TrustAccount(models.Model):
    """A business's prepaid account with the city. Its balance is the sum of its ledger, so the
    account never changes business: moving it would move the balance with no ledger entry."""

    # What a manager may deposit online at once (by card or e-check); more at the permit office.
    DEPOSIT_MINIMUM = Decimal("10.00")
    DEPOSIT_MAXIMUM = Decimal("50000.00")

    contractor = models.OneToOneField(
        Contractor,
        on_delete=models.PROTECT,
        related_name="trust_account",
        verbose_name=gettext_lazy("contractor"),
    )
    low_balance_threshold = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        help_text=gettext_lazy("Managers are emailed when a payment takes the balance below this."),
        verbose_name=gettext_lazy("low balance threshold"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))

    class Meta:
        verbose_name = gettext_lazy("trust account")
        verbose_name_plural = gettext_lazy("trust accounts")
        ordering = ["contractor__business_name"]

    def __str__(self) -> str:
        return _("Trust account of %(business)s") % {"business": self.contractor}

    def save(self, *args, **kwargs):
        loaded = getattr(self, "_loaded_contractor_id", None)
        if not self._state.adding and loaded is not None and self.contractor_id != loaded:
            raise TrustAccountBusinessFixed(
                _(
                    "A trust account never changes business: its balance is that business's "
                    "money. Record an adjustment on each account instead."
                )
            )
        super().save(*args, **kwargs)
        self._loaded_contractor_id = self.contractor_id

    @classmethod
    def from_db(cls, db, field_names, values):
        account = super().from_db(db, field_names, values)
        account._loaded_contractor_id = account.__dict__.get("contractor_id")
        return account


class TrustEntry(models.Model):
    """One line of a trust account's ledger. Append-only: never edited, never deleted; a
    mistake is corrected by an adjustment."""

    Kind = EntryKind

    account = models.ForeignKey(
        TrustAccount,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=gettext_lazy("account"),
    )
    kind = models.CharField(max_length=12, choices=EntryKind, verbose_name=gettext_lazy("kind"))
    # Signed: money in is positive, money out negative.
    amount = models.DecimalField(**MONEY, verbose_name=gettext_lazy("amount"))
    reference = models.CharField(max_length=200, blank=True, verbose_name=gettext_lazy("reference"))
    payment = models.ForeignKey(
        Payment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="trust_entries",
        verbose_name=gettext_lazy("payment"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))

    class Meta:
        verbose_name = gettext_lazy("trust entry")
        verbose_name_plural = gettext_lazy("trust entries")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount=0),
                name="trust_entry_not_zero",
                violation_error_message=gettext_lazy(
                    "An entry of $0.00 changes nothing: enter an amount."
                ),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["deposit", "refund"], amount__gt=0)
                | Q(kind="payment", amount__lt=0)
                | Q(kind="adjustment"),
                name="trust_entry_sign_matches_kind",
                violation_error_message=gettext_lazy(
                    "Deposits and refunds are positive amounts, payments negative; only an "
                    "adjustment may be either."
                ),
            ),
            # The credit of a deposit paid by card or e-check is written once, however many
            # times its payment is reported paid (webhook, return page, reconciliation).
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(kind="deposit", payment__isnull=False),
                name="trust_entry_one_credit_per_deposit",
                violation_error_message=gettext_lazy(
                    "This deposit was already credited to the account."
                ),
            ),
            # A confirmed deposit refunded to the card or bank is taken out of the account once
            # (an adjustment naming the payment), however often the refund is tried.
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(kind="adjustment", payment__isnull=False),
                name="trust_entry_one_debit_per_refunded_deposit",
                violation_error_message=gettext_lazy(
                    "This deposit was already taken out of the account."
                ),
            ),
        ]
        indexes = [models.Index(fields=["account", "created_at"], name="trustentry_account")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {format_money(self.amount)}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise LedgerIsAppendOnly(_("A trust entry is never edited: record an adjustment."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnly(_("A trust entry is never deleted: record an adjustment."))


class StripeEvent(models.Model):
    """A Stripe event handled once: its id is recorded in the same transaction as its effect."""

    event_id = models.CharField(max_length=255, unique=True, verbose_name=gettext_lazy("event id"))
    event_type = models.CharField(max_length=100, verbose_name=gettext_lazy("event type"))
    session_id = models.CharField(
        max_length=255, blank=True, verbose_name=gettext_lazy("session id")
    )
    received_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("received at"))
    outcome = models.CharField(max_length=200, blank=True, verbose_name=gettext_lazy("outcome"))

    class Meta:
        verbose_name = gettext_lazy("stripe event")
        verbose_name_plural = gettext_lazy("stripe events")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
