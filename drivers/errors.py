"""Whose fault it is. Every driver core raises only these (or subclasses) on bad input."""


class DriverError(Exception):
    """Base of every error a protocol core raises."""


class LocalProtocolError(DriverError):
    """We misused the API: a bug on our side, not the device's."""


class RemoteProtocolError(DriverError):
    """The peer sent bytes that break the protocol."""
