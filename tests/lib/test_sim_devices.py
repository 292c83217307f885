"""The transport-neutral lock and opener machines, driven directly."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from nukilocal.const import (
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
from nukilocal.models import DeviceState
from nukilocal.sim import SimClock, SimDevice, SimOpener, SimSmartLock, default_devices, load_config
from nukilocal.sim.devices import ActionEvent
from tests.support.timing import WAIT

FACTOR = 0.002


@pytest.fixture
async def lock() -> SimSmartLock:
    device = SimSmartLock(
        11, "Test lock", clock=SimClock(FACTOR), door_sensor=DoorSensorState.DOOR_CLOSED
    )
    yield device
    await device.close()


@pytest.fixture
async def opener() -> SimOpener:
    device = SimOpener(22, "Test opener", clock=SimClock(FACTOR))
    yield device
    await device.close()


def record(device: SimDevice) -> list[int]:
    seen: list[int] = []
    device.add_listener(lambda d: seen.append(d.state_id))
    return seen


async def test_unlock_goes_through_unlocking(lock: SimSmartLock) -> None:
    seen = record(lock)
    assert await lock.perform(LockAction.UNLOCK) is CommandResponse.SUCCESS
    assert seen == [LockState.UNLOCKING, LockState.UNLOCKED]
    assert lock.state is LockState.UNLOCKED
    assert not lock.busy


async def test_second_action_while_motor_runs_is_busy(lock: SimSmartLock) -> None:
    assert await lock.perform(LockAction.UNLOCK, wait=False) is CommandResponse.SUCCESS
    assert lock.busy
    assert await lock.perform(LockAction.LOCK) is CommandResponse.BUSY
    await lock.wait_for(lambda d: not d.busy, WAIT)
    assert lock.state is LockState.UNLOCKED


async def test_unlatch_from_locked_holds_then_unlocks(lock: SimSmartLock) -> None:
    seen = record(lock)
    assert await lock.perform(LockAction.UNLATCH) is CommandResponse.SUCCESS
    # The result comes when the latch is open; the lock is still busy holding it.
    assert lock.state is LockState.UNLATCHED
    assert lock.busy
    await lock.wait_for_state(LockState.UNLOCKED, timeout=WAIT)
    assert seen == [LockState.UNLATCHING, LockState.UNLATCHED, LockState.UNLOCKED]


async def test_lock_n_go_relocks(lock: SimSmartLock) -> None:
    seen = record(lock)
    assert await lock.perform(LockAction.LOCK_N_GO) is CommandResponse.SUCCESS
    assert lock.state is LockState.UNLOCKED_LOCK_N_GO
    await lock.wait_for_state(LockState.LOCKED, timeout=WAIT)
    assert seen == [
        LockState.UNLOCKING,
        LockState.UNLOCKED_LOCK_N_GO,
        LockState.LOCKING,
        LockState.LOCKED,
    ]


async def test_lock_n_go_with_unlatch(lock: SimSmartLock) -> None:
    seen = record(lock)
    assert await lock.perform(LockAction.LOCK_N_GO_UNLATCH) is CommandResponse.SUCCESS
    await lock.wait_for_state(LockState.LOCKED, timeout=WAIT)
    assert seen == [
        LockState.UNLATCHING,
        LockState.UNLATCHED,
        LockState.UNLOCKED_LOCK_N_GO,
        LockState.LOCKING,
        LockState.LOCKED,
    ]


async def test_action_during_lock_n_go_wait_cancels_relock() -> None:
    device = SimSmartLock(1, "L", clock=SimClock(FACTOR), lock_n_go_seconds=1000)
    try:
        await device.perform(LockAction.LOCK_N_GO)
        assert not device.busy
        assert await device.perform(LockAction.UNLOCK) is CommandResponse.SUCCESS
        assert device.state is LockState.UNLOCKED
        # The relock that lock 'n' go had planned does not run on: no task is left.
        assert asyncio.all_tasks() == {asyncio.current_task()}
    finally:
        await device.close()


async def test_jam_blocks_then_settles_where_the_bolt_is(lock: SimSmartLock) -> None:
    seen = record(lock)
    lock.jam()
    assert await lock.perform(LockAction.UNLOCK) is CommandResponse.MOTOR_BLOCKED
    assert lock.state is LockState.MOTOR_BLOCKED
    assert lock.busy
    await lock.wait_for(lambda d: not d.busy, WAIT)
    assert seen == [LockState.UNLOCKING, LockState.MOTOR_BLOCKED, LockState.LOCKED]
    # Only the next run was jammed.
    assert await lock.perform(LockAction.UNLOCK) is CommandResponse.SUCCESS


async def test_full_lock(lock: SimSmartLock) -> None:
    lock.turn_knob(lock=False)
    assert await lock.perform(LockAction.FULL_LOCK) is CommandResponse.SUCCESS
    assert lock.state is LockState.LOCKED


async def test_uncalibrated_refuses_and_unknown_action() -> None:
    device = SimSmartLock(1, "L", clock=SimClock(FACTOR), state=LockState.UNCALIBRATED)
    assert await device.perform(LockAction.LOCK) is CommandResponse.NOT_CALIBRATED
    device.calibrate()
    assert await device.perform(99) is CommandResponse.UNKNOWN_ERROR
    assert device.state is LockState.UNLOCKED
    await device.close()


async def test_knob_cancels_motor_and_reports_manual_action(lock: SimSmartLock) -> None:
    events: list[ActionEvent] = []
    lock.add_action_listener(lambda _d, e: events.append(e))
    waiting = asyncio.ensure_future(lock.perform(LockAction.UNLOCK))
    await lock.wait_for_state(LockState.UNLOCKING, timeout=WAIT)
    lock.turn_knob(lock=True)
    assert await waiting is CommandResponse.CANCELED
    assert lock.state is LockState.LOCKED
    assert [e.payload for e in events] == ["1,0,0,0,0", f"2,{int(Trigger.RESERVED)},0,0,0"]


async def test_physical_world_changes_notify(lock: SimSmartLock) -> None:
    seen: list[dict[str, object]] = []
    lock.add_listener(lambda d: seen.append(d.state_dict()))
    lock.set_door(is_open=True)
    lock.set_battery(12)
    lock.set_battery(charging=True)
    lock.set_keypad_battery_critical(True)
    lock.set_online(False)
    assert [s["doorsensorStateName"] for s in seen][:1] == ["door opened"]
    assert seen[1]["batteryChargeState"] == 12
    assert seen[1]["batteryCritical"] is True
    assert seen[2]["batteryCharging"] is True
    assert seen[3]["keypadBatteryCritical"] is True
    assert not lock.online
    with pytest.raises(ValueError, match="percentage"):
        lock.set_battery(101)
    no_sensor = SimSmartLock(2, "No sensor")
    with pytest.raises(ValueError, match="door sensor"):
        no_sensor.set_door(is_open=True)


async def test_state_dict_round_trips_through_the_library_parser(lock: SimSmartLock) -> None:
    data = lock.state_dict()
    assert set(data) == {
        "mode",
        "state",
        "stateName",
        "batteryCritical",
        "batteryCharging",
        "batteryChargeState",
        "doorsensorState",
        "doorsensorStateName",
        "timestamp",
    }
    assert data["timestamp"].endswith("+00:00")
    parsed = DeviceState.from_dict(data, DeviceType.SMARTLOCK_3)
    assert parsed.state is LockState.LOCKED
    assert parsed.door_open is False
    item = lock.list_item()
    assert list(item) == ["deviceType", "nukiId", "name", "firmwareVersion", "lastKnownState"]
    assert "deviceType" not in lock.list_item(with_device_type=False)
    body = lock.callback_body()
    assert body["nukiId"] == 11
    assert body["deviceType"] == 4
    assert "timestamp" not in body


async def test_wait_for_times_out(lock: SimSmartLock) -> None:
    with pytest.raises(TimeoutError):
        await lock.wait_for(lambda d: d.state is LockState.UNLATCHED, timeout=0.01)
    assert lock.waiting == 0


async def test_listener_errors_do_not_break_the_machine(lock: SimSmartLock) -> None:
    def broken(_device: SimDevice) -> None:
        raise RuntimeError("boom")

    seen = record(lock)
    remove = lock.add_listener(broken)
    assert await lock.perform(LockAction.UNLOCK) is CommandResponse.SUCCESS
    remove()
    remove()
    assert seen[-1] == LockState.UNLOCKED


# -- opener -----------------------------------------------------------------


async def test_opener_rto_and_ring_opens_once(opener: SimOpener) -> None:
    seen = record(opener)
    assert await opener.perform(OpenerAction.ACTIVATE_RTO) is CommandResponse.SUCCESS
    assert opener.state is OpenerState.RTO_ACTIVE
    assert opener.ring() is True
    assert opener.ring_action_state is True
    await opener.wait_for(lambda d: not d.busy and not d.ring_action_state, WAIT)
    assert seen == [
        OpenerState.RTO_ACTIVE,
        OpenerState.RTO_ACTIVE,  # ring
        OpenerState.OPENING,
        OpenerState.OPEN,
        OpenerState.ONLINE,  # ring to open used up
        OpenerState.ONLINE,  # ringactionState back to false
    ]
    assert opener.ring() is False
    data = opener.state_dict()
    assert data["ringactionState"] is True
    assert data["ringactionTimestamp"].endswith("+00:00")
    assert "batteryChargeState" not in data


async def test_opener_continuous_mode_opens_on_every_ring(opener: SimOpener) -> None:
    assert await opener.perform(OpenerAction.ACTIVATE_CONTINUOUS_MODE) is CommandResponse.SUCCESS
    assert opener.mode is Mode.CONTINUOUS
    assert opener.state is OpenerState.RTO_ACTIVE
    for _ in range(2):
        assert opener.ring() is True
        await opener.wait_for(lambda d: not d.busy, WAIT)
        assert opener.mode is Mode.CONTINUOUS
        assert opener.state is OpenerState.RTO_ACTIVE
    assert await opener.perform(OpenerAction.DEACTIVATE_CONTINUOUS_MODE) is CommandResponse.SUCCESS
    assert (opener.mode, opener.state) == (Mode.DOOR, OpenerState.ONLINE)
    assert opener.ring() is False


async def test_opener_electric_strike_and_busy(opener: SimOpener) -> None:
    seen = record(opener)
    task = asyncio.ensure_future(opener.perform(OpenerAction.ELECTRIC_STRIKE_ACTUATION))
    await opener.wait_for_state(OpenerState.OPENING, timeout=WAIT)
    assert await opener.perform(OpenerAction.ACTIVATE_RTO) is CommandResponse.BUSY
    assert await task is CommandResponse.SUCCESS
    await opener.wait_for(lambda d: not d.busy, WAIT)
    assert seen == [OpenerState.OPENING, OpenerState.OPEN, OpenerState.ONLINE]


async def test_opener_rto_times_out() -> None:
    opener = SimOpener(3, "O", clock=SimClock(FACTOR), rto_timeout_seconds=5)
    await opener.perform(OpenerAction.ACTIVATE_RTO)
    await opener.wait_for_state(OpenerState.ONLINE, timeout=WAIT)
    untrained = SimOpener(4, "U", state=OpenerState.UNTRAINED)
    assert await untrained.perform(OpenerAction.ACTIVATE_RTO) is CommandResponse.NOT_CALIBRATED
    await opener.close()


# -- configuration ----------------------------------------------------------


def test_default_devices() -> None:
    devices = default_devices()
    assert [(d.nuki_id, d.device_type) for d in devices] == [
        (1015571181, DeviceType.SMARTLOCK_3),
        (437991291, DeviceType.SMARTLOCK),
        (930999314, DeviceType.OPENER),
    ]
    assert devices[0].door_sensor_state is DoorSensorState.DOOR_CLOSED
    assert devices[1].door_sensor_state is None
    assert devices[2].ble_name == "Nuki_Opener_377DEC12"


def test_load_config(tmp_path: Path) -> None:
    path = tmp_path / "bridge.json"
    path.write_text(
        json.dumps(
            {
                "token": "secret12",
                "bridgeType": 2,
                "timeFactor": 0.5,
                "devices": [
                    {"nukiId": 5, "deviceType": 3, "state": 3, "doorsensorState": 3},
                    {"nukiId": 6, "deviceType": 2, "name": "Gate", "mode": 3, "state": 3},
                ],
            }
        )
    )
    config = load_config(path)
    assert config.token == "secret12"
    assert config.time_factor == 0.5
    lock, opener = config.devices
    assert isinstance(lock, SimSmartLock)
    assert lock.state is LockState.UNLOCKED
    assert lock.device_type is DeviceType.SMARTDOOR
    assert lock.door_sensor_state is DoorSensorState.DOOR_OPENED
    assert isinstance(opener, SimOpener)
    assert opener.continuous_mode
    path.write_text("{nope")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_config(path)
    path.write_text(json.dumps({"devices": [{"name": "no id"}]}))
    with pytest.raises(ValueError, match="nukiId"):
        load_config(path)
