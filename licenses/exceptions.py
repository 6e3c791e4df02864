from core.status import InvalidStatusMove


class LicenseError(Exception):
    """A rule about licenses was broken; the message is for the person who tried."""


class InvalidLicenseStatusMove(LicenseError, InvalidStatusMove):
    pass


class InvalidLicenseLinkStatusMove(LicenseError, InvalidStatusMove):
    pass


class LastManagerError(LicenseError):
    """A business would be left without a Manager."""
