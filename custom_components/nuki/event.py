"""Doorbell rings of openers as event entities."""

from __future__ import annotations

from homeassistant.components.event import (
    EventDeviceClass,
    EventEntity,
    EventEntityDescription,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EVENT_TYPE_RING
from .coordinator import DeviceKey, NukiConfigEntry
from .entity import NukiDescribedEntity

# Read-only: the coordinator does all talking to the bridge.
PARALLEL_UPDATES = 0

DOORBELL = EventEntityDescription(
    key="doorbell",
    translation_key="doorbell",
    device_class=EventDeviceClass.DOORBELL,
    event_types=[EVENT_TYPE_RING],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NukiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    coordinator = entry.runtime_data
    known: set[DeviceKey] = set()

    @callback
    def add_new_devices() -> None:
        # A device the bridge stopped listing lost its entities; paired again, it gets new ones.
        known.intersection_update(coordinator.data)
        new = [d for key, d in coordinator.data.items() if key not in known and key[1].is_opener]
        if not new:
            return
        known.update(d.key for d in new)
        async_add_entities(NukiDoorbellEvent(coordinator, device, DOORBELL) for device in new)

    add_new_devices()
    entry.async_on_unload(coordinator.async_add_listener(add_new_devices))


class NukiDoorbellEvent(NukiDescribedEntity, EventEntity):
    """Fires once per ring, exactly when ``nuki_event`` does."""

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.async_add_ring_listener(self._key, self._async_handle_ring)
        )

    @callback
    def _async_handle_ring(self) -> None:
        self._trigger_event(EVENT_TYPE_RING)
        self.async_write_ha_state()
