"""Binary sensors of locks, openers and the bridge."""

from __future__ import annotations

from unittest.mock import patch

import pytest
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from nukilocal.const import DoorSensorState
from nukilocal.sim.bridge import BridgeSimulator

from .conftest import FRONT_DOOR, OPENER, SetupIntegration
from .test_lock import poll


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "no_local_url")
async def test_snapshot(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    with patch("custom_components.nuki.PLATFORMS", [Platform.BINARY_SENSOR]):
        await setup_integration(mock_config_entry)
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


async def test_battery_charging_disabled_by_default(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    entry = entity_registry.async_get("binary_sensor.front_door_charging")
    assert entry is not None
    assert entry.unique_id == f"{FRONT_DOOR}_battery_charging"
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION


async def test_no_door_sensor_no_entity(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """The back door has no door sensor, the opener no battery charging."""
    unique_ids = {
        e.unique_id
        for e in er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
    }
    assert "437991291_doorsensor" not in unique_ids
    assert f"{OPENER}_battery_charging" not in unique_ids
    assert f"{OPENER}_ringaction" in unique_ids


async def test_door_and_batteries_follow_the_bridge(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration: MockConfigEntry
) -> None:
    lock = bridge.lock(FRONT_DOOR)
    assert hass.states.get("binary_sensor.front_door_door").state == STATE_OFF
    lock.set_door(True)
    lock.set_battery(12)
    lock.set_keypad_battery_critical(True)
    await poll(hass)
    assert hass.states.get("binary_sensor.front_door_door").state == STATE_ON
    assert hass.states.get("binary_sensor.front_door_battery").state == STATE_ON
    assert hass.states.get("binary_sensor.front_door_keypad_battery").state == STATE_ON

    lock.set_door_sensor(DoorSensorState.TAMPERED)
    await poll(hass)
    assert hass.states.get("binary_sensor.front_door_door").state == STATE_UNKNOWN


async def test_ring_action(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    opener = bridge.opener(OPENER)
    opener.ring()
    await bridge.drain_callbacks()
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.building_entrance_ring_action").state == STATE_ON
    await opener.wait_for(lambda d: not d.ring_action_state, timeout=5)
    await bridge.drain_callbacks()
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.building_entrance_ring_action").state == STATE_OFF


async def test_bridge_connectivity(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration: MockConfigEntry
) -> None:
    entity_id = "binary_sensor.nuki_bridge_3c622613_connectivity"
    assert hass.states.get(entity_id).state == STATE_ON
    assert hass.states.get("binary_sensor.nuki_bridge_3c622613_push_updates").state == STATE_OFF
    # aiohttp retries a GET once on a reset keep-alive connection.
    bridge.faults.reset = 2
    await poll(hass)
    # The bridge's own sensor stays available to say it is unreachable.
    assert hass.states.get(entity_id).state == STATE_OFF
    assert hass.states.get("lock.front_door").state == "unavailable"
    await poll(hass)
    assert hass.states.get(entity_id).state == STATE_ON
    assert hass.states.get("lock.front_door").state == "locked"
