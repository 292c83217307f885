"""Commands to one device: what is shown while one runs, and when it is over."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, Literal

from homeassistant.core import callback

type Transport = Literal["mqtt", "bridge"]

TRANSPORT_MQTT: Final = "mqtt"
TRANSPORT_BRIDGE: Final = "bridge"

# Transitions shown from the moment a command is sent until the device moves.
LOCKING: Final = "locking"
UNLOCKING: Final = "unlocking"
OPENING: Final = "opening"


@dataclass(slots=True)
class PendingCommand:
    """A command sent whose result the device has not shown yet."""

    transition: str
    via: Transport
    # The transport answered (the bridge carried it out, or accepted it).
    answered: bool = False


class DeviceCommands:
    """The one pending command of a device and its transition (locking, unlocking, opening).

    The transition shows from the moment a command is sent until the device
    moves, the bridge reports the device after the command, or the command fails.
    """

    def __init__(self, notify: Callable[[], None]) -> None:
        self._notify = notify
        self._pending: PendingCommand | None = None

    @property
    def transition(self) -> str | None:
        return self._pending.transition if self._pending is not None else None

    @property
    def pending(self) -> bool:
        return self._pending is not None

    @callback
    def device_moved(self) -> None:
        """From now on the device's own state says what it does (the caller notifies)."""
        self._pending = None

    @callback
    def bridge_reported(self, *, by_callback: bool) -> None:
        """The bridge reported the device: after a command of its own, that is the result."""
        pending = self._pending
        if (
            pending is not None
            and pending.via == TRANSPORT_BRIDGE
            and (by_callback or pending.answered)
        ):
            self._pending = None

    async def async_run(
        self,
        send: Callable[[], Awaitable[None]],
        transition: str | None,
        via: Transport,
        verify_later: Callable[[Callable[[], bool]], None] | None = None,
    ) -> None:
        """Show ``transition`` and run ``send``; errors are the library's.

        ``verify_later(still_pending)`` asks the bridge for /list soon, for the
        result no callback reported yet.
        """
        pending = None
        if transition is not None:
            pending = self._pending = PendingCommand(transition, via)
            self._notify()
        try:
            await send()
        except BaseException:
            self._drop(pending)
            raise
        if pending is None or self._pending is not pending:
            return
        if via == TRANSPORT_MQTT:
            # The lock answered after its motor stopped: its state topics came first.
            self._drop(pending)
            return
        pending.answered = True
        if verify_later is not None:
            verify_later(lambda: self._pending is pending)

    @callback
    def _drop(self, pending: PendingCommand | None) -> None:
        if pending is not None and self._pending is pending:
            self._pending = None
            self._notify()
