"""Doorbell rings of openers and lock actions of Wi-Fi locks as event entities."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.event import (
    EventDeviceClass,
    EventEntity,
    EventEntityDescription,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from nukilocal.mqtt.protocol import ACTION_NAMES, LockActionEvent

from .const import EVENT_TYPE_RING
from .entity import NukiDescribedEntity, NukiEntityDescription, async_add_described_entities
from .hub import DeviceHub
from .runtime import NukiConfigEntry

# Read-only: the transports do all talking to the devices.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class NukiEventEntityDescription(EventEntityDescription, NukiEntityDescription):
    entity_class: type[NukiDescribedEntity]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NukiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    def make(hub: DeviceHub, description: NukiEventEntityDescription) -> NukiDescribedEntity:
        return description.entity_class(hub, description)

    async_add_described_entities(hass, entry, async_add_entities, EVENTS, make)


class NukiDoorbellEvent(NukiDescribedEntity, EventEntity):
    """Fires once per ring, exactly when ``nuki_event`` does."""

    entity_description: NukiEventEntityDescription

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self.hub.async_add_ring_listener(self._async_handle_ring))

    @callback
    def _async_handle_ring(self) -> None:
        self._trigger_event(EVENT_TYPE_RING)
        self.async_write_ha_state()


class NukiLockActionEvent(NukiDescribedEntity, EventEntity):
    """Every ``lockActionEvent``: the action as event type, who and how as attributes."""

    entity_description: NukiEventEntityDescription

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self.hub.async_add_event_listener(self._async_handle_event))

    @callback
    def _async_handle_event(self, event: LockActionEvent) -> None:
        self._trigger_event(event.action_name, event.attributes())
        self.async_write_ha_state()


EVENTS: tuple[NukiEventEntityDescription, ...] = (
    NukiEventEntityDescription(
        key="doorbell",
        translation_key="doorbell",
        device_class=EventDeviceClass.DOORBELL,
        event_types=[EVENT_TYPE_RING],
        entity_class=NukiDoorbellEvent,
        exists_fn=lambda hub: hub.device_type.is_opener,
    ),
    # Only the MQTT API reports who did what.
    NukiEventEntityDescription(
        key="lock_action",
        translation_key="lock_action",
        event_types=list(ACTION_NAMES),
        entity_class=NukiLockActionEvent,
        exists_fn=lambda hub: hub.has_mqtt,
        # Only a connected MQTT lock reports who did what (not the bridge).
        available_fn=lambda hub: hub.mqtt_connected,
    ),
)
