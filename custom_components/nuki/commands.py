"""Commands to one device: what is shown while one runs, and when it is over."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Final, Literal

from homeassistant.core import callback

from nukilocal.client import DEFAULT_ACTION_TIMEOUT
from nukilocal.const import LockAction, OpenerAction
from nukilocal.exceptions import NukiCommandRefusedError, NukiOutcomeUnknownError
from nukilocal.models import DeviceState
from nukilocal.outcome import ActionProgress, reached

_LOGGER = logging.getLogger(__name__)

type Transport = Literal["mqtt", "bridge"]

TRANSPORT_MQTT: Final = "mqtt"
TRANSPORT_BRIDGE: Final = "bridge"

# Transitions shown from the moment a command is sent until the device moves.
LOCKING: Final = "locking"
UNLOCKING: Final = "unlocking"
OPENING: Final = "opening"


# How long the device may take to report the result of an action the bridge
# accepted (nowait): its motor, and the bridge's Bluetooth round trips.
RESULT_TIMEOUT: float = DEFAULT_ACTION_TIMEOUT
# The same when the device already was where the action leads: it may report
# no move at all, so a /list tells sooner.
RESULT_TIMEOUT_ALREADY_THERE: float = 3.0


@dataclass(slots=True)
class AwaitedResult:
    """An accepted action whose result the device's reports will tell."""

    progress: ActionProgress
    future: asyncio.Future[bool] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def report(self, state: DeviceState) -> None:
        if not self.future.done() and (outcome := self.progress.report(state)) is not None:
            self.future.set_result(outcome)


@dataclass(slots=True)
class BridgeAction:
    """What the hub gives :meth:`DeviceCommands.async_run_bridge` to send one action."""

    action: LockAction | OpenerAction
    before: DeviceState
    # Sends it; True when the bridge only accepted it (nowait) and the result is to come.
    send: Callable[[], Awaitable[bool]]
    # A /list now, and the device's state as the bridge then reports it.
    check: Callable[[], Awaitable[DeviceState | None]]
    verify_later: Callable[[Callable[[], bool]], None]
    # The result is known (or will never be): the bridge's radio is free of it.
    finished: Callable[[], None]


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
        # One command per device at a time: the next waits for the result of this one.
        self.hold = asyncio.Lock()
        self._awaited: AwaitedResult | None = None

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
    def bridge_reported(self, state: DeviceState, *, by_callback: bool) -> None:
        """The bridge reported the device: after a command of its own, that is the result."""
        if self._awaited is not None:
            self._awaited.report(state)
        pending = self._pending
        if (
            pending is not None
            and pending.via == TRANSPORT_BRIDGE
            and (by_callback or pending.answered)
        ):
            self._pending = None

    @callback
    def abort(self, reason: str) -> None:
        """The transport went away (unload): a result still awaited will not come."""
        awaited = self._awaited
        if awaited is not None and not awaited.future.done():
            awaited.future.set_exception(NukiOutcomeUnknownError(f"{reason}; not re-sent"))

    async def async_run_mqtt(
        self, send: Callable[[], Awaitable[None]], pending: PendingCommand | None
    ) -> None:
        """Run ``send`` while ``pending`` shows (see :meth:`begin`); errors are the library's."""
        try:
            await send()
        finally:
            # The lock answered after its motor stopped: its state topics came first.
            self.drop(pending)

    async def async_run_bridge(self, command: BridgeAction, pending: PendingCommand | None) -> None:
        """Send over the bridge; return when the device reported the result.

        A bridge that only accepted the action (nowait, while callbacks work)
        is free for other devices' requests at once; this device is held until
        its reports show the result. Without one in time a /list tells; a
        result that cannot be told is an unknown outcome, never re-sent.
        """
        awaited = self._awaited = AwaitedResult(ActionProgress(command.action, command.before))
        try:
            if await command.send():
                try:
                    await self._async_result(command, awaited)
                finally:
                    command.finished()
        except BaseException:
            self.drop(pending)
            raise
        finally:
            self._awaited = None
        if pending is not None and self._pending is pending:
            pending.answered = True
            # With push working, a callback usually reported the result already.
            command.verify_later(lambda: self._pending is pending)

    async def _async_result(self, command: BridgeAction, awaited: AwaitedResult) -> None:
        progress = awaited.progress
        timeout = RESULT_TIMEOUT_ALREADY_THERE if progress.already_there else RESULT_TIMEOUT
        try:
            async with asyncio.timeout(timeout):
                done = await asyncio.shield(awaited.future)
        except TimeoutError:
            state = await command.check()
            if awaited.future.done():
                done = awaited.future.result()
            elif state is not None and reached(command.action, state):
                done = True
            else:
                raise NukiOutcomeUnknownError(
                    f"the device reported no result within {timeout:.0f} s; not re-sent"
                ) from None
        if not done:
            raise NukiCommandRefusedError("the lock's motor is blocked (jammed)")

    def begin(self, transition: str | None, via: Transport | None) -> PendingCommand | None:
        """Show ``transition`` from now on, also while the command waits for its turn."""
        if transition is None or via is None:
            return None
        pending = self._pending = PendingCommand(transition, via)
        self._notify()
        return pending

    @callback
    def drop(self, pending: PendingCommand | None) -> None:
        if pending is not None and self._pending is pending:
            self._pending = None
            self._notify()
