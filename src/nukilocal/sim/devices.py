"""Transport-neutral state machines of Nuki smart locks and openers.

The bridge stand-in (HTTP) and the Wi-Fi lock stand-in (MQTT) drive the same
machines: a transport calls :meth:`SimSmartLock.perform` /
:meth:`SimOpener.perform`, maps the returned :class:`CommandResponse` to its own
answer (``success:false`` on the bridge, ``commandResponse`` on MQTT) and
publishes what the listeners report. Nothing here knows about sockets.

Every state change, transitional ones included, calls each listener
synchronously with the device; :meth:`SimDevice.wait_for` lets tests and
clients await a condition without polling.

Durations are nominal real-world seconds scaled by the device's
:class:`~nukilocal.sim.clock.SimClock`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from .._listeners import subscribe
from ..const import (
    RING_ACTION_SECONDS,
    CommandResponse,
    DeviceType,
    DoorSensorState,
    LockAction,
    LockState,
    Mode,
    OpenerAction,
    OpenerState,
    Trigger,
)
from ..models import format_timestamp, hex_id
from .clock import SimClock

_LOGGER = logging.getLogger(__name__)

# Names exactly as the bridge writes them into ``stateName`` / ``doorsensorStateName``.
LOCK_STATE_NAMES: dict[int, str] = {
    LockState.UNCALIBRATED: "uncalibrated",
    LockState.LOCKED: "locked",
    LockState.UNLOCKING: "unlocking",
    LockState.UNLOCKED: "unlocked",
    LockState.LOCKING: "locking",
    LockState.UNLATCHED: "unlatched",
    LockState.UNLOCKED_LOCK_N_GO: "unlocked (lock 'n' go)",
    LockState.UNLATCHING: "unlatching",
    LockState.CALIBRATION: "calibration",
    LockState.BOOT_RUN: "boot run",
    LockState.MOTOR_BLOCKED: "motor blocked",
    LockState.UNDEFINED: "undefined",
}
OPENER_STATE_NAMES: dict[int, str] = {
    OpenerState.UNTRAINED: "untrained",
    OpenerState.ONLINE: "online",
    OpenerState.RTO_ACTIVE: "rto active",
    OpenerState.OPEN: "open",
    OpenerState.OPENING: "opening",
    OpenerState.BOOT_RUN: "boot run",
    OpenerState.UNDEFINED: "undefined",
}
DOOR_SENSOR_STATE_NAMES: dict[int, str] = {
    DoorSensorState.DEACTIVATED: "deactivated",
    DoorSensorState.DOOR_CLOSED: "door closed",
    DoorSensorState.DOOR_OPENED: "door opened",
    DoorSensorState.DOOR_STATE_UNKNOWN: "door state unknown",
    DoorSensorState.CALIBRATING: "calibrating",
    DoorSensorState.UNCALIBRATED: "uncalibrated",
    DoorSensorState.TAMPERED: "tampered",
    DoorSensorState.UNKNOWN: "unknown",
}

# Nominal real-world durations in seconds (scaled by the clock).
MOTOR_SECONDS = 1.5
UNLATCH_SECONDS = 1.0
UNLATCHED_HOLD_SECONDS = 3.0
LOCK_N_GO_WAIT_SECONDS = 20.0
MOTOR_BLOCKED_SETTLE_SECONDS = 3.0
OPENER_COMMAND_SECONDS = 0.3
ELECTRIC_STRIKE_SECONDS = 1.0
OPENER_OPEN_SECONDS = 3.0
# The Nuki app's default time after which ring to open switches itself off.
RTO_TIMEOUT_SECONDS = 20 * 60.0
BATTERY_CRITICAL_BELOW = 20
# Device names are set in the Nuki app; the Bluetooth API keeps 32 bytes.
MAX_NAME_LENGTH = 32
_LOCK_MOVING = frozenset({LockState.UNLOCKING, LockState.LOCKING, LockState.UNLATCHING})

DeviceListener = Callable[["SimDevice"], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionEvent:
    """Who did what: the content of an MQTT ``lockActionEvent``."""

    action: int
    trigger: Trigger = Trigger.SYSTEM
    auth_id: int = 0
    code_id: int = 0
    context: int = 0

    @property
    def payload(self) -> str:
        return f"{self.action},{int(self.trigger)},{self.auth_id},{self.code_id},{self.context}"


ActionListener = Callable[["SimDevice", ActionEvent], None]


class SimDevice:
    """What every paired Nuki device has: identity, batteries, listeners."""

    def __init__(
        self,
        nuki_id: int,
        device_type: DeviceType,
        name: str,
        *,
        firmware_version: str = "3.0.0",
        battery_level: int | None = 90,
        battery_critical: bool | None = None,
        battery_charging: bool = False,
        keypad: bool = False,
        keypad_battery_critical: bool = False,
        door_sensor: DoorSensorState | None = None,
        door_sensor_battery_critical: bool = False,
        clock: SimClock | None = None,
        rssi: int = -60,
    ) -> None:
        self.nuki_id = nuki_id
        self.device_type = DeviceType(device_type)
        self.name = name
        self.firmware_version = firmware_version
        # None: the device does not report a charge level (openers, old locks).
        self.battery_level = battery_level
        self.battery_critical = (
            battery_critical
            if battery_critical is not None
            else battery_level is not None and battery_level < BATTERY_CRITICAL_BELOW
        )
        self.battery_charging = battery_charging
        self.keypad = keypad
        self.keypad_battery_critical = keypad_battery_critical
        self.door_sensor_state = door_sensor
        self.door_sensor_battery_critical = door_sensor_battery_critical
        self.online = True
        self.rssi = rssi
        self.clock = clock or SimClock()
        self.timestamp: datetime = self.clock.now()
        self._listeners: list[DeviceListener] = []
        self._identity_listeners: list[DeviceListener] = []
        self._action_listeners: list[ActionListener] = []
        self._waiters: list[tuple[Callable[[Any], bool], asyncio.Future[None]]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    # -- identity -----------------------------------------------------------

    @property
    def key(self) -> tuple[int, DeviceType]:
        return (self.nuki_id, self.device_type)

    @property
    def hex_id(self) -> str:
        return hex_id(self.nuki_id)

    @property
    def ble_name(self) -> str:
        return f"Nuki_{self.hex_id}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.nuki_id} {self.name!r} state={self.state_id}>"

    # -- state, overridden by the concrete machines -------------------------

    @property
    def mode(self) -> Mode:
        return Mode.DOOR

    @property
    def state_id(self) -> int:
        raise NotImplementedError

    @property
    def state_name(self) -> str:
        raise NotImplementedError

    @property
    def busy(self) -> bool:
        """True while a command runs; transports refuse new commands then."""
        return False

    @property
    def is_transitional(self) -> bool:
        """A moving state (locking, opening ...) that a final state will follow."""
        return False

    def _extra_state(self, data: dict[str, Any]) -> None:
        """Device-specific fields of :meth:`state_dict`."""

    # -- listeners ----------------------------------------------------------

    def add_listener(self, listener: DeviceListener) -> Callable[[], None]:
        """Call ``listener(device)`` on every state change; returns the remover."""
        return subscribe(self._listeners, listener)

    def add_identity_listener(self, listener: DeviceListener) -> Callable[[], None]:
        """Call ``listener(device)`` when its name or firmware changes; returns the remover.

        Not a state change: the bridge sends no callback for it (``/list``
        shows it), a Wi-Fi lock publishes its ``name`` and ``firmware`` topics.
        """
        return subscribe(self._identity_listeners, listener)

    def set_identity(self, *, name: str | None = None, firmware_version: str | None = None) -> None:
        """Renamed in the Nuki app, or updated to new firmware."""
        if name is not None:
            if not name.strip() or len(name) > MAX_NAME_LENGTH:
                raise ValueError(f"a name has 1 to {MAX_NAME_LENGTH} characters")
            self.name = name
        if firmware_version is not None:
            if not firmware_version.strip():
                raise ValueError("a firmware version is not empty")
            self.firmware_version = firmware_version
        for listener in list(self._identity_listeners):
            try:
                listener(self)
            except Exception:
                _LOGGER.exception("Identity listener of %s failed", self.nuki_id)

    def add_action_listener(self, listener: ActionListener) -> Callable[[], None]:
        """Call ``listener(device, event)`` when an action starts (MQTT ``lockActionEvent``)."""
        return subscribe(self._action_listeners, listener)

    def _changed(self) -> None:
        self.timestamp = self.clock.now()
        for listener in list(self._listeners):
            try:
                listener(self)
            except Exception:
                # A broken observer must not stop the machine or the other observers.
                _LOGGER.exception("Listener of %s failed", self.nuki_id)
        self._wake_waiters()

    def _wake_waiters(self) -> None:
        """Re-check waiters; also used when only ``busy`` changed (no listener call)."""
        for predicate, future in list(self._waiters):
            if not future.done() and predicate(self):
                future.set_result(None)

    def _action_started(self, event: ActionEvent) -> None:
        for listener in list(self._action_listeners):
            try:
                listener(self, event)
            except Exception:
                _LOGGER.exception("Action listener of %s failed", self.nuki_id)

    @property
    def waiting(self) -> int:
        """How many :meth:`wait_for` calls are waiting now."""
        return len(self._waiters)

    async def wait_for(
        self, predicate: Callable[[Self], bool], timeout: float | None = None
    ) -> Self:
        """Return once ``predicate(device)`` holds; checked now and on every change.

        Raises :class:`TimeoutError` after ``timeout`` seconds (real, not scaled).
        """
        if predicate(self):
            return self
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.append(entry)
        try:
            async with asyncio.timeout(timeout):
                await future
        finally:
            self._waiters.remove(entry)
        return self

    async def wait_for_state(self, *states: int, timeout: float | None = None) -> Self:
        wanted = {int(s) for s in states}
        return await self.wait_for(lambda d: d.state_id in wanted, timeout)

    # -- the physical world ---------------------------------------------------

    def set_online(self, online: bool) -> None:
        """An offline device keeps its state but no transport can reach it."""
        if online != self.online:
            self.online = online
            self._changed()

    def set_battery(
        self,
        level: int | None = None,
        *,
        critical: bool | None = None,
        charging: bool | None = None,
    ) -> None:
        """Change the battery; ``critical`` follows ``level`` unless given."""
        if level is not None:
            if not 0 <= level <= 100:
                raise ValueError("battery level is a percentage")
            self.battery_level = level
            if critical is None:
                critical = level < BATTERY_CRITICAL_BELOW
        if critical is not None:
            self.battery_critical = critical
        if charging is not None:
            self.battery_charging = charging
        self._changed()

    def set_keypad_battery_critical(self, critical: bool) -> None:
        self.keypad = True
        self.keypad_battery_critical = critical
        self._changed()

    def set_door_sensor(self, state: DoorSensorState | int) -> None:
        self.door_sensor_state = DoorSensorState(state)
        self._changed()

    def set_door(self, is_open: bool) -> None:
        """Open or close the door (needs a door sensor to be seen)."""
        if self.door_sensor_state is None:
            raise ValueError(f"{self.name} has no door sensor")
        self.set_door_sensor(
            DoorSensorState.DOOR_OPENED if is_open else DoorSensorState.DOOR_CLOSED
        )

    # -- what the bridge sends ----------------------------------------------

    def state_dict(self, *, with_timestamp: bool = True) -> dict[str, Any]:
        """The bridge's state object (``lastKnownState``, ``/lockState``, callbacks)."""
        data: dict[str, Any] = {
            "mode": int(self.mode),
            "state": self.state_id,
            "stateName": self.state_name,
            "batteryCritical": self.battery_critical,
        }
        if self.battery_level is not None:
            data["batteryCharging"] = self.battery_charging
            data["batteryChargeState"] = self.battery_level
        if self.keypad:
            data["keypadBatteryCritical"] = self.keypad_battery_critical
        if self.door_sensor_state is not None:
            data["doorsensorState"] = int(self.door_sensor_state)
            data["doorsensorStateName"] = DOOR_SENSOR_STATE_NAMES.get(
                self.door_sensor_state, "unknown"
            )
        self._extra_state(data)
        if with_timestamp:
            data["timestamp"] = format_timestamp(self.timestamp)
        return data

    def list_item(self, *, with_device_type: bool = True) -> dict[str, Any]:
        """A ``/list`` entry (the software bridge leaves ``deviceType`` out)."""
        item: dict[str, Any] = {}
        if with_device_type:
            item["deviceType"] = int(self.device_type)
        item["nukiId"] = self.nuki_id
        item["name"] = self.name
        item["firmwareVersion"] = self.firmware_version
        item["lastKnownState"] = self.state_dict()
        return item

    def callback_body(self) -> dict[str, Any]:
        """A callback POST body: like the specification's examples, no timestamp."""
        return {
            "nukiId": self.nuki_id,
            "deviceType": int(self.device_type),
            **self.state_dict(with_timestamp=False),
        }

    def scan_result(self) -> dict[str, Any]:
        return {
            "deviceType": int(self.device_type),
            "nukiId": self.nuki_id,
            "name": self.ble_name,
            "rssi": self.rssi,
            "paired": True,
        }

    # -- tasks ----------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        """Cancel every running sequence (the state stays where it is)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _resolve(future: asyncio.Future[CommandResponse] | None, result: CommandResponse) -> None:
    if future is not None and not future.done():
        future.set_result(result)


