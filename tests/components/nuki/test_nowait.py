"""Bridge actions with nowait while push works: the device is held, not the bridge.

The hard cases: a result that no callback brings, a /list that reports the
result before its callbacks, a second command to a device whose first one
still runs, commands to two devices at once with either radio model.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from unittest.mock import patch

import pytest
from aiohttp import web
from homeassistant.components.lock import LockState as HaLockState
from homeassistant.const import SERVICE_LOCK, SERVICE_OPEN, SERVICE_UNLOCK
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from nukilocal.const import LockAction, LockState
from nukilocal.sim.bridge import BridgeSimulator
from nukilocal.sim.callbacks import CallbackDelivery
from nukilocal.sim.clock import SimClock
from nukilocal.sim.server import ApiCall
from tests.support.timing import WAIT

from .conftest import BACK_DOOR, FRONT_DOOR
from .helpers import call

FRONT = "lock.front_door"
BACK = "lock.back_door"


def actions_of(bridge: BridgeSimulator) -> list[tuple[int, int]]:
    """Every action a device of the stand-in started, in order."""
    started: list[tuple[int, int]] = []
    for device in bridge.devices:
        device.add_action_listener(lambda d, event: started.append((d.nuki_id, int(event.action))))
    return started


def nowait_of(bridge: BridgeSimulator) -> list[str]:
    """The nowait parameter of every /lockAction the stand-in answered."""
    seen: list[str] = []

    async def record(api: ApiCall) -> web.StreamResponse:
        seen.append(api.query.get("nowait", "?"))
        return await api.proceed()

    bridge.add_interceptor(record, paths="/lockAction")
    return seen


def hold_callbacks(bridge: BridgeSimulator) -> Callable[[], None]:
    """Callbacks wait until the returned function is called."""
    released = asyncio.Event()

    async def hold(delivery: CallbackDelivery) -> bool:
        async with asyncio.timeout(WAIT):
            await released.wait()
        return await delivery.proceed()

    bridge.add_callback_interceptor(hold)
    return released.set


class HeldClock(SimClock):
    """A device's clock whose motor runs wait until ``released`` is set."""

    def __init__(self, clock: SimClock) -> None:
        super().__init__(clock.time_factor, clock.offset)
        self.released = asyncio.Event()

    async def sleep(self, nominal: float) -> None:
        await self.released.wait()
        await super().sleep(nominal)


def hold_motor_until_refused(bridge: BridgeSimulator, nuki_id: int) -> None:
    """The device's motor runs once the bridge answered an action 503: the first
    action of another device is sure to find the radio taken."""
    device = bridge.device(nuki_id)
    clock = device.clock = HeldClock(device.clock)

    async def release_on_refusal(api: ApiCall) -> web.StreamResponse:
        response = await api.proceed()
        if response.status == 503:
            clock.released.set()
        return response

    bridge.add_interceptor(release_on_refusal, paths="/lockAction")


