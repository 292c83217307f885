"""Battery level and door sensor state sensors, the bridge's firmware."""

from __future__ import annotations

from unittest.mock import patch

import pytest
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from nukilocal.const import DoorSensorState
from nukilocal.sim.bridge import BridgeSimulator

from .conftest import FRONT_DOOR, SetupIntegration
from .test_lock import poll


@pytest.mark.usefixtures("no_local_url")
async def test_snapshot(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    with patch("custom_components.nuki.PLATFORMS", [Platform.SENSOR]):
        await setup_integration(mock_config_entry)
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


@pytest.mark.parametrize(
    ("door_state", "expected"),
    [
        (DoorSensorState.DEACTIVATED, "deactivated"),
        (DoorSensorState.DOOR_CLOSED, "door_closed"),
        (DoorSensorState.DOOR_OPENED, "door_opened"),
        (DoorSensorState.DOOR_STATE_UNKNOWN, "door_state_unknown"),
        (DoorSensorState.CALIBRATING, "calibrating"),
        (DoorSensorState.UNCALIBRATED, "uncalibrated"),
        (DoorSensorState.TAMPERED, "tampered"),
        (DoorSensorState.UNKNOWN, "unknown"),
        (DoorSensorState(77), "unknown"),
    ],
)
async def test_door_sensor_state(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    door_state: DoorSensorState,
    expected: str,
) -> None:
    bridge.lock(FRONT_DOOR).set_door_sensor(door_state)
    await poll(hass)
    assert hass.states.get("sensor.front_door_door_sensor_state").state == expected


async def test_battery_level(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration: MockConfigEntry
) -> None:
    assert hass.states.get("sensor.front_door_battery").state == "96"
    bridge.lock(FRONT_DOOR).set_battery(41)
    await poll(hass)
    assert hass.states.get("sensor.front_door_battery").state == "41"
    assert hass.states.get("sensor.building_entrance_battery") is None
