"""Door, battery and ring binary sensors of Nuki devices; the bridge's connectivity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

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


@dataclass(frozen=True, kw_only=True)
class NukiBinarySensorEntityDescription(BinarySensorEntityDescription, NukiEntityDescription):
    value_fn: Callable[[DeviceState], bool | None]
    # Reported over MQTT only: without a connected MQTT lock nothing keeps it current.


# Keys are the built-in integration's unique id suffixes: entities keep their ids.
DEVICE_SENSORS: tuple[NukiBinarySensorEntityDescription, ...] = (
    NukiBinarySensorEntityDescription(
        key="doorsensor",
        translation_key="door",
        device_class=BinarySensorDeviceClass.DOOR,
        value_fn=lambda state: state.door_open,
        exists_fn=lambda hub: hub.state.has_door_sensor,
    ),
    NukiBinarySensorEntityDescription(
        key="battery_critical",
        # Named "Battery critical": existing entity ids stay (the registry keeps them).
        translation_key="battery_critical",
        device_class=BinarySensorDeviceClass.BATTERY,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.battery_critical,
    ),
    NukiBinarySensorEntityDescription(
        key="battery_charging",
        device_class=BinarySensorDeviceClass.BATTERY_CHARGING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.battery_charging,
        exists_fn=lambda hub: hub.state.device_type.is_lock,
    ),
    NukiBinarySensorEntityDescription(
        key="ringaction",
        translation_key="ring_action",
        value_fn=lambda state: state.ring_action_state,
        exists_fn=lambda hub: hub.state.device_type.is_opener,
    ),
    NukiBinarySensorEntityDescription(
        key="keypad_battery_critical",
        translation_key="keypad_battery_critical",
        device_class=BinarySensorDeviceClass.BATTERY,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.keypad_battery_critical,
        exists_fn=lambda hub: hub.state.keypad_battery_critical is not None,
    ),
    # Reported over MQTT only; the bridge API has no such field.
    NukiBinarySensorEntityDescription(
        key="door_sensor_battery_critical",
        translation_key="door_sensor_battery_critical",
        device_class=BinarySensorDeviceClass.BATTERY,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.door_sensor_battery_critical,
        exists_fn=lambda hub: hub.state.door_sensor_battery_critical is not None,
        available_fn=lambda hub: hub.mqtt_connected,
    ),
)


@dataclass(frozen=True, kw_only=True)
class NukiBridgeBinarySensorEntityDescription(BinarySensorEntityDescription):
    value_fn: Callable[[BridgeTransport], bool | None]
    exists_fn: Callable[[BridgeTransport], bool] = lambda _: True
    # Says itself whether the bridge answers: never unavailable. The others
    # show what the bridge last told, unavailable while it does not answer.
    always_available: bool = False


BRIDGE_SENSORS: tuple[NukiBridgeBinarySensorEntityDescription, ...] = (
    NukiBridgeBinarySensorEntityDescription(
        key="connectivity",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda transport: transport.last_update_success,
        always_available=True,
    ),
    NukiBridgeBinarySensorEntityDescription(
        key="callback",
        translation_key="callback",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda transport: transport.push.health.active,
        always_available=True,
    ),
    # From /info, read about hourly. Software bridges report no Wi-Fi.
    NukiBridgeBinarySensorEntityDescription(
        key="wifi_connected",
        translation_key="wifi_connected",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda transport: transport.info.wlan_connected,
        exists_fn=lambda transport: transport.info.wlan_connected is not None,
    ),
    NukiBridgeBinarySensorEntityDescription(
        key="server_connected",
        translation_key="server_connected",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda transport: transport.info.server_connected,
        exists_fn=lambda transport: transport.info.server_connected is not None,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NukiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    if (transport := entry.runtime_data.bridge) is not None:
        async_add_entities(
            NukiBridgeBinarySensor(transport, description)
            for description in BRIDGE_SENSORS
            if description.exists_fn(transport)
        )
    async_add_described_entities(hass, entry, async_add_entities, DEVICE_SENSORS, NukiBinarySensor)


class NukiBinarySensor(NukiDescribedEntity, BinarySensorEntity):
    entity_description: NukiBinarySensorEntityDescription

    @property
    def is_on(self) -> bool | None:
        return self.entity_description.value_fn(self.device_state)


class NukiBridgeBinarySensor(NukiBridgeEntity, BinarySensorEntity):
    entity_description: NukiBridgeBinarySensorEntityDescription

    @property
    def available(self) -> bool:
        return self.entity_description.always_available or super().available

    @property
    def is_on(self) -> bool | None:
        return self.entity_description.value_fn(self.coordinator)
