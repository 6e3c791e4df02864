"""Which provider handles a payment, and which ones a checkout may offer.

A payment stores its provider's `identifier` and its `method`; the pair finds the provider, so
services, views and admin never compare provider names: they ask the registry and call the
provider. The built-in providers are registered once, in `PaymentsConfig.ready`, in the order
the checkout lists them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .exceptions import PaymentError

if TYPE_CHECKING:  # only for the annotations: the provider classes import services
    from .models import Payment
    from .providers.base import BasePaymentProvider

_providers: list[BasePaymentProvider] = []
_by_key: dict[tuple[str, str], BasePaymentProvider] = {}


def register(*providers: BasePaymentProvider) -> None:
    """Add providers; a provider already registered for an identifier and method is refused
    (two classes answering for the same stored payments would be a bug)."""
    for provider in providers:
        keys = [(provider.identifier, method) for method in provider.methods]
        taken = [key for key in keys if key in _by_key]
        if taken:
            raise ValueError(f"payment provider already registered for {taken}")
        _providers.append(provider)
        _by_key.update(dict.fromkeys(keys, provider))


def registered() -> list[BasePaymentProvider]:
    return list(_providers)


def enabled_providers() -> list[BasePaymentProvider]:
    """The providers configured here (Stripe with its keys, the offline gateway without them
    and never in production, the trust account always)."""
    return [provider for provider in _providers if provider.is_enabled()]


def provider_for(payment: Payment) -> BasePaymentProvider:
    """The provider of a stored payment, whether or not it is offered for new payments today
    (a refund of a Stripe payment still goes to Stripe)."""
    try:
        return _by_key[(payment.provider, payment.method)]
    except KeyError:
        raise PaymentError(
            f"No payment provider handles {payment.get_method_display()} payments by "
            f"“{payment.provider}”."
        ) from None


def provider_for_method(method: str) -> BasePaymentProvider | None:
    """The provider that takes new payments by `method` here, if any."""
    for provider in enabled_providers():
        if method in provider.methods:
            return provider
    return None
