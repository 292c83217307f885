"""Battery level, door sensor state and Bluetooth signal of Nuki devices; the bridge's
firmware and start time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    STATE_UNAVAILABLE,
    EntityCategory,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from nukilocal.const import DoorSensorState
from nukilocal.models import BridgeInfo, DeviceState

from .bridge import BridgeTransport
from .entity import (
    NukiBridgeEntity,
    NukiDescribedEntity,
    NukiEntityDescription,
    async_add_described_entities,
)
from .hub import DeviceHub
from .runtime import NukiConfigEntry

# Read-only: the transports do all talking to the devices.
PARALLEL_UPDATES = 0


def door_sensor_option_name(state: DoorSensorState) -> str:
    """The sensor's option for a door sensor state the library knows.

    Home Assistant reserves "unavailable" for entities it cannot reach: the
    lock's "unavailable" (it has no door sensor) is "door_sensor_unavailable".
    """
    name = state.name.lower()
    return f"door_sensor_{name}" if name == STATE_UNAVAILABLE else name


# Every state the library knows; codes no document lists are shown as "unknown".
DOOR_SENSOR_OPTIONS = [door_sensor_option_name(state) for state in DoorSensorState]
# /info is read about hourly; its uptime and the time of the read each jitter
# by a second or so: the start time moves only when it differs by more.
START_TIME_TOLERANCE: Final = timedelta(seconds=60)
# A bridge clock further off than this from Home Assistant's is not set yet.
BRIDGE_CLOCK_TRUSTED: Final = timedelta(minutes=5)


def door_sensor_option(state: DeviceState) -> str | None:
    value = state.door_sensor_state
    if value is None:
        return None
    # Codes no document lists are reported as "unknown", not dropped.
    return door_sensor_option_name(value if value.is_known else DoorSensorState.UNKNOWN)


def bluetooth_signal(hub: DeviceHub) -> int | None:
    """The bridge's Bluetooth signal of the device (dBm), as its last /info told it."""
    link = hub.bridge
    return link.transport.signal_strength(hub.key) if link is not None else None


@dataclass(frozen=True, kw_only=True)
class NukiSensorEntityDescription(SensorEntityDescription, NukiEntityDescription):
    value_fn: Callable[[DeviceHub], int | str | None]
    # Reported by the bridge only: available while the bridge reaches the device.


DEVICE_SENSORS: tuple[NukiSensorEntityDescription, ...] = (
    NukiSensorEntityDescription(
        key="battery_level",
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda hub: hub.state.battery_charge_state,
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
        value_fn=lambda hub: door_sensor_option(hub.state),
        # Not for a lock that says it has no door sensor; shown if one is removed.
        exists_fn=lambda hub: (
            hub.state.door_sensor_state not in (None, DoorSensorState.UNAVAILABLE)
        ),
    ),
    NukiSensorEntityDescription(
        key="bluetooth_signal",
        translation_key="bluetooth_signal",
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=bluetooth_signal,
        exists_fn=lambda hub: bluetooth_signal(hub) is not None,
        available_fn=lambda hub: hub.bridge_available,
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
START_TIME = SensorEntityDescription(
    key="start_time",
    translation_key="start_time",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
)


def start_time(previous: datetime | None, info: BridgeInfo, now: datetime) -> datetime | None:
    """When the bridge started: the time of the /info read minus its uptime.

    The time of the read is the bridge's ``currentTime``, taken in the same
    instant as its uptime, unless that clock is not set (a bridge that just
    booted) or far off: then Home Assistant's ``now``. The previous value
    stays unless the new one differs by more than :data:`START_TIME_TOLERANCE`
    (a restart moves it by far more).
    """
    if info.uptime is None:
        return None
    read_at = info.current_time
    if read_at is None or abs(read_at - now) > BRIDGE_CLOCK_TRUSTED:
        read_at = now
    started = (read_at - timedelta(seconds=info.uptime)).replace(microsecond=0)
    if previous is not None and abs(started - previous) <= START_TIME_TOLERANCE:
        return previous
    return started


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NukiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    if (transport := entry.runtime_data.bridge) is not None:
        entities: list[SensorEntity] = [
            NukiBridgeSensor(transport, description) for description in BRIDGE_SENSORS
        ]
        if transport.info.uptime is not None:
            entities.append(NukiBridgeStartTimeSensor(transport, START_TIME))
        async_add_entities(entities)
    async_add_described_entities(hass, entry, async_add_entities, DEVICE_SENSORS, NukiSensor)


class NukiSensor(NukiDescribedEntity, SensorEntity):
    entity_description: NukiSensorEntityDescription

    @property
    def native_value(self) -> int | str | None:
        return self.entity_description.value_fn(self.hub)


class NukiBridgeSensor(NukiBridgeEntity, SensorEntity):
    entity_description: NukiBridgeSensorEntityDescription

    @property
    def native_value(self) -> str | None:
        return self.entity_description.value_fn(self.coordinator)


class NukiBridgeStartTimeSensor(NukiBridgeEntity, SensorEntity):
    """The bridge's start, from each /info read (about hourly, with the callback check)."""

    def __init__(self, transport: BridgeTransport, description: SensorEntityDescription) -> None:
        super().__init__(transport, description)
        # The entity is made right after set-up read /info.
        self._info = transport.info
        self._started = start_time(None, transport.info, dt_util.utcnow())

    @property
    def native_value(self) -> datetime | None:
        return self._started

    @callback
    def _handle_coordinator_update(self) -> None:
        info = self.coordinator.info
        if info is not self._info:
            # A new /info read: the transport notifies as soon as it has it.
            self._info = info
            self._started = start_time(self._started, info, dt_util.utcnow())
        super()._handle_coordinator_update()
