from core.status import InvalidStatusMove


class InspectionError(Exception):
    """A rule about inspections was broken; the message is for the person who tried."""


class InvalidInspectionStatusMove(InspectionError, InvalidStatusMove):
    pass
