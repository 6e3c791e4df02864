"""What a way of paying does, after pretix's `BasePaymentProvider`.

A provider is registered once (`PaymentsConfig.ready`) and found again for a stored payment by
its `identifier` and the payment's `method` (`registry.provider_for`). It never marks a payment
paid itself: it calls `services.confirm.payment_confirm`, like every other provider, and
`payment_release` / `payment_mark_processing` for the other states.

To add a way of paying: subclass `BasePaymentProvider` (or `HostedPaymentProvider` for a page
the payer is sent to), answer the methods below, and register an instance in `ready()`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from django.urls import reverse

from ..exceptions import PaymentError
from ..models import Payment, PaymentMethod, PaymentStatus, TrustAccount
from ..selectors import Cart, convenience_fee
from ..services.checkout import payment_start
from ..services.confirm import payment_release
from ..services.trust import trust_deposit_start


@dataclass(frozen=True)
class TrustChoice:
    account: TrustAccount
    balance: Decimal


@dataclass(frozen=True)
class CheckoutOption:
    """One way to pay a cart, as the Checkout Summary shows it before paying."""

    method: str
    label: str
    fee: Decimal
    total: Decimal
    accounts: list[TrustChoice] = field(default_factory=list)


@dataclass(frozen=True)
class Begun:
    """Where the payer goes once a payment has begun, and what to tell them there."""

    payment: Payment
    url: str
    message: str = ""


class BasePaymentProvider:
    # Stored on each payment (`Payment.provider`): never change it for payments already made.
    identifier: ClassVar[str] = ""
    # The payment methods (`PaymentMethod`) this provider takes.
    methods: ClassVar[tuple[str, ...]] = ()
    verbose_name: ClassVar[str] = ""

    def is_enabled(self) -> bool:  # pragma: no cover - the subclasses answer
        """Whether this provider takes new payments here at all (keys set, environment)."""
        raise NotImplementedError

    def is_allowed(self, *, user, cart: Cart, method: str) -> bool:
        """Whether this user may pay this cart by `method` with this provider, for the Checkout
        Summary. The page may be stale: `begin` checks again whatever could have changed (the
        trust account re-checks its rules and balance under the account's lock)."""
        return self.is_enabled() and method in self.methods

    def options(self, *, user, cart: Cart) -> list[CheckoutOption]:
        """The lines of the Checkout Summary this provider offers for the cart."""
        options = []
        for method in self.methods:
            if self.is_allowed(user=user, cart=cart, method=method):
                fee = convenience_fee(method, cart.total)
                label = PaymentMethod(method).label
                options.append(CheckoutOption(method, label, fee, cart.total + fee))
        return options

    def begin(
        self,
        *,
        user,
        method: str,
        key,
        account_id: int | None,
        absolute: Callable[[str], str],
    ) -> Begun:  # pragma: no cover - the subclasses answer
        """Start paying the user's cart: return where the payer goes (a hosted page), or pay in
        place and return the receipt. `key` is the idempotency key of the Pay click: the same
        key finds the same payment. Raise PaymentError for what the payer should be told,
        GatewayError when the gateway broke."""
        raise NotImplementedError

    def can_sync(self, payment: Payment) -> bool:
        """Whether the gateway has news of this open payment worth asking for."""
        return False

    def sync(self, payment: Payment, *, source: str) -> str:
        """Bring the payment in line with its gateway; return the outcome ("confirmed",
        "processing", "failed", "expired", "open (...)", "mismatch: ..."). May call the
        gateway: never inside a database transaction."""
        return payment.status

    def sweep(self, *, source: str) -> list[tuple[str, str]]:
        """Look at the gateway for what no open payment here accounts for (a hosted page made
        for a payment released meanwhile) and close it; return (outcome, report line) pairs.
        Run by reconciliation, once per identifier. May call the gateway: never inside a
        database transaction."""
        return []

    def cancel(self, payment: Payment, *, reason: str) -> str:
        """Release an open payment nobody will pay (its fees are free again); return the
        outcome, which is the sync outcome when the gateway says it was finished meanwhile.
        Release only once the gateway can take no more money for it; raise PaymentError (for the
        payer) when that cannot be known yet."""
        payment = payment_release(
            payment_id=payment.pk, status=PaymentStatus.EXPIRED, reason=reason
        )
        return payment.status

    def settle(self, payment: Payment, *, succeeded: bool, source: str) -> Payment:
        """Finish a processing payment by hand (staff), where the gateway allows it."""
        raise PaymentError(
            f"{self.verbose_name} payments are settled by the gateway, not by hand: run "
            "reconcile_payments."
        )

    def refund(
        self, payment: Payment, *, by, fees_become: str
    ) -> Payment:  # pragma: no cover - the subclasses answer
        """Refund the whole payment, moving the money back where it came from, and record it
        (`services.refunds.refund_record`). Once however often it is called."""
        raise NotImplementedError

    def reference(self, payment: Payment) -> str:
        """How reports name the payment at the gateway."""
        return self.verbose_name


class HostedPaymentProvider(BasePaymentProvider):
    """A provider whose payer pays on a page of the gateway and comes back: the payment is
    created first (holding its fees), then the payer is sent to `payment_page`."""

    def begin(self, *, user, method, key, account_id, absolute) -> Begun:
        payment, made_here = payment_start(
            user=user, method=method, provider=self.identifier, key=key
        )
        return self._where_next(payment, absolute=absolute, made_here=made_here)

    def begin_deposit(
        self, *, user, contractor, amount: Decimal, method: str, key, absolute
    ) -> Begun:
        """Start a deposit to the business's trust account: the payment is made first (it
        holds no fee), then the payer goes to the gateway's page like any other payment."""
        payment, made_here = trust_deposit_start(
            user=user,
            contractor=contractor,
            amount=amount,
            method=method,
            provider=self.identifier,
            key=key,
        )
        return self._where_next(payment, absolute=absolute, made_here=made_here)

    def _where_next(self, payment: Payment, *, absolute, made_here: bool) -> Begun:
        if payment.status == PaymentStatus.CONFIRMED:
            return Begun(payment, reverse("payments:receipt", args=[payment.receipt_number]))
        if payment.status == PaymentStatus.PROCESSING:
            return Begun(payment, reverse("payments:return", args=[payment.pk]))
        return Begun(payment, self.payment_page(payment, absolute=absolute, made_here=made_here))

    def payment_page(
        self, payment: Payment, *, absolute: Callable[[str], str], made_here: bool = True
    ) -> str:  # pragma: no cover - the subclasses answer
        """The URL of the page where the payer pays this (open) payment. `made_here` is False
        when an earlier click of the same form made the payment (and may still be making its
        page at the gateway)."""
        raise NotImplementedError
