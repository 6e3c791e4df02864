"""What goes through the providers: the ways to pay a cart, starting a checkout with the provider
chosen, and a refund by the provider that took the money. Above the providers and the services
(the providers call the services: confirm, release, refund_record), so that neither imports the
other."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

from django.utils.translation import gettext as _

from licenses.models import Contractor
from permits.models import FeeStatus

from .exceptions import PaymentError
from .models import Payment, PaymentMethod
from .providers.base import Begun, HostedPaymentProvider
from .registry import enabled_providers, provider_for, provider_for_method
from .selectors import Cart
from .services.refunds import FEES_AFTER_REFUND
from .services.trust import DEPOSIT_METHODS, trust_deposit_refund_debit


def checkout_options(*, user, cart: Cart) -> list:
    """The ways to pay this cart, each with its convenience fee and total, as the summary shows
    them before paying: what every provider configured here allows this user for this cart."""
    return [
        option
        for provider in enabled_providers()
        for option in provider.options(user=user, cart=cart)
    ]


def checkout_begin(
    *,
    user,
    method: str,
    key: uuid.UUID,
    account_id: int | None,
    absolute: Callable[[str], str],
) -> Begun:
    """Pay the cart by `method`: the provider taking that method here starts the payment and
    says where the payer goes (its hosted page, or the receipt when it paid in place).
    `absolute` turns a path into the URL a gateway sends the payer back to."""
    provider = provider_for_method(method)
    if provider is None:
        way = dict(PaymentMethod.choices).get(method, _("this way"))
        raise PaymentError(
            _("Paying by %(way)s is not available right now; call the permit office.")
            % {"way": way}
        )
    return provider.begin(
        user=user, method=method, key=key, account_id=account_id, absolute=absolute
    )


def deposit_methods() -> list[str]:
    """The ways to pay a trust account deposit here: card and e-check, where a provider with a
    page to pay on takes them."""
    return [
        method
        for method in DEPOSIT_METHODS
        if isinstance(provider_for_method(method), HostedPaymentProvider)
    ]


def deposit_begin(
    *,
    user,
    contractor: Contractor,
    amount: Decimal,
    method: str,
    key: uuid.UUID,
    absolute: Callable[[str], str],
) -> Begun:
    """Deposit to the business's trust account by `method`: the provider taking it here starts
    the payment and says where the payer goes (its page). The account is credited when the
    payment is confirmed, however it is reported."""
    # The trust account's own provider pays in place: it never takes a deposit.
    provider = provider_for_method(method)
    if not isinstance(provider, HostedPaymentProvider):
        raise PaymentError(
            _(
                "Deposits online are paid by credit card or electronic check, and that way is "
                "not available right now; call the permit office."
            )
        )
    return provider.begin_deposit(
        user=user, contractor=contractor, amount=amount, method=method, key=key, absolute=absolute
    )


def payment_refund(*, payment: Payment, by, fees_become: str = FeeStatus.DUE) -> Payment:
    """Staff refund a whole payment through its provider. The fees go back to due, or are
    waived, as staff choose."""
    if fees_become not in FEES_AFTER_REFUND:
        raise PaymentError(_("After a refund a fee is due again, or waived."))
    if payment.method == PaymentMethod.IMPORTED:
        raise PaymentError(
            _(
                "%(payment)s was paid in the city's own system and the portal took no money: "
                "refund it there."
            )
            % {"payment": payment.describe()}
        )
    provider = provider_for(payment)
    if payment.deposit_to_id is not None:
        # The money leaves the account before it goes back to the card or bank (once, however
        # often the refund is tried): a balance spent on fees since is refused here.
        trust_deposit_refund_debit(payment_id=payment.pk, by=by)
    return provider.refund(payment, by=by, fees_become=fees_become)
