from core.status import InvalidStatusMove


class PermitError(Exception):
    """A rule about permits was broken; the message is for the person who tried."""


class InvalidPermitStatusMove(PermitError, InvalidStatusMove):
    pass


class InvalidFeeStatusMove(PermitError, InvalidStatusMove):
    pass


class FeeAmountHeld(PermitError):
    """A payment holds the fee: its amount stays what the payment is for."""


class FeeDetailsHeld(PermitError):
    """The fee is paid or a payment holds it: its permit and description stay what was paid."""
