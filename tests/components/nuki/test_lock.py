"""Lock entities of smart locks and openers: states, commands, errors."""

from __future__ import annotations

import asyncio

import pytest
from homeassistant.components.lock import LockState as HaLockState
from homeassistant.const import (
    SERVICE_LOCK,
    SERVICE_OPEN,
    SERVICE_UNLOCK,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.nuki.const import VERIFY_AFTER_COMMAND
from nukilocal.const import LockState, OpenerAction, OpenerState
from nukilocal.sim.bridge import BridgeSimulator

from .conftest import BACK_DOOR, FRONT_DOOR, OPENER, SnapshotEntities
from .helpers import call, poll, time_passes

FRONT = "lock.front_door"
BACK = "lock.back_door"
ENTRANCE = "lock.building_entrance"


async def test_snapshot(
    no_local_url: None,
    snapshot_entities: SnapshotEntities,
    mock_config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    await snapshot_entities(Platform.LOCK)
    devices = dr.async_entries_for_config_entry(device_registry, mock_config_entry.entry_id)
    assert sorted(devices, key=lambda d: d.name or "") == snapshot(name="devices")


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (LockState.LOCKED, HaLockState.LOCKED),
        (LockState.UNLOCKING, HaLockState.UNLOCKING),
        (LockState.UNLOCKED, HaLockState.UNLOCKED),
        (LockState.LOCKING, HaLockState.LOCKING),
        (LockState.UNLATCHED, HaLockState.OPEN),
        (LockState.UNLOCKED_LOCK_N_GO, HaLockState.UNLOCKED),
        (LockState.UNLATCHING, HaLockState.OPENING),
        (LockState.MOTOR_BLOCKED, HaLockState.JAMMED),
        (LockState.UNCALIBRATED, STATE_UNKNOWN),
        (LockState.UNDEFINED, STATE_UNKNOWN),
    ],
)
async def test_smart_lock_states(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    state: LockState,
    expected: str,
) -> None:
    bridge.lock(FRONT_DOOR).set_state(state)
    await poll(hass)
    assert hass.states.get(FRONT).state == expected


async def test_jammed_cleared_by_next_state(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration: MockConfigEntry
) -> None:
    lock = bridge.lock(FRONT_DOOR)
    lock.set_state(LockState.MOTOR_BLOCKED)
    await poll(hass)
    assert hass.states.get(FRONT).state == HaLockState.JAMMED
    lock.set_state(LockState.UNLOCKED)
    await poll(hass)
    assert hass.states.get(FRONT).state == HaLockState.UNLOCKED


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (OpenerState.ONLINE, HaLockState.LOCKED),
        (OpenerState.RTO_ACTIVE, HaLockState.UNLOCKED),
        (OpenerState.OPEN, HaLockState.OPEN),
        (OpenerState.OPENING, HaLockState.OPENING),
        (OpenerState.UNTRAINED, STATE_UNKNOWN),
        (OpenerState.BOOT_RUN, STATE_UNKNOWN),
    ],
)
async def test_opener_states(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    state: OpenerState,
    expected: str,
) -> None:
    bridge.opener(OPENER).set_state(state)
    await poll(hass)
    assert hass.states.get(ENTRANCE).state == expected


@pytest.mark.parametrize("continuous_state", [OpenerState.RTO_ACTIVE, OpenerState.ONLINE])
async def test_opener_continuous_mode_is_unlocked(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    continuous_state: OpenerState,
) -> None:
    """Whether the opener reports state 3 or 1 in continuous mode, a ring opens."""
    opener = bridge.opener(OPENER)
    opener.continuous_state = continuous_state
    await opener.perform(OpenerAction.ACTIVATE_CONTINUOUS_MODE)
    await poll(hass)
    assert hass.states.get(ENTRANCE).state == HaLockState.UNLOCKED

    # Locking leaves continuous mode: otherwise every ring would still open.
    await call(hass, SERVICE_LOCK, ENTRANCE)
    assert not opener.continuous_mode
    await poll(hass)
    assert hass.states.get(ENTRANCE).state == HaLockState.LOCKED