async def test_actions_go_with_nowait_while_push_works(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    """The call still returns when the device reported its result."""
    nowait = nowait_of(bridge)
    await call(hass, SERVICE_UNLOCK, FRONT)
    assert nowait == ["1"]
    assert bridge.lock(FRONT_DOOR).state is LockState.UNLOCKED
    assert hass.states.get(FRONT).state == HaLockState.UNLOCKED


async def test_without_push_the_bridge_waits_for_the_device(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration: MockConfigEntry
) -> None:
    nowait = nowait_of(bridge)
    await call(hass, SERVICE_UNLOCK, FRONT)
    assert nowait == ["0"]
    assert bridge.lock(FRONT_DOOR).state is LockState.UNLOCKED


async def test_no_callback_comes_a_list_tells_the_result(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    """The callbacks are lost: a /list after the wait shows the lock moved; done, not re-sent."""
    started = actions_of(bridge)

    async def lose(delivery: CallbackDelivery) -> bool:
        return False

    bridge.add_callback_interceptor(lose)
    lists = bridge.stats.requests["/list"]
    with patch("custom_components.nuki.commands.RESULT_TIMEOUT", 0.5):
        await call(hass, SERVICE_UNLOCK, FRONT)
    assert started == [(FRONT_DOOR, int(LockAction.UNLOCK))]
    assert bridge.stats.requests["/list"] > lists
    assert hass.states.get(FRONT).state == HaLockState.UNLOCKED


async def test_accepted_but_never_carried_out_is_an_unknown_outcome(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    """A bridge that said yes and did nothing: the call says unknown; never sent again."""

    async def accept_only(api: ApiCall) -> web.StreamResponse:
        return web.json_response({"success": True})

    bridge.add_interceptor(accept_only, paths="/lockAction")
    with (
        patch("custom_components.nuki.commands.RESULT_TIMEOUT", 0.3),
        pytest.raises(HomeAssistantError) as raised,
    ):
        await call(hass, SERVICE_UNLOCK, FRONT)
    assert raised.value.translation_key == "outcome_unknown"
    assert bridge.stats.requests["/lockAction"] == 1
    assert bridge.lock(FRONT_DOOR).state is LockState.LOCKED
    assert hass.states.get(FRONT).state == HaLockState.LOCKED


async def test_a_list_overtakes_the_callbacks(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    """The result read by a poll before any callback arrived ends the wait."""
    release = hold_callbacks(bridge)
    lock = bridge.lock(FRONT_DOOR)
    command = hass.async_create_task(call(hass, SERVICE_UNLOCK, FRONT))
    await lock.wait_for(lambda d: d.state is LockState.UNLOCKED and not d.busy, timeout=WAIT)
    await init_integration_push.runtime_data.bridge.async_refresh()
    async with asyncio.timeout(WAIT):
        await command
    assert hass.states.get(FRONT).state == HaLockState.UNLOCKED
    release()
    await bridge.drain_callbacks()
    await hass.async_block_till_done()
    assert hass.states.get(FRONT).state == HaLockState.UNLOCKED


async def test_a_second_command_waits_for_the_first_result(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    """Same device: the second is sent after the first one's result, both carried out once."""
    started = actions_of(bridge)
    order: list[str] = []

    async def run(service: str) -> None:
        await call(hass, service, FRONT)
        order.append(service)

    first = hass.async_create_task(run(SERVICE_UNLOCK))
    second = hass.async_create_task(run(SERVICE_LOCK))
    async with asyncio.timeout(WAIT):
        await asyncio.gather(first, second)
    assert order == [SERVICE_UNLOCK, SERVICE_LOCK]
    assert started == [
        (FRONT_DOOR, int(LockAction.UNLOCK)),
        (FRONT_DOOR, int(LockAction.LOCK)),
    ]
    assert bridge.stats.requests["/lockAction"] == 2
    assert hass.states.get(FRONT).state == HaLockState.LOCKED


@pytest.mark.parametrize("radio", ["exclusive", "parallel"])
async def test_two_devices_at_once(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration_push: MockConfigEntry,
    radio: str,
) -> None:
    """Both carried out once whichever radio the bridge has."""
    bridge.radio = radio
    started = actions_of(bridge)
    async with asyncio.timeout(WAIT):
        await asyncio.gather(call(hass, SERVICE_OPEN, FRONT), call(hass, SERVICE_UNLOCK, BACK))
    assert sorted(started) == sorted(
        [(FRONT_DOOR, int(LockAction.UNLATCH)), (BACK_DOOR, int(LockAction.UNLOCK))]
    )
    # 503s (a radio that runs one device at a time) were not executed, and sent again.
    assert bridge.stats.requests["/lockAction"] == 2 + bridge.stats.radio_refused
    assert bridge.stats.max_in_flight == 1
    await bridge.drain_callbacks()
    await hass.async_block_till_done()
    assert hass.states.get(BACK).state == HaLockState.UNLOCKED


async def test_one_device_at_a_time_after_the_first_refusal(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    """A radio that runs one device at a time refuses one action; the others wait for
    the running one's result instead of being refused on the way."""
    bridge.radio = "exclusive"
    started = actions_of(bridge)
    hold_motor_until_refused(bridge, FRONT_DOOR)
    async with asyncio.timeout(WAIT):
        await asyncio.gather(
            call(hass, SERVICE_UNLOCK, FRONT),
            call(hass, SERVICE_UNLOCK, BACK),
            call(hass, SERVICE_LOCK, FRONT),
            call(hass, SERVICE_LOCK, BACK),
        )
    assert bridge.stats.radio_refused == 1
    assert bridge.stats.requests["/lockAction"] == 5
    for nuki_id in (FRONT_DOOR, BACK_DOOR):
        assert [a for n, a in started if n == nuki_id] == [LockAction.UNLOCK, LockAction.LOCK]


async def test_the_next_burst_learns_the_radio_again(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    """Once all actions are done, a refusal is forgotten: a radio that runs devices in
    parallel (a 503 can have had another cause) runs them in parallel again."""
    bridge.radio = "exclusive"
    hold_motor_until_refused(bridge, FRONT_DOOR)
    async with asyncio.timeout(WAIT):
        await asyncio.gather(call(hass, SERVICE_UNLOCK, FRONT), call(hass, SERVICE_UNLOCK, BACK))
    assert bridge.stats.radio_refused == 1
    bridge.radio = "parallel"
    both_started = asyncio.Event()
    started = actions_of(bridge)
    for device in bridge.devices:
        device.add_action_listener(lambda _d, _e: len(started) == 2 and both_started.set())
    release = hold_callbacks(bridge)
    calls = asyncio.gather(call(hass, SERVICE_LOCK, FRONT), call(hass, SERVICE_LOCK, BACK))
    try:
        # While the first action's result is held back, the second one is sent.
        async with asyncio.timeout(WAIT):
            await both_started.wait()
    finally:
        release()
    async with asyncio.timeout(WAIT):
        await calls
    assert bridge.stats.radio_refused == 1
