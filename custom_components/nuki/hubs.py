"""The device hubs of all entries, and which entry's platforms create whose entities.

The entry that attached to a device first *owns* its hub: its platforms create
the entities, MQTT-only ones included once MQTT is attached. Another entry
that reaches the same device only links it to itself in the device registry
(before Home Assistant 2026.8; since then a device has one entry, the owner's).
Unique ids are the same whichever entry creates them, so entity ids stay. When
the owner unloads, ownership passes to the other entry, whose platforms create
the same entities again (the registry entries, and on 2026.8+ the device, move
with them). A hub lives while a transport is attached; the last detach drops it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.util.hass_dict import HassKey

from nukilocal.models import DeviceKey
from nukilocal.mqtt.protocol import MqttLock

from .bridge import BridgeLink, BridgeTransport
from .compat import PER_ENTRY_DEVICES, move_device
from .const import DOMAIN
from .hub import DeviceHub, add_listener
from .identity import DeviceIdentity, device_identifiers
from .mqtt_lock import MqttLockTransport

_LOGGER = logging.getLogger(__name__)

DATA_NUKI: HassKey[NukiData] = HassKey(DOMAIN)


def _twin(key: DeviceKey) -> DeviceKey:
    return DeviceKey(key.nuki_id, not key.opener)


class NukiData:
    """All device hubs, by device key."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.hubs: dict[DeviceKey, DeviceHub] = {}
        self._platform_listeners: dict[str, list[Callable[[DeviceHub], None]]] = {}

    @callback
    def async_add_platform_listener(
        self, entry_id: str, listener: Callable[[DeviceHub], None]
    ) -> CALLBACK_TYPE:
        """``listener`` sees every change of the hubs ``entry_id`` owns."""
        remove = add_listener(self._platform_listeners.setdefault(entry_id, []), listener)
        for hub in list(self.hubs.values()):
            if hub.owner == entry_id:
                listener(hub)
        return remove

    @callback
    def _async_hub_changed(self, hub: DeviceHub) -> None:
        if hub.owner is None:
            return
        for listener in list(self._platform_listeners.get(hub.owner, ())):
            listener(hub)

    def _hub(self, key: DeviceKey, *, twin_listed: bool = False) -> DeviceHub:
        hub = self.hubs.get(key)
        if hub is None:
            twin_listed = twin_listed or _twin(key) in self.hubs
            identity = DeviceIdentity.decide(self.hass, key, twin_listed=twin_listed)
            hub = self.hubs[key] = DeviceHub(self.hass, identity, self._async_hub_changed)
        return hub

    @callback
    def _claim(self, hub: DeviceHub, entry_id: str) -> None:
        if hub.owner is None:
            hub.owner = entry_id
        if PER_ENTRY_DEVICES and hub.owner != entry_id:
            # Home Assistant 2026.8 and later: a device belongs to one config
            # entry, the owner's; a second one would show the lock twice.
            return
        dr.async_get(self.hass).async_get_or_create(config_entry_id=entry_id, **hub.device_info())

    # -- bridges ------------------------------------------------------------------

    @callback
    def async_attach_bridge(self, entry_id: str, transport: BridgeTransport) -> CALLBACK_TYPE:
        """Give every device the bridge lists to its hub, now and as the list changes."""
        attached: set[DeviceKey] = set()

        @callback
        def sync() -> None:
            listed = set(transport.data or {})
            for key in listed - attached:
                attached.add(key)
                self._attach_bridge_device(
                    entry_id, transport, key, twin_listed=_twin(key) in listed
                )
            if gone := attached - listed:
                attached.difference_update(gone)
                # First the device registry (entities of a device the bridge
                # let go of go with it), then the hubs (a device still on MQTT
                # passes to that entry, which creates its entities again).
                self.async_remove_stale_devices(entry_id, transport)
                self.async_detach_entry(entry_id, bridge_keys=gone)

        sync()
        return transport.async_add_listener(sync)

    @callback
    def _attach_bridge_device(
        self, entry_id: str, transport: BridgeTransport, key: DeviceKey, *, twin_listed: bool
    ) -> None:
        hub = self._hub(key, twin_listed=twin_listed)
        if hub.bridge is not None:
            # Two bridges with the same lock: the first one keeps it.
            _LOGGER.debug("%s is already reached through another bridge", hub.hex_id)
            return
        hub.bridge = link = BridgeLink(
            entry_id, transport, key, transport.async_add_device_listener(key, hub)
        )
        if (device := link.device) is not None:
            # What the bridge knows already: the baseline of later reports.
            hub.bridge_reported(None, device, "poll")
        self._claim(hub, entry_id)
        hub.async_notify()

    @callback
    def async_remove_stale_devices(self, entry_id: str, transport: BridgeTransport) -> None:
        """Devices the bridge no longer lists are gone from Home Assistant too."""
        registry = dr.async_get(self.hass)
        known = {(DOMAIN, transport.bridge_id)}
        for key in transport.data or {}:
            known |= device_identifiers(key)
        for device_entry in dr.async_entries_for_config_entry(registry, entry_id):
            ours = {i for i in device_entry.identifiers if i[0] == DOMAIN}
            if not ours or ours & known:
                continue
            if PER_ENTRY_DEVICES and self._reached_elsewhere(ours, entry_id):
                # Still on MQTT: the device moved to that entry with its entities.
                continue
            _LOGGER.info("Removing %s: the bridge no longer lists it", device_entry.name)
            if PER_ENTRY_DEVICES:
                registry.async_remove_device(device_entry.id)
            else:
                registry.async_update_device(device_entry.id, remove_config_entry_id=entry_id)

    def _reached_elsewhere(self, identifiers: set[tuple[str, str]], entry_id: str) -> bool:
        """Whether a device with one of ``identifiers`` is reached by another entry too."""
        for hub in self.hubs.values():
            if (DOMAIN, hub.identity.device_identifier) not in identifiers:
                continue
            if any(entry != entry_id for entry in self._entries_of(hub)):
                return True
        return False

    # -- Wi-Fi locks ----------------------------------------------------------------

    @callback
    def async_attach_mqtt(self, entry_id: str, transport: MqttLockTransport) -> DeviceHub:
        hub = self._hub(DeviceKey(transport.nuki_id, opener=False))
        hub.mqtt = transport
        hub.mqtt_unsubscribe = transport.async_add_listener(hub)
        hub.mqtt_lock_changed(MqttLock(nuki_id=transport.nuki_id), transport.lock)
        self._claim(hub, entry_id)
        hub.async_notify()
        return hub

    # -- detaching ------------------------------------------------------------------

    @staticmethod
    def _entries_of(hub: DeviceHub) -> set[str]:
        links = (hub.bridge, hub.mqtt)
        return {link.entry_id for link in links if link is not None}

    @callback
    def async_detach_entry(
        self, entry_id: str, *, bridge_keys: set[DeviceKey] | None = None
    ) -> None:
        """Detach what ``entry_id`` attached (only ``bridge_keys`` of a bridge when given)."""
        for hub in list(self.hubs.values()):
            touched = False
            link = hub.bridge
            if (
                link is not None
                and link.entry_id == entry_id
                and (bridge_keys is None or hub.key in bridge_keys)
            ):
                link.unsubscribe()
                hub.bridge = None
                hub.commands.abort("the bridge stopped reaching the device before its result")
                touched = True
            if bridge_keys is None and hub.mqtt is not None and hub.mqtt.entry_id == entry_id:
                hub.mqtt_unsubscribe()
                hub.mqtt = None
                touched = True
            if touched:
                self._settle(hub)

    @callback
    def _settle(self, hub: DeviceHub) -> None:
        remaining = self._entries_of(hub)
        if not remaining:
            hub.owner = None
            del self.hubs[hub.key]
            return
        if hub.owner not in remaining:
            # The owner's entities are gone with its platforms; the other entry
            # creates them again under the same unique ids.
            previous, hub.owner = hub.owner, next(iter(remaining))
            _LOGGER.debug("%s: entities now belong to entry %s", hub.hex_id, hub.owner)
            if PER_ENTRY_DEVICES and previous is not None:
                # The device moves with them, keeping its id, area and name.
                move_device(self.hass, hub.identity.device_identifier, previous, hub.owner)
        hub.async_notify()


@callback
def async_get_data(hass: HomeAssistant) -> NukiData:
    data = hass.data.get(DATA_NUKI)
    if data is None:
        data = hass.data[DATA_NUKI] = NukiData(hass)
    return data
