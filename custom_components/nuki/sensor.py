"""Battery level and door sensor state of Nuki devices; the bridge's firmware."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from nukilocal.const import DoorSensorState
from nukilocal.models import DeviceState

from .bridge import BridgeTransport
from .entity import (
    NukiBridgeEntity,
    NukiDescribedEntity,
    NukiEntityDescription,
    async_add_described_entities,
)
from .runtime import NukiConfigEntry

# Read-only: the transports do all talking to the devices.
PARALLEL_UPDATES = 0

DOOR_SENSOR_OPTIONS = [
    "deactivated",
    "door_closed",
    "door_opened",
    "door_state_unknown",
    "calibrating",
    "uncalibrated",
    "tampered",
    "unknown",
]


def door_sensor_option(state: DeviceState) -> str | None:
    value = state.door_sensor_state
    if value is None:
        return None
    # Codes no document lists are reported as "unknown", not dropped.
    return value.name.lower() if value.is_known else DoorSensorState.UNKNOWN.name.lower()


@dataclass(frozen=True, kw_only=True)
class NukiSensorEntityDescription(SensorEntityDescription, NukiEntityDescription):
    value_fn: Callable[[DeviceState], int | str | None]


DEVICE_SENSORS: tuple[NukiSensorEntityDescription, ...] = (
    NukiSensorEntityDescription(
        key="battery_level",
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.battery_charge_state,
        # The built-in integration gives every smart lock one; openers report no level.
        exists_fn=lambda hub: (
            hub.state.device_type.is_lock or hub.state.battery_charge_state is not None
        ),
    ),
    NukiSensorEntityDescription(
        key="door_sensor_state",
        translation_key="door_sensor_state",
        device_class=SensorDeviceClass.ENUM,
        options=DOOR_SENSOR_OPTIONS,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=door_sensor_option,
        exists_fn=lambda hub: hub.state.door_sensor_state is not None,
    ),
)


@dataclass(frozen=True, kw_only=True)
class NukiBridgeSensorEntityDescription(SensorEntityDescription):
    value_fn: Callable[[BridgeTransport], str | None]


BRIDGE_SENSORS: tuple[NukiBridgeSensorEntityDescription, ...] = (
    NukiBridgeSensorEntityDescription(
        key="firmware",
        translation_key="firmware",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda transport: transport.info.version,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NukiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    if (transport := entry.runtime_data.bridge) is not None:
        async_add_entities(
            NukiBridgeSensor(transport, description) for description in BRIDGE_SENSORS
        )
    async_add_described_entities(hass, entry, async_add_entities, DEVICE_SENSORS, NukiSensor)


class NukiSensor(NukiDescribedEntity, SensorEntity):
    entity_description: NukiSensorEntityDescription

    @property
    def native_value(self) -> int | str | None:
        return self.entity_description.value_fn(self.device_state)


class NukiBridgeSensor(NukiBridgeEntity, SensorEntity):
    entity_description: NukiBridgeSensorEntityDescription

    @property
    def native_value(self) -> str | None:
        return self.entity_description.value_fn(self.coordinator)
