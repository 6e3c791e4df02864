from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = gettext_lazy("Payments")

    def ready(self) -> None:
        from licenses.selectors import register_approval_fact

        from . import (
            receivers,  # noqa: F401 (answers the permits app's questions)
        )
        from .selectors import trust_account_fact

        register_approval_fact(trust_account_fact)
        from permits.importers.fees import provide_import_payer

        from .imports import imported_fees_pay

        provide_import_payer(imported_fees_pay)
        from . import registry
        from .providers.offline import OfflineGatewayProvider
        from .providers.stripe_checkout import StripeCardProvider, StripeECheckProvider
        from .providers.trust import TrustAccountProvider

        # The ways to pay, in the order the checkout lists them. A new provider is added here.
        if not registry.registered():
            registry.register(
                StripeCardProvider(),
                StripeECheckProvider(),
                OfflineGatewayProvider(),
                TrustAccountProvider(),
            )
