"""One exception tree for both of Nuki's local APIs.

Callers catch :class:`NukiError` for "anything went wrong" and the children
when they must tell the cases apart. No message here ever contains a token.
"""

from __future__ import annotations

from .const import CommandResponse


class NukiError(Exception):
    """Root of every error raised by this library."""


class NukiConnectionError(NukiError):
    """The bridge or broker could not be reached, or the connection dropped."""


class NukiTimeoutError(NukiConnectionError):
    """The device did not answer in time."""


class NukiOutcomeUnknownError(NukiError):
    """A command was sent but its result never came back.

    The command may or may not have been executed. It is never re-sent by the
    library: unlatching twice opens the door twice.
    """


class NukiAuthError(NukiError):
    """The bridge refused the API token (HTTP 401) or has authentication off (403)."""

    def __init__(self, message: str, *, clock_may_differ: bool = False) -> None:
        super().__init__(message)
        self.clock_may_differ = clock_may_differ


class NukiBridgeBusyError(NukiError):
    """The bridge kept answering 503 after every retry."""


class NukiUnknownDeviceError(NukiError):
    """The bridge does not know this device (HTTP 404)."""


class NukiBadRequestError(NukiError):
    """The bridge rejected a parameter (HTTP 400)."""


class NukiCommandRefusedError(NukiError):
    """The device answered but did not carry out the command.

    ``message`` is the bridge's own text when it sent one; ``code`` is the MQTT
    ``commandResponse`` code for Wi-Fi locks.
    """

    def __init__(
        self,
        message: str,
        *,
        code: CommandResponse | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class NukiCallbackSlotsFullError(NukiCommandRefusedError):
    """The bridge refused ``/callback/add``: all of its callback slots (3) are taken.

    Real bridges and the stand-in answer ``{"success": false, "message": "too
    many callbacks registered"}``; this type spares callers matching that text.
    """


class NukiInvalidResponseError(NukiError):
    """The answer could not be understood (not JSON, wrong shape)."""
