"""Payment providers, after pretix's: one class per way of paying (Stripe card, Stripe e-check,
the offline gateway, the trust account), each answering availability, begin, sync, cancel and
refund. `payments.registry` maps a payment's stored provider and method to its provider; the
built-in providers are registered there in `PaymentsConfig.ready`.

The providers call the services (confirm, release, refund_record); the services find a provider
through `payments.registry`, which imports none of them; what starts with a provider (a checkout,
a refund) is `payments.flows`."""
