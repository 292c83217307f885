"""Door, battery and ring binary sensors of Nuki devices, and the bridge's own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from nukilocal.models import Device, DeviceState

from .coordinator import DeviceKey, NukiConfigEntry, NukiCoordinator
from .entity import NukiBridgeEntity, NukiDescribedEntity

# Read-only: the coordinator does all talking to the bridge.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class NukiBinarySensorEntityDescription(BinarySensorEntityDescription):
    value_fn: Callable[[DeviceState], bool | None]
    exists_fn: Callable[[Device], bool] = lambda _: True


# Keys are the built-in integration's unique id suffixes: entities keep their ids.
DEVICE_SENSORS: tuple[NukiBinarySensorEntityDescription, ...] = (
    NukiBinarySensorEntityDescription(
        key="doorsensor",
        translation_key="door",
        device_class=BinarySensorDeviceClass.DOOR,
        value_fn=lambda state: state.door_open,
        exists_fn=lambda device: device.state.has_door_sensor,
    ),
    NukiBinarySensorEntityDescription(
        key="battery_critical",
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
        exists_fn=lambda device: device.device_type.is_lock,
    ),
    NukiBinarySensorEntityDescription(
        key="ringaction",
        translation_key="ring_action",
        value_fn=lambda state: state.ring_action_state,
        exists_fn=lambda device: device.device_type.is_opener,
    ),
    NukiBinarySensorEntityDescription(
        key="keypad_battery_critical",
        translation_key="keypad_battery_critical",
        device_class=BinarySensorDeviceClass.BATTERY,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.keypad_battery_critical,
        exists_fn=lambda device: device.state.keypad_battery_critical is not None,
    ),
)


@dataclass(frozen=True, kw_only=True)
class NukiBridgeBinarySensorEntityDescription(BinarySensorEntityDescription):
    value_fn: Callable[[NukiCoordinator], bool]


BRIDGE_SENSORS: tuple[NukiBridgeBinarySensorEntityDescription, ...] = (
    NukiBridgeBinarySensorEntityDescription(
        key="connectivity",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda coordinator: coordinator.last_update_success,
    ),
    NukiBridgeBinarySensorEntityDescription(
        key="callback",
        translation_key="callback",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda coordinator: coordinator.push_active,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NukiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    coordinator = entry.runtime_data
    async_add_entities(
        NukiBridgeBinarySensor(coordinator, description) for description in BRIDGE_SENSORS
    )
    known: set[DeviceKey] = set()

    @callback
    def add_new_devices() -> None:
        # A device the bridge stopped listing lost its entities; paired again, it gets new ones.
        known.intersection_update(coordinator.data)
        new = [d for key, d in coordinator.data.items() if key not in known]
        if not new:
            return
        known.update(d.key for d in new)
        async_add_entities(
            NukiBinarySensor(coordinator, device, description)
            for device in new
            for description in DEVICE_SENSORS
            if description.exists_fn(device)
        )

    add_new_devices()
    entry.async_on_unload(coordinator.async_add_listener(add_new_devices))


class NukiBinarySensor(NukiDescribedEntity, BinarySensorEntity):
    entity_description: NukiBinarySensorEntityDescription

    @property
    def is_on(self) -> bool | None:
        return self.entity_description.value_fn(self.device_state)


class NukiBridgeBinarySensor(NukiBridgeEntity, BinarySensorEntity):
    entity_description: NukiBridgeBinarySensorEntityDescription

    @property
    def available(self) -> bool:
        # Says itself whether the bridge answers: never unavailable.
        return True

    @property
    def is_on(self) -> bool:
        return self.entity_description.value_fn(self.coordinator)
