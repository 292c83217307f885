"""Battery level, door sensor state and Bluetooth signal sensors; the bridge's firmware and
start time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

import pytest
from aiohttp import web
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nuki.const import DOMAIN
from custom_components.nuki.sensor import START_TIME_TOLERANCE
from nukilocal.const import DoorSensorState
from nukilocal.models import format_timestamp
from nukilocal.sim.bridge import ApiCall, BridgeSimulator, json_answer
from tests.support.strings import load_strings

from .conftest import BACK_DOOR, FRONT_DOOR, OPENER, SetupIntegration, SnapshotEntities
from .devices import one_device
from .helpers import poll, push_poll
from .test_button import START_TIME

COMPONENT = Path(__file__).parents[3] / "custom_components" / "nuki"
DOOR_SENSOR_STATE = "sensor.front_door_door_sensor_state"
FRONT_SIGNAL = "sensor.front_door_bluetooth_signal"
# The bridge's callback check (every 12th poll while push works) reads /info.
POLLS_PER_CHECK = 12


class InfoAnswers:
    """Changes to the stand-in's /info answers: uptime shifted, fields replaced."""

    def __init__(self, bridge: BridgeSimulator) -> None:
        self.uptime_shift = 0
        self.fields: dict[str, Any] = {}
        self.scan_filter: set[int] | None = None
        bridge.add_interceptor(self._answer, paths="/info")

    async def _answer(self, call: ApiCall) -> web.StreamResponse:
        info = call.bridge.info()
        info["uptime"] += self.uptime_shift
        if self.scan_filter is not None:
            info["scanResults"] = [
                r for r in info["scanResults"] if r["nukiId"] not in self.scan_filter
            ]
        return json_answer(info | self.fields)


async def hourly_info_read(hass: HomeAssistant, bridge: BridgeSimulator) -> None:
    """Polls until the callback check has read /info once more."""
    infos = bridge.stats.requests["/info"]
    for _ in range(POLLS_PER_CHECK):
        await push_poll(hass)
        if bridge.stats.requests["/info"] > infos:
            return
    raise AssertionError("no /info read with the callback check")


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "no_local_url")
async def test_snapshot(bridge: BridgeSimulator, snapshot_entities: SnapshotEntities) -> None:
    # A bridge up for a day at a fixed time: the start time reads the same every run.
    now = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
    answers = InfoAnswers(bridge)
    answers.fields |= {"currentTime": format_timestamp(now), "uptime": 86400}
    with patch("custom_components.nuki.sensor.dt_util", SimpleNamespace(utcnow=lambda: now)):
        await snapshot_entities(Platform.SENSOR)


