"""Payment providers, after pretix's: one class per way of paying (Stripe card, Stripe e-check,
the offline gateway, the trust account), each answering availability, begin, sync, cancel and
refund. `registry` maps a payment's stored provider and method to its provider; the built-in
providers are registered in `PaymentsConfig.ready`.

This package's `__init__` imports nothing: services import `registry` without pulling in the
provider classes, which themselves call services."""
