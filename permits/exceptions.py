class PermitError(Exception):
    """A rule about permits was broken; the message is for the person who tried."""


class InvalidPermitStatusMove(PermitError):
    pass