@pytest.mark.parametrize(
    ("door_state", "expected"),
    [
        (DoorSensorState.UNAVAILABLE, "door_sensor_unavailable"),
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
    state = hass.states.get(DOOR_SENSOR_STATE)
    assert state.state == expected
    # "unavailable" is Home Assistant's own word for an entity it cannot reach.
    assert state.state != STATE_UNAVAILABLE


@pytest.mark.parametrize("language", ["strings", "de"])
async def test_every_door_sensor_state_translated(
    hass: HomeAssistant, init_integration: MockConfigEntry, language: str
) -> None:
    """Every state the library knows is an option, each with its name in every language."""
    path = COMPONENT / (
        "strings.json" if language == "strings" else f"translations/{language}.json"
    )
    names = load_strings(path)["entity"]["sensor"]["door_sensor_state"]["state"]
    options = hass.states.get(DOOR_SENSOR_STATE).attributes["options"]
    assert len(options) == len(DoorSensorState.__members__)
    assert "door_sensor_unavailable" in options
    assert set(options) == set(names)


@pytest.mark.usefixtures("no_local_url")
async def test_no_door_sensor_no_state_sensor(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
) -> None:
    """A lock that says it has no door sensor gets no door sensor entities."""
    bridge.lock(FRONT_DOOR).set_door_sensor(DoorSensorState.UNAVAILABLE)
    await setup_integration(mock_config_entry)
    assert hass.states.get(DOOR_SENSOR_STATE) is None
    assert hass.states.get("binary_sensor.front_door_door") is None
    bridge.lock(FRONT_DOOR).set_door_sensor(DoorSensorState.DOOR_CLOSED)
    await poll(hass)
    assert hass.states.get(DOOR_SENSOR_STATE).state == "door_closed"


async def test_battery_level(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration: MockConfigEntry
) -> None:
    assert hass.states.get("sensor.front_door_battery").state == "96"
    bridge.lock(FRONT_DOOR).set_battery(41)
    await poll(hass)
    assert hass.states.get("sensor.front_door_battery").state == "41"
    assert hass.states.get("sensor.building_entrance_battery") is None


async def test_bluetooth_signal_disabled_by_default(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    entry = entity_registry.async_get(FRONT_SIGNAL)
    assert entry is not None
    assert entry.unique_id == f"{FRONT_DOOR}_bluetooth_signal"
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert entry.entity_category == "diagnostic"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_bluetooth_signal_from_the_scan_results(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    """The rssi of /info's scan results, read again with the callback check."""
    for nuki_id, entity_id in (
        (FRONT_DOOR, FRONT_SIGNAL),
        (BACK_DOOR, "sensor.back_door_bluetooth_signal"),
        (OPENER, "sensor.building_entrance_bluetooth_signal"),
    ):
        state = hass.states.get(entity_id)
        assert state.state == str(bridge.device(nuki_id).rssi)
        assert state.attributes["unit_of_measurement"] == "dBm"
        assert state.attributes["device_class"] == "signal_strength"
        assert state.attributes["state_class"] == "measurement"

    bridge.lock(FRONT_DOOR).rssi = -83
    await hourly_info_read(hass, bridge)
    assert hass.states.get(FRONT_SIGNAL).state == "-83"

    # Reached by the bridge only: unavailable while the bridge does not answer.
    bridge.faults.reset = 2
    await push_poll(hass)
    assert hass.states.get(FRONT_SIGNAL).state == STATE_UNAVAILABLE


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "no_local_url")
async def test_no_bluetooth_signal_without_scan_result(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
) -> None:
    InfoAnswers(bridge).scan_filter = {BACK_DOOR}
    await setup_integration(mock_config_entry)
    assert hass.states.get(FRONT_SIGNAL) is not None
    assert (
        entity_registry.async_get_entity_id("sensor", DOMAIN, f"{BACK_DOOR}_bluetooth_signal")
        is None
    )


async def test_start_time_stable_across_info_reads(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    push_url: str,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
) -> None:
    """Up a day; the next /info's uptime is off by 2 s: the start time stays, then moves."""
    answers = InfoAnswers(bridge)
    answers.uptime_shift = 86400
    await setup_integration(mock_config_entry)
    first = datetime.fromisoformat(hass.states.get(START_TIME).state)
    transport = mock_config_entry.runtime_data.bridge
    assert abs(datetime.now(UTC) - timedelta(days=1) - first) < START_TIME_TOLERANCE

    answers.uptime_shift = 86400 - 2
    await hourly_info_read(hass, bridge)
    assert 86400 - 2 <= transport.info.uptime <= 86400 - 2 + bridge.uptime
    assert datetime.fromisoformat(hass.states.get(START_TIME).state) == first

    # Two minutes less uptime than a day: not jitter, it started later.
    answers.uptime_shift = 86400 - 120
    await hourly_info_read(hass, bridge)
    moved = datetime.fromisoformat(hass.states.get(START_TIME).state)
    assert moved - first > START_TIME_TOLERANCE
    assert moved - first < timedelta(minutes=3)


async def test_bridge_firmware_follows_an_update(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    """A new version in /info: the firmware sensor and the bridge's device entry follow."""
    firmware = "sensor.nuki_bridge_3c622613_firmware"
    assert hass.states.get(firmware).state == bridge.firmware_version
    bridge.firmware_version = "2.18.1"
    await hourly_info_read(hass, bridge)
    assert hass.states.get(firmware).state == "2.18.1"
    device = one_device(hass, "3C622613")
    assert device is not None
    assert device.sw_version == "2.18.1"
