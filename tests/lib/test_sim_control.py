"""The stand-in's control interface, through SimControlClient and raw requests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from nukilocal.const import DoorSensorState, LockState, OpenerState
from nukilocal.exceptions import (
    NukiAuthError,
    NukiBadRequestError,
    NukiConnectionError,
    NukiUnknownDeviceError,
)
from nukilocal.sim import BridgeSimulator, SimControlClient
from tests.support.ids import BACK_DOOR, FRONT_DOOR, OPENER, TOKEN
from tests.support.timing import WAIT


@pytest.fixture
async def control(bridge_sim: BridgeSimulator) -> AsyncIterator[SimControlClient]:
    async with SimControlClient(bridge_sim.base_url, TOKEN) as client:
        yield client


async def test_devices_and_physical_world(
    bridge_sim: BridgeSimulator, control: SimControlClient
) -> None:
    devices = await control.devices()
    assert [d["nukiId"] for d in devices] == [FRONT_DOOR, BACK_DOOR, OPENER]
    assert devices[0]["state"]["stateName"] == "locked"
    await control.turn_knob(FRONT_DOOR, lock=False)
    await control.set_door(FRONT_DOOR, is_open=True)
    await control.set_battery(FRONT_DOOR, level=15, charging=True)
    await control.set_keypad_battery_critical(FRONT_DOOR, True)
    await control.jam(FRONT_DOOR, times=2)
    front = bridge_sim.lock(FRONT_DOOR)
    assert front.state is LockState.UNLOCKED
    assert front.door_sensor_state is DoorSensorState.DOOR_OPENED
    assert (front.battery_level, front.battery_critical, front.battery_charging) == (15, True, True)
    assert front.keypad_battery_critical is True
    assert front.jam_pending == 2
    await control.set_online(BACK_DOOR, False)
    assert bridge_sim.device(BACK_DOOR).online is False


async def test_identity_shows_in_list_without_a_callback(
    bridge_sim: BridgeSimulator, control: SimControlClient, http: aiohttp.ClientSession
) -> None:
    renamed: list[str] = []
    state_changes: list[int] = []
    front_door = bridge_sim.device(FRONT_DOOR)
    front_door.add_identity_listener(lambda device: renamed.append(device.name))
    front_door.add_listener(lambda device: state_changes.append(device.state_id))
    await control.set_identity(FRONT_DOOR, name="Porch", firmware="3.9.2")
    async with http.get(f"{bridge_sim.base_url}/list", params={"token": TOKEN}) as response:
        front = next(d for d in await response.json() if d["nukiId"] == FRONT_DOOR)
    assert (front["name"], front["firmwareVersion"]) == ("Porch", "3.9.2")
    assert renamed == ["Porch"]
    # A rename is not a state change: the bridge sends no callback for it.
    assert state_changes == []
    with pytest.raises(NukiBadRequestError, match="1 to 32 characters"):
        await control.set_identity(FRONT_DOOR, name="x" * 33)
    with pytest.raises(NukiBadRequestError, match="not empty"):
        await control.set_identity(FRONT_DOOR, firmware=" ")
    assert bridge_sim.device(FRONT_DOOR).name == "Porch"


async def test_ring_through_control(bridge_sim: BridgeSimulator, control: SimControlClient) -> None:
    opener = bridge_sim.opener(OPENER)
    assert await control.ring(OPENER) is False
    assert opener.ring_action_state is True
    opener.state = OpenerState.RTO_ACTIVE
    assert await control.ring(OPENER) is True
    await opener.wait_for_state(OpenerState.ONLINE, timeout=WAIT)
    assert opener.ring_count == 2


async def test_button_faults_clock_stats(
    bridge_sim: BridgeSimulator, control: SimControlClient, http: aiohttp.ClientSession
) -> None:
    assert await control.press_button() is False
    auth = asyncio.ensure_future(http.get(f"{bridge_sim.base_url}/auth"))
    await bridge_sim.wait_for_auth_request(timeout=WAIT)
    # The control interface answers although /auth holds the bridge's only slot.
    assert await control.press_button() is True
    async with await auth as response:
        assert (await response.json())["token"] == TOKEN
    faults = await control.set_faults(force503=2, latency=0.01, malformed=1)
    assert faults == {
        "force503": 2,
        "latency": 0.01,
        "hang": 0.0,
        "reset": 0,
        "malformed": 1,
        "truncated": 0,
        "burstWindow": 0.0,
        "burstHang": 0.0,
        "failedCallbackBlocks": False,
    }
    fragile = await control.set_faults(burst_window=0.5, burst_hang=60, failed_callback_blocks=True)
    assert (fragile["burstWindow"], fragile["burstHang"]) == (0.5, 60.0)
    assert fragile["failedCallbackBlocks"] is True
    assert (await control.clear_faults())["force503"] == 0
    await control.set_clock_offset(-90)
    assert bridge_sim.clock_offset.total_seconds() == -90
    stats = await control.stats()
    # Only the /auth call counts; control requests never do.
    assert stats["requests"] == {"/auth": 1}
    assert stats["totalRequests"] == 1
    await control.reset_stats()
    assert (await control.stats())["totalRequests"] == 0


async def test_reboot_and_callbacks(bridge_sim: BridgeSimulator, control: SimControlClient) -> None:
    bridge_sim.add_callback("http://h.test/cb")
    assert await control.callbacks() == ["http://h.test/cb"]
    await control.reboot()
    assert await control.callbacks() == ["http://h.test/cb"]
    await control.reboot(forget_callbacks=True)
    assert await control.callbacks() == []


async def test_control_errors(bridge_sim: BridgeSimulator, control: SimControlClient) -> None:
    with pytest.raises(NukiUnknownDeviceError):
        await control.turn_knob(12345, lock=True)
    with pytest.raises(NukiBadRequestError, match="knob"):
        await control.turn_knob(OPENER, lock=True)
    with pytest.raises(NukiBadRequestError, match="doorbell"):
        await control.ring(FRONT_DOOR)
    with pytest.raises(NukiBadRequestError, match="door sensor"):
        await control.set_door(BACK_DOOR, is_open=True)
    with pytest.raises(NukiBadRequestError, match="percentage"):
        await control.set_battery(FRONT_DOOR, level=150)
    with pytest.raises(NukiBadRequestError):
        await control.request("faults", force503=-1)
    async with SimControlClient(bridge_sim.base_url, "wrong-token") as intruder:
        with pytest.raises(NukiAuthError):
            await intruder.devices()
    async with SimControlClient("http://127.0.0.1:9", TOKEN) as nowhere:
        with pytest.raises(NukiConnectionError):
            await nowhere.devices()


async def test_raw_get_with_query_token(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    async with http.get(
        f"{bridge_sim.base_url}/sim/door",
        params={"token": TOKEN, "nukiId": str(FRONT_DOOR), "open": "1"},
    ) as response:
        assert response.status == 200
        data = await response.json()
    assert data["device"]["state"]["doorsensorState"] == 3
    async with http.get(f"{bridge_sim.base_url}/sim/stats") as response:
        assert response.status == 401