class SimSmartLock(SimDevice):
    """Smart Lock 1.0 to 4th generation, Ultra and Smart Door (device types 0, 3, 4, 5).

    A motor sequence makes the lock busy until it is over, including the time
    the latch is held after an unlatch and the settling after a blocked motor.
    The wait of lock 'n' go is not busy: a new action cancels the relock.
    """

    SIMPLE_LOCK = LockAction.LOCK
    SIMPLE_UNLOCK = LockAction.UNLOCK

    def __init__(
        self,
        nuki_id: int,
        name: str,
        *,
        device_type: DeviceType = DeviceType.SMARTLOCK_3,
        state: LockState = LockState.LOCKED,
        lock_n_go_seconds: float = LOCK_N_GO_WAIT_SECONDS,
        **kwargs: Any,
    ) -> None:
        if DeviceType(device_type).is_opener:
            raise ValueError("an opener is a SimOpener")
        super().__init__(nuki_id, device_type, name, **kwargs)
        self.state = LockState(state)
        self.lock_n_go_seconds = lock_n_go_seconds
        self._jams = 0
        self._motor_running = False
        self._sequence: asyncio.Task[None] | None = None

    @property
    def state_id(self) -> int:
        return int(self.state)

    @property
    def state_name(self) -> str:
        return LOCK_STATE_NAMES.get(self.state, "undefined")

    @property
    def busy(self) -> bool:
        return self._motor_running

    @property
    def is_transitional(self) -> bool:
        return self.state in _LOCK_MOVING

    @property
    def jam_pending(self) -> int:
        return self._jams

    def _set_state(self, state: LockState) -> None:
        self.state = state
        self._changed()

    async def perform(
        self,
        action: LockAction | int,
        *,
        wait: bool = True,
        trigger: Trigger = Trigger.SYSTEM,
        auth_id: int = 0,
        code_id: int = 0,
        context: int = 0,
    ) -> CommandResponse:
        """Start ``action``; with ``wait`` return once its motor result is known.

        The checks happen before the first ``await``, so of two concurrent calls
        the second one is refused with ``BUSY``. Lock 'n' go reports its result
        after the unlock (or unlatch); the relock follows on its own.
        """
        try:
            action = LockAction(action)
        except ValueError:
            return CommandResponse.UNKNOWN_ERROR
        if not action.is_known:
            return CommandResponse.UNKNOWN_ERROR
        if self.state in (LockState.UNCALIBRATED, LockState.CALIBRATION):
            return CommandResponse.NOT_CALIBRATED
        if self.busy:
            return CommandResponse.BUSY
        self._cancel_sequence()
        result: asyncio.Future[CommandResponse] = asyncio.get_running_loop().create_future()
        self._set_motor(True)
        self._action_started(
            ActionEvent(
                action=int(action),
                trigger=trigger,
                auth_id=auth_id,
                code_id=code_id,
                context=context,
            )
        )
        self._sequence = self._spawn(self._run(action, result))
        if not wait:
            return CommandResponse.SUCCESS
        return await asyncio.shield(result)

    async def simple_lock(self, *, wait: bool = True) -> CommandResponse:
        return await self.perform(self.SIMPLE_LOCK, wait=wait)

    async def simple_unlock(self, *, wait: bool = True) -> CommandResponse:
        return await self.perform(self.SIMPLE_UNLOCK, wait=wait)

    def _set_motor(self, running: bool) -> None:
        if running != self._motor_running:
            self._motor_running = running
            self._wake_waiters()

    def _cancel_sequence(self) -> None:
        if self._sequence is not None and not self._sequence.done():
            self._sequence.cancel()
        self._sequence = None
        self._set_motor(False)

    async def _move(
        self,
        moving: LockState,
        final: LockState,
        nominal: float,
        result: asyncio.Future[CommandResponse] | None,
    ) -> bool:
        """Run the motor; False when it blocked (the lock then settled)."""
        # Where the bolt stays when the motor blocks on its way.
        before = LockState.UNLOCKED if final is LockState.LOCKED else LockState.LOCKED
        self._set_state(moving)
        await self.clock.sleep(nominal)
        if self._jams:
            self._jams -= 1
            self._set_state(LockState.MOTOR_BLOCKED)
            _resolve(result, CommandResponse.MOTOR_BLOCKED)
            await self.clock.sleep(MOTOR_BLOCKED_SETTLE_SECONDS)
            self._set_state(before)
            return False
        self._set_state(final)
        return True

    async def _unlatch(self, result: asyncio.Future[CommandResponse] | None) -> bool:
        nominal = UNLATCH_SECONDS
        if self.state not in (LockState.UNLOCKED, LockState.UNLOCKED_LOCK_N_GO):
            nominal += MOTOR_SECONDS
        if not await self._move(LockState.UNLATCHING, LockState.UNLATCHED, nominal, result):
            return False
        _resolve(result, CommandResponse.SUCCESS)
        await self.clock.sleep(UNLATCHED_HOLD_SECONDS)
        return True

    async def _run(self, action: LockAction, result: asyncio.Future[CommandResponse]) -> None:
        try:
            if action is LockAction.UNLOCK:
                await self._move(LockState.UNLOCKING, LockState.UNLOCKED, MOTOR_SECONDS, result)
            elif action is LockAction.LOCK:
                await self._move(LockState.LOCKING, LockState.LOCKED, MOTOR_SECONDS, result)
            elif action is LockAction.FULL_LOCK:
                await self._move(LockState.LOCKING, LockState.LOCKED, 2 * MOTOR_SECONDS, result)
            elif action is LockAction.UNLATCH:
                if await self._unlatch(result):
                    self._set_state(LockState.UNLOCKED)
            else:
                if action is LockAction.LOCK_N_GO_UNLATCH:
                    opened = await self._unlatch(result)
                    if opened:
                        self._set_state(LockState.UNLOCKED_LOCK_N_GO)
                else:
                    opened = await self._move(
                        LockState.UNLOCKING, LockState.UNLOCKED_LOCK_N_GO, MOTOR_SECONDS, result
                    )
                if not opened:
                    return
                _resolve(result, CommandResponse.SUCCESS)
                self._set_motor(False)
                await self.clock.sleep(self.lock_n_go_seconds)
                self._set_motor(True)
                await self._move(LockState.LOCKING, LockState.LOCKED, MOTOR_SECONDS, None)
            _resolve(result, CommandResponse.SUCCESS)
        except asyncio.CancelledError:
            _resolve(result, CommandResponse.CANCELED)
            raise
        finally:
            if asyncio.current_task() is self._sequence:
                self._sequence = None
                self._set_motor(False)

    # -- the physical world ---------------------------------------------------

    def turn_knob(self, lock: bool) -> None:
        """Lock or unlock by hand: no transitional state, cancels a running sequence."""
        self._cancel_sequence()
        self._action_started(
            ActionEvent(
                action=int(LockAction.LOCK if lock else LockAction.UNLOCK),
                trigger=Trigger.RESERVED,
            )
        )
        self._set_state(LockState.LOCKED if lock else LockState.UNLOCKED)

    def jam(self, times: int = 1) -> None:
        """The next ``times`` motor runs end in motor blocked, then settle."""
        self._jams += times

    def clear_jam(self) -> None:
        self._jams = 0

    def set_state(self, state: LockState | int) -> None:
        """Force a state (uncalibrated, boot run ...), cancelling a running sequence."""
        self._cancel_sequence()
        self._set_state(LockState(state))

    def calibrate(self) -> None:
        self.set_state(LockState.UNLOCKED)


