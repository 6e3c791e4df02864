from core.status import InvalidStatusMove


class PaymentError(Exception):
    """Something to tell the user: nothing was charged (a fee already paid, a balance too low,
    a declined card)."""


class GatewayError(Exception):
    """The payment gateway broke (network, Stripe outage): not the user's doing."""


class InvalidPaymentStatusMove(PaymentError, InvalidStatusMove):
    pass


class LedgerIsAppendOnly(Exception):
    pass


class TrustAccountBusinessFixed(Exception):
    """A trust account's business is fixed once the account exists."""
