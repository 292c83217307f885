"""Binary sensors of locks, openers and the bridge."""

from __future__ import annotations

import pytest
from homeassistant.const import (
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from nukilocal.const import DoorSensorState
from nukilocal.sim.bridge import BridgeSimulator

from .conftest import FRONT_DOOR, OPENER, SetupIntegration, SnapshotEntities
from .helpers import poll, push_poll
from .test_sensor import InfoAnswers, hourly_info_read

WIFI = "binary_sensor.nuki_bridge_3c622613_wi_fi"
SERVER = "binary_sensor.nuki_bridge_3c622613_nuki_server"


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "no_local_url")
async def test_snapshot(snapshot_entities: SnapshotEntities) -> None:
    await snapshot_entities(Platform.BINARY_SENSOR)


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
    assert hass.states.get("binary_sensor.front_door_battery_critical").state == STATE_ON
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


async def test_battery_critical_named(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """New entities are "Battery critical", beside the keypad's and door sensor's batteries."""
    state = hass.states.get("binary_sensor.front_door_battery_critical")
    assert state.attributes["friendly_name"] == "Front door Battery critical"
    assert state.attributes["device_class"] == "battery"
    entry = entity_registry.async_get("binary_sensor.front_door_battery_critical")
    assert entry.unique_id == f"{FRONT_DOOR}_battery_critical"
    assert hass.states.get("binary_sensor.front_door_battery") is None


@pytest.mark.usefixtures("no_local_url")
async def test_battery_critical_keeps_existing_entity_id(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
) -> None:
    """An installation that has the entity keeps its entity id; only the name is new."""
    mock_config_entry.add_to_hass(hass)
    entity_registry.async_get_or_create(
        "binary_sensor",
        "nuki",
        f"{FRONT_DOOR}_battery_critical",
        config_entry=mock_config_entry,
        suggested_object_id="front_door_battery",
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get("binary_sensor.front_door_battery")
    assert state.state == STATE_OFF
    assert state.attributes["friendly_name"] == "Front door Battery critical"
    assert hass.states.get("binary_sensor.front_door_battery_critical") is None


async def test_bridge_wifi_and_server(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    push_url: str,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
) -> None:
    """From /info, read again with the callback check; unavailable while the bridge is not."""
    answers = InfoAnswers(bridge)
    await setup_integration(mock_config_entry)
    for entity_id, key in ((WIFI, "wifi_connected"), (SERVER, "server_connected")):
        state = hass.states.get(entity_id)
        assert state.state == STATE_ON
        assert state.attributes["device_class"] == "connectivity"
        entry = entity_registry.async_get(entity_id)
        assert entry.unique_id == f"3C622613_{key}"
        assert entry.entity_category == "diagnostic"

    answers.fields = {"serverConnected": False}
    await hourly_info_read(hass, bridge)
    assert hass.states.get(SERVER).state == STATE_OFF
    assert hass.states.get(WIFI).state == STATE_ON

    bridge.faults.reset = 2
    await push_poll(hass)
    assert hass.states.get(SERVER).state == STATE_UNAVAILABLE
    assert hass.states.get(WIFI).state == STATE_UNAVAILABLE
    assert hass.states.get("binary_sensor.nuki_bridge_3c622613_connectivity").state == STATE_OFF
