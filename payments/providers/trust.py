"""The trust account as a provider: a business's prepaid balance pays in place, with no page to
go to. It is offered for a cart only from the accounts of businesses where the user holds Pay
and that hold a license on every permit of the cart, and only when the balance covers it."""

from collections.abc import Callable
from typing import ClassVar

from django.urls import reverse
from django.utils.translation import gettext as _

from ..exceptions import PaymentError
from ..models import ZERO, Payment, PaymentMethod, TrustAccount
from ..selectors import Cart, trust_accounts_for, trust_balance
from ..services.trust import TRUST_PROVIDER, trust_pay, trust_refund
from .base import BasePaymentProvider, Begun, CheckoutOption, TrustChoice


class TrustAccountProvider(BasePaymentProvider):
    identifier = TRUST_PROVIDER
    methods: ClassVar[tuple[str, ...]] = (PaymentMethod.TRUST,)
    verbose_name = "Trust account"

    def is_enabled(self) -> bool:
        return True

    def usable_accounts(self, *, user, cart: Cart) -> list[TrustChoice]:
        """The accounts that may pay this whole cart, with their balances."""
        permit_ids = [group.permit.pk for group in cart.permits]
        choices = []
        for account in trust_accounts_for(user, permit_ids=permit_ids):
            balance = trust_balance(account)
            if balance >= cart.total:
                choices.append(TrustChoice(account, balance))
        return choices

    def is_allowed(self, *, user, cart: Cart, method: str) -> bool:
        return method in self.methods and bool(self.usable_accounts(user=user, cart=cart))

    def options(self, *, user, cart: Cart) -> list[CheckoutOption]:
        accounts = self.usable_accounts(user=user, cart=cart)
        if not accounts:
            return []
        label = PaymentMethod.TRUST.label
        return [CheckoutOption(PaymentMethod.TRUST, label, ZERO, cart.total, accounts)]

    def begin(
        self, *, user, method: str, key, account_id: int | None, absolute: Callable[[str], str]
    ) -> Begun:
        account = TrustAccount.objects.filter(pk=account_id or 0).first()
        if account is None:
            raise PaymentError(_("Choose the trust account to pay from."))
        # trust_pay checks again who may use the account, whose permits it pays and its
        # balance, under the account's row lock.
        payment = trust_pay(user=user, account=account, key=key)
        return Begun(
            payment,
            reverse("payments:receipt", args=[payment.receipt_number]),
            _("Paid from the trust account. Receipt %(number)s.")
            % {"number": payment.receipt_number},
        )

    def cancel(self, payment: Payment, *, reason: str) -> str:
        # Paid in place, in the transaction that made it: a trust payment is never left open.
        return payment.status

    def refund(self, payment: Payment, *, by, fees_become: str) -> Payment:
        return trust_refund(payment_id=payment.pk, by=by, fees_become=fees_become)
