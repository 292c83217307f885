"""Bridge stand-ins inside the benchmark's own process.

In-process on purpose: the moment a device's listener fires and the moment
Home Assistant's WebSocket message is read are then taken from the same
``time.monotonic()`` clock in the same event loop, with no second process
and no clock to reconcile.

Each bridge has four devices (two smart locks of different generations, a
Smart Door and an opener) and reports final states only by callback, as real
bridges mostly do. Every API request is recorded with the time it arrived, the
time it was answered and its status by an interceptor at the stand-in's
"arrival" stage (its public extension API), so 503s it answers itself are seen
too. The radio model (``"exclusive"``, the stand-in's default, or
``"parallel"``) is the stand-in's public ``radio``: a constructor keyword, and
an attribute that can be switched while it runs.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter
from dataclasses import dataclass
from typing import Final

from aiohttp import web

from nukilocal.const import DeviceType, DoorSensorState, LockState
from nukilocal.sim import (
    DEFAULT_RADIO,
    ActionEvent,
    ApiCall,
    BridgeSimulator,
    RadioMode,
    SimDevice,
    SimOpener,
    SimSmartLock,
)
from nukilocal.sim.config import DEFAULT_HARDWARE_ID, DEFAULT_SERVER_ID
from tests.support.ids import BACK_DOOR, FRONT_DOOR, OPENER
from tests.support.ids import TOKEN as TOKEN

# The default stand-in's ids for bridge 0 (tests/support/ids.py), so its devices
# look like the demo's.
SMART_DOOR: Final = 512345678


@dataclass(slots=True, frozen=True)
class RequestRecord:
    """One API request: when it arrived, when it was answered (``at``), its status."""

    arrived: float
    at: float
    path: str
    status: int


def four_devices(index: int) -> list[SimDevice]:
    """Devices of bridge ``index``; ids and names are unique across bridges."""

    def nuki_id(base: int) -> int:
        return base if index == 0 else base + 1_000_000 * index

    suffix = "" if index == 0 else f" {index:02d}"
    return [
        SimSmartLock(
            nuki_id(FRONT_DOOR),
            f"Front door{suffix}",
            device_type=DeviceType.SMARTLOCK_3,
            firmware_version="4.2.6",
            state=LockState.LOCKED,
            battery_level=96,
            keypad=True,
            door_sensor=DoorSensorState.DOOR_CLOSED,
        ),
        SimSmartLock(
            nuki_id(BACK_DOOR),
            f"Back door{suffix}",
            device_type=DeviceType.SMARTLOCK,
            firmware_version="1.12.6",
            state=LockState.UNLOCKED,
            battery_level=64,
        ),
        SimSmartLock(
            nuki_id(SMART_DOOR),
            f"Patio door{suffix}",
            device_type=DeviceType.SMARTDOOR,
            firmware_version="3.7.2",
            state=LockState.LOCKED,
            battery_level=80,
        ),
        SimOpener(nuki_id(OPENER), f"Building entrance{suffix}", firmware_version="1.8.4"),
    ]


# "Two requests within about half a second" can make a real bridge hang.
BURST_WINDOW_S = 0.5


class BenchBridge:
    """A bridge stand-in on a loopback port with a request log."""

    def __init__(
        self,
        index: int = 0,
        *,
        time_factor: float = 1.0,
        radio: RadioMode | str = DEFAULT_RADIO,
    ) -> None:
        self.index = index
        self.sim = BridgeSimulator(
            TOKEN,
            host="127.0.0.1",
            port=0,
            devices=four_devices(index),
            time_factor=time_factor,
            hardware_id=DEFAULT_HARDWARE_ID + index,
            server_id=DEFAULT_SERVER_ID + index,
            callback_transitional=False,
            radio=radio,
        )
        # The stand-in's own count of requests that follow the previous answer
        # within the window in which real bridges can hang (it does not hang here:
        # 0 s, so both integrations are measured on the same terms). It sees only
        # requests that got the bridge's slot, after answers of such requests;
        # too_soon() below counts every request, from the request log.
        self.sim.faults.burst_window = BURST_WINDOW_S
        self.sim.faults.burst_hang = 0.0
        self.requests: list[RequestRecord] = []
        self.actions_started = 0
        # nukiId -> actions started (what the action listener saw), and their kinds.
        self.actions_by_device: Counter[int] = Counter()
        self.action_log: list[tuple[float, int, int]] = []
        for device in self.sim.devices:
            device.add_action_listener(self._on_action)
        # On arrival, so the stand-in's own 503 answers pass through it too.
        self.sim.add_interceptor(self._record, stage="arrival")

    async def _record(self, call: ApiCall) -> web.StreamResponse:
        arrived = time.monotonic()
        status = 0
        try:
            response = await call.proceed()
            status = response.status
            return response
        except web.HTTPException as err:
            status = err.status
            raise
        finally:
            self.requests.append(RequestRecord(arrived, time.monotonic(), call.path, status))

    def _on_action(self, device: SimDevice, event: ActionEvent) -> None:
        self.actions_started += 1
        self.actions_by_device[device.nuki_id] += 1
        self.action_log.append((time.monotonic(), device.nuki_id, event.action))

    @property
    def radio(self) -> RadioMode:
        """The stand-in's radio model; settable while it runs."""
        return self.sim.radio

    @radio.setter
    def radio(self, mode: RadioMode | str) -> None:
        self.sim.radio = mode

    async def start(self) -> None:
        await self.sim.start()

    async def stop(self) -> None:
        await self.sim.stop()

    @property
    def port(self) -> int:
        return self.sim.port

    @property
    def unique_ids(self) -> set[str]:
        return {str(d.nuki_id) for d in self.sim.devices}

    @property
    def locks(self) -> list[SimSmartLock]:
        return [d for d in self.sim.devices if isinstance(d, SimSmartLock)]

    @property
    def opener(self) -> SimOpener:
        return next(d for d in self.sim.devices if isinstance(d, SimOpener))

    def requests_between(self, start: float, end: float) -> Counter[str]:
        return Counter(r.path for r in self.requests if start <= r.at < end)

    def statuses_between(self, start: float, end: float) -> Counter[int]:
        return Counter(r.status for r in self.requests if start <= r.at < end)

    def too_soon(self, start: float, end: float, window: float = BURST_WINDOW_S) -> int:
        """Requests that arrived in [start, end) less than ``window`` s after the
        latest answer (any request, any status, 503s included) before them."""
        answers = sorted(r.at for r in self.requests)
        count = 0
        for record in self.requests:
            if not start <= record.arrived < end:
                continue
            before = bisect.bisect_right(answers, record.arrived)
            if before and record.arrived - answers[before - 1] < window:
                count += 1
        return count

    def overlapping(self, start: float, end: float) -> int:
        """Requests that arrived in [start, end) while another was still being served."""
        return sum(
            1
            for r in self.requests
            if start <= r.arrived < end
            and any(o is not r and o.arrived <= r.arrived < o.at for o in self.requests)
        )

    def idle(self) -> bool:
        return not any(d.busy for d in self.sim.devices)