class SimOpener(SimDevice):
    """Nuki Opener: ring to open, continuous mode, electric strike, doorbell."""

    SIMPLE_LOCK = OpenerAction.DEACTIVATE_RTO
    SIMPLE_UNLOCK = OpenerAction.ACTIVATE_RTO

    def __init__(
        self,
        nuki_id: int,
        name: str,
        *,
        state: OpenerState = OpenerState.ONLINE,
        mode: Mode = Mode.DOOR,
        continuous_state: OpenerState = OpenerState.RTO_ACTIVE,
        rto_timeout_seconds: float | None = RTO_TIMEOUT_SECONDS,
        battery_level: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(nuki_id, DeviceType.OPENER, name, battery_level=battery_level, **kwargs)
        self.state = OpenerState(state)
        self._mode = Mode(mode)
        # The specification's example shows state 3 in continuous mode; some
        # captures show 1. Configurable so clients can be tested with both.
        self.continuous_state = continuous_state
        self.rto_timeout_seconds = rto_timeout_seconds
        self.ring_action_state = False
        self.ring_action_timestamp: datetime | None = None
        self.ring_count = 0
        self._busy = False
        self._ring_reset: asyncio.Task[None] | None = None
        self._rto_timer: asyncio.Task[None] | None = None

    @property
    def ble_name(self) -> str:
        return f"Nuki_Opener_{self.hex_id}"

    @property
    def mode(self) -> Mode:
        return self._mode

    @property
    def state_id(self) -> int:
        return int(self.state)

    @property
    def state_name(self) -> str:
        return OPENER_STATE_NAMES.get(self.state, "undefined")

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def is_transitional(self) -> bool:
        return self.state is OpenerState.OPENING

    @property
    def continuous_mode(self) -> bool:
        return self._mode is Mode.CONTINUOUS

    @property
    def ring_opens(self) -> bool:
        return self.continuous_mode or self.state is OpenerState.RTO_ACTIVE

    def _extra_state(self, data: dict[str, Any]) -> None:
        if self.ring_action_timestamp is not None:
            data["ringactionTimestamp"] = format_timestamp(self.ring_action_timestamp)
        data["ringactionState"] = self.ring_action_state

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self._wake_waiters()

    def _idle_state(self) -> OpenerState:
        return self.continuous_state if self.continuous_mode else OpenerState.ONLINE

    def _set(self, state: OpenerState, mode: Mode | None = None) -> None:
        self.state = state
        if mode is not None:
            self._mode = mode
        self._changed()

    async def perform(
        self,
        action: OpenerAction | int,
        *,
        wait: bool = True,
        trigger: Trigger = Trigger.SYSTEM,
        auth_id: int = 0,
    ) -> CommandResponse:
        try:
            action = OpenerAction(action)
        except ValueError:
            return CommandResponse.UNKNOWN_ERROR
        if not action.is_known:
            return CommandResponse.UNKNOWN_ERROR
        if self.state is OpenerState.UNTRAINED:
            return CommandResponse.NOT_CALIBRATED
        if self._busy:
            return CommandResponse.BUSY
        self._set_busy(True)
        self._action_started(ActionEvent(action=int(action), trigger=trigger, auth_id=auth_id))
        result: asyncio.Future[CommandResponse] = asyncio.get_running_loop().create_future()
        self._spawn(self._run(action, result))
        if not wait:
            return CommandResponse.SUCCESS
        return await asyncio.shield(result)

    async def simple_lock(self, *, wait: bool = True) -> CommandResponse:
        return await self.perform(self.SIMPLE_LOCK, wait=wait)

    async def simple_unlock(self, *, wait: bool = True) -> CommandResponse:
        return await self.perform(self.SIMPLE_UNLOCK, wait=wait)

    async def _run(self, action: OpenerAction, result: asyncio.Future[CommandResponse]) -> None:
        try:
            if action is OpenerAction.ELECTRIC_STRIKE_ACTUATION:
                await self._open_door(result, consume_rto=False)
            else:
                await self.clock.sleep(OPENER_COMMAND_SECONDS)
                if action is OpenerAction.ACTIVATE_RTO:
                    if not self.continuous_mode:
                        self._set(OpenerState.RTO_ACTIVE)
                    self._start_rto_timer()
                elif action is OpenerAction.DEACTIVATE_RTO:
                    self._stop_rto_timer()
                    if not self.continuous_mode:
                        self._set(OpenerState.ONLINE)
                elif action is OpenerAction.ACTIVATE_CONTINUOUS_MODE:
                    self._stop_rto_timer()
                    self._set(self.continuous_state, Mode.CONTINUOUS)
                else:
                    self._set(OpenerState.ONLINE, Mode.DOOR)
            _resolve(result, CommandResponse.SUCCESS)
        except asyncio.CancelledError:
            _resolve(result, CommandResponse.CANCELED)
            raise
        finally:
            self._set_busy(False)

    async def _open_door(
        self, result: asyncio.Future[CommandResponse] | None, *, consume_rto: bool
    ) -> None:
        back = self.state if self.state in (OpenerState.ONLINE, OpenerState.RTO_ACTIVE) else None
        self._set(OpenerState.OPENING)
        await self.clock.sleep(ELECTRIC_STRIKE_SECONDS)
        self._set(OpenerState.OPEN)
        _resolve(result, CommandResponse.SUCCESS)
        await self.clock.sleep(OPENER_OPEN_SECONDS)
        if consume_rto and not self.continuous_mode:
            # Ring to open is used up by the ring it opened the door for.
            self._stop_rto_timer()
            back = OpenerState.ONLINE
        self._set(back if back is not None else self._idle_state())

    def _start_rto_timer(self) -> None:
        self._stop_rto_timer()
        if self.rto_timeout_seconds is not None:
            self._rto_timer = self._spawn(self._rto_timeout(self.rto_timeout_seconds))

    def _stop_rto_timer(self) -> None:
        if self._rto_timer is not None and self._rto_timer is not asyncio.current_task():
            self._rto_timer.cancel()
        self._rto_timer = None

    async def _rto_timeout(self, nominal: float) -> None:
        await self.clock.sleep(nominal)
        self._rto_timer = None
        if self.state is OpenerState.RTO_ACTIVE and not self.continuous_mode:
            self._set(OpenerState.ONLINE)

    # -- the physical world ---------------------------------------------------

    def ring(self) -> bool:
        """Someone rings the doorbell; True when the opener opens the door for it."""
        self.ring_count += 1
        self.ring_action_state = True
        self.ring_action_timestamp = self.clock.now()
        self._changed()
        if self._ring_reset is not None:
            self._ring_reset.cancel()
        self._ring_reset = self._spawn(self._end_ring_action())
        if not self.ring_opens or self._busy:
            return False
        self._set_busy(True)
        self._spawn(self._ring_open())
        return True

    async def _ring_open(self) -> None:
        try:
            await self._open_door(None, consume_rto=True)
        finally:
            self._set_busy(False)

    async def _end_ring_action(self) -> None:
        await self.clock.sleep(RING_ACTION_SECONDS)
        self._ring_reset = None
        self.ring_action_state = False
        self._changed()

    def set_state(self, state: OpenerState | int) -> None:
        self._set(OpenerState(state))
