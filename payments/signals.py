"""What payments announce, so that whoever must act on it (the receipt email, the low-balance
alert, later the apps above) listens instead of being imported by the services."""

from django.dispatch import Signal

# Sent inside the transaction that confirms a payment; kwargs: payment_id.
payment_confirmed = Signal()

# Sent inside the transaction of a trust payment that took an account's balance below its alert
# threshold; kwargs: account_id.
trust_balance_fell_below_threshold = Signal()

# Sent inside the transaction that records a payment's refund; kwargs: payment_id.
payment_refunded = Signal()