async def test_smart_lock_commands_push(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    """Final states arrive by callback: no poll, no wait."""
    lock = bridge.lock(FRONT_DOOR)
    await call(hass, SERVICE_UNLOCK, FRONT)
    assert lock.state is LockState.UNLOCKED
    await bridge.drain_callbacks()
    await hass.async_block_till_done()
    assert hass.states.get(FRONT).state == HaLockState.UNLOCKED

    await call(hass, SERVICE_OPEN, FRONT)
    await bridge.drain_callbacks()
    await hass.async_block_till_done()
    assert hass.states.get(FRONT).state == HaLockState.OPEN

    await lock.wait_for_state(LockState.UNLOCKED, timeout=5)
    await call(hass, SERVICE_LOCK, FRONT)
    await bridge.drain_callbacks()
    await hass.async_block_till_done()
    assert hass.states.get(FRONT).state == HaLockState.LOCKED
    assert bridge.stats.requests["/list"] == 1


async def test_opener_commands_push(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    opener = bridge.opener(OPENER)
    await call(hass, SERVICE_UNLOCK, ENTRANCE)
    assert opener.state is OpenerState.RTO_ACTIVE
    await bridge.drain_callbacks()
    await hass.async_block_till_done()
    assert hass.states.get(ENTRANCE).state == HaLockState.UNLOCKED

    await call(hass, SERVICE_LOCK, ENTRANCE)
    assert opener.state is OpenerState.ONLINE
    await bridge.drain_callbacks()
    await hass.async_block_till_done()
    assert hass.states.get(ENTRANCE).state == HaLockState.LOCKED

    await call(hass, SERVICE_OPEN, ENTRANCE)
    await bridge.drain_callbacks()
    await hass.async_block_till_done()
    assert hass.states.get(ENTRANCE).state == HaLockState.OPEN


async def test_transition_shown_at_once_then_verified(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration: MockConfigEntry
) -> None:
    """Without callbacks: the transition shows at once, one /list confirms the result."""
    lock = bridge.lock(BACK_DOOR)
    lock.clock.time_factor = 0.1  # a slower motor: time to look at the state
    seen: list[str] = []
    task = hass.async_create_task(call(hass, SERVICE_LOCK, BACK))
    await lock.wait_for(lambda d: d.busy, timeout=5)
    seen.append(hass.states.get(BACK).state)
    await task
    assert lock.state is LockState.LOCKED
    assert hass.states.get(BACK).state == HaLockState.LOCKING
    lists = bridge.stats.requests["/list"]

    await time_passes(hass, VERIFY_AFTER_COMMAND)
    assert seen == [HaLockState.LOCKING]
    assert hass.states.get(BACK).state == HaLockState.LOCKED
    assert bridge.stats.requests["/list"] == lists + 1


@pytest.mark.parametrize(
    ("service", "transition"),
    [
        (SERVICE_UNLOCK, HaLockState.UNLOCKING),
        (SERVICE_LOCK, HaLockState.LOCKING),
        (SERVICE_OPEN, HaLockState.OPENING),
    ],
)
async def test_opener_transitions(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    service: str,
    transition: str,
) -> None:
    opener = bridge.opener(OPENER)
    opener.clock.time_factor = 0.1
    task = hass.async_create_task(call(hass, service, ENTRANCE))
    await opener.wait_for(lambda d: d.busy, timeout=5)
    assert hass.states.get(ENTRANCE).state == transition
    await task


@pytest.mark.parametrize("radio", ["exclusive", "parallel"])
async def test_burst_of_20_commands(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration_push: MockConfigEntry,
    radio: str,
) -> None:
    """Automations firing together: all 20 carried out once, one request at a time.

    The stand-in is as fragile as a real bridge here: a request sooner after
    the previous answer than the client's pause (5 ms in these tests, 0.5 s in
    use) would make it hang. With push working every action goes with nowait;
    a bridge whose radio runs one device at a time answers 503 to an action
    while another device's still runs, and that one is sent again later.
    """
    bridge.radio = radio
    bridge.faults.burst_window = 0.004
    bridge.faults.burst_hang = 0.5
    started: list[tuple[int, int]] = []
    for device in bridge.devices:
        device.add_action_listener(lambda d, event: started.append((d.nuki_id, event.action)))
    commands = []
    for i in range(20):
        entity_id = (FRONT, BACK, ENTRANCE, FRONT)[i % 4]
        commands.append(call(hass, SERVICE_LOCK if i % 2 else SERVICE_UNLOCK, entity_id))
    await asyncio.gather(*commands)
    # Each carried out once: 503s (exclusive radio only) were not executed.
    assert len(started) == 20
    assert bridge.stats.requests["/lockAction"] == 20 + bridge.stats.radio_refused
    if radio == "parallel":
        assert bridge.stats.radio_refused == 0
    assert bridge.stats.max_in_flight == 1
    assert bridge.stats.bursts == 0


async def test_failed_command_restores_state(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration: MockConfigEntry
) -> None:
    lock = bridge.lock(FRONT_DOOR)
    lock.jam()
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, SERVICE_UNLOCK, FRONT)
    assert err.value.translation_key == "command_refused"
    assert "Front door did not carry out the command" in str(err.value)
    # No transition left behind: the entity shows what the bridge reported.
    assert hass.states.get(FRONT).state == HaLockState.LOCKED


@pytest.mark.parametrize(
    ("fault", "translation_key", "text"),
    [
        ("busy", "bridge_busy", "was not sent"),
        ("reset", "outcome_unknown", "may or may not have been carried out"),
        ("unpaired", "unknown_device", "no longer knows Front door"),
        ("down", "cannot_connect", "Cannot reach the Nuki Bridge"),
    ],
)
async def test_command_errors_translated(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    fault: str,
    translation_key: str,
    text: str,
) -> None:
    lock = bridge.lock(FRONT_DOOR)
    if fault == "busy":
        bridge.faults.force_503 = 50
    elif fault == "reset":
        bridge.faults.reset = 1
    elif fault == "unpaired":
        bridge.remove_device(FRONT_DOOR)
    else:
        await bridge.stop()
    lock_actions = bridge.stats.requests["/lockAction"]
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, SERVICE_UNLOCK, FRONT)
    assert err.value.translation_domain == "nuki"
    assert err.value.translation_key == translation_key
    assert text in str(err.value)
    assert hass.states.get(FRONT).state == HaLockState.LOCKED
    if fault == "reset":
        # Sent once, never again: the lock may have moved.
        assert bridge.stats.requests["/lockAction"] == lock_actions + 1
    if fault == "busy":
        assert lock.state is LockState.LOCKED
