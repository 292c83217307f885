"""The bridge's Bluetooth radio: can it run actions of several devices at once?

Nobody has measured this on real bridges (see ``docs/standins.md``), so the
stand-in has both models:

``"exclusive"`` (the default)
    While an action the bridge started is still running on any device (its
    motor, the held latch, the opener's open door), another action request is
    answered 503, whichever device it is for. With ``nowait=1`` the action
    keeps running after the HTTP answer, and so does the 503.
``"parallel"``
    Actions of different devices run at the same time, one per device; a
    second action for a busy device is refused by the device
    (``{"success": false}``), as without a bridge.

Either way the bridge serves one HTTP request at a time: with ``nowait=0`` an
action holds the bridge's only request slot until its answer.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Final, Literal

from .devices import SimDevice

type RadioMode = Literal["parallel", "exclusive"]

PARALLEL: Final = "parallel"
EXCLUSIVE: Final = "exclusive"
RADIO_MODES: Final[tuple[RadioMode, ...]] = (EXCLUSIVE, PARALLEL)
DEFAULT_RADIO: Final[RadioMode] = EXCLUSIVE


def radio_mode(value: str) -> RadioMode:
    """``value`` checked: ``"parallel"`` or ``"exclusive"``, else ``ValueError``."""
    if value not in RADIO_MODES:
        raise ValueError(f"radio must be one of {', '.join(RADIO_MODES)}, not {value!r}")
    return value


class Radio:
    """Which devices run an action the bridge started, and whether that blocks others."""

    def __init__(self, mode: str = DEFAULT_RADIO) -> None:
        self._mode = radio_mode(mode)
        self._held: dict[SimDevice, asyncio.Task[None]] = {}

    @property
    def mode(self) -> RadioMode:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        self._mode = radio_mode(value)

    @property
    def running(self) -> list[SimDevice]:
        """Devices still busy with an action the bridge started."""
        return [device for device in self._held if device.busy]

    def refuses_action(self) -> bool:
        """True when an action request must be answered 503 now."""
        return self._mode == EXCLUSIVE and bool(self.running)

    def started(self, device: SimDevice) -> None:
        """The bridge started an action on ``device``: held until the device is idle.

        Idle for the first time: the relock of lock 'n' go, which follows the
        lock's own wait, is the lock's business, not the bridge's.
        """
        if not device.busy or device in self._held:
            return
        self._held[device] = asyncio.get_running_loop().create_task(self._release(device))

    async def _release(self, device: SimDevice) -> None:
        try:
            await device.wait_for(lambda d: not d.busy)
        finally:
            self._held.pop(device, None)

    async def close(self) -> None:
        tasks = list(self._held.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._held.clear()
