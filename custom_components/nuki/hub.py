"""One device per physical Nuki device, whichever transports reach it.

A Smart Lock 3.0 Pro or 4th generation lock can be paired with a bridge (HTTP,
one :class:`~.coordinator.NukiCoordinator` per bridge entry) and connected to
MQTT (one :class:`~.mqtt_lock.MqttLockTransport` per lock entry) at the same
time. Entities never talk to a transport. They belong to a :class:`DeviceHub`,
one per physical device, kept in ``hass.data`` (:class:`NukiData`) and shared
by every config entry that reaches the device:

* **State.** Each transport reports changes into the hub, which folds them into
  one :class:`~nukilocal.models.DeviceState`, field by field: the newest report
  of a field wins. Only what a transport reports as *changed* counts: a bridge
  poll repeating its cache must not undo a newer MQTT state. A report older
  than the hub's timestamp only fills fields nobody reported yet. While the
  lock is connected to MQTT, its own reports are first for every field it
  publishes; the bridge learns the same change later over Bluetooth, so its
  reports of those fields are skipped rather than applied late (entities would
  flip back and forth). When MQTT goes away the bridge's picture is taken over.
* **Availability.** The lock's own MQTT ``connected`` topic (its last will
  clears it) or, failing that, the bridge answering.
* **Commands.** Over MQTT while the lock is connected there: it answers each
  command with a code and sees no bridge queue. Over the bridge otherwise.
  MQTT-only actions (full lock) and lock action events need the MQTT transport.
* **Entities.** The entry that attached first *owns* the hub: its platforms
  create the entities, MQTT-only ones included once MQTT is attached. The other
  entry only links the device to itself in the device registry. Unique ids are
  the same whichever entry creates them, so entity ids stay. When the owner
  unloads, ownership passes to the other entry, whose platforms create the same
  entities again (the registry entries move with them).
* **Life.** A hub lives while a transport is attached; the last detach drops it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Final, Literal

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.typing import UNDEFINED
from homeassistant.util.hass_dict import HassKey

from nukilocal.const import DeviceType, LockAction, OpenerAction
from nukilocal.exceptions import NukiConnectionError
from nukilocal.models import DeviceState, hex_id
from nukilocal.mqtt.protocol import LockActionEvent, MqttLock

from .compat import PER_ENTRY_DEVICES, devices_with_identifier, move_device, via_bridge
from .const import DOMAIN, EVENT_NUKI, EVENT_TYPE_LOCK_ACTION, EVENT_TYPE_RING, MANUFACTURER
from .coordinator import id_qualifier

if TYPE_CHECKING:
    from .coordinator import DeviceKey, NukiCoordinator
    from .mqtt_lock import MqttLockTransport

_LOGGER = logging.getLogger(__name__)

type HubKey = tuple[int, bool]
"""``(nukiId, is_opener)``: ids are unique only per kind of device."""
type Transport = Literal["mqtt", "bridge"]

DATA_NUKI: HassKey[NukiData] = HassKey(DOMAIN)

TRANSPORT_MQTT: Final = "mqtt"
TRANSPORT_BRIDGE: Final = "bridge"


def hub_key(nuki_id: int, device_type: DeviceType) -> HubKey:
    return (nuki_id, device_type.is_opener)


def _changed_fields(old: DeviceState | None, new: DeviceState) -> dict[str, Any]:
    """Fields ``new`` reports differently from ``old`` (all it reports when ``old`` is None)."""
    return {
        f.name: value
        for f in fields(new)
        if f.name != "device_type"
        and (value := getattr(new, f.name)) is not None
        and (old is None or getattr(old, f.name) != value)
    }


@dataclass(slots=True)
class BridgeLink:
    entry_id: str
    coordinator: NukiCoordinator
    key: DeviceKey
    last_state: DeviceState | None
    unsubscribe: list[CALLBACK_TYPE]
    # What the hub's entities last showed of this link: availability, transition.
    last_view: tuple[bool, str | None] | None = None

    @property
    def available(self) -> bool:
        coordinator = self.coordinator
        return (
            coordinator.last_update_success
            and coordinator.data is not None
            and self.key in coordinator.data
        )


class DeviceHub:
    """Everything Home Assistant knows about one physical device."""

    def __init__(self, data: NukiData, key: HubKey, qualifier: str | None = None) -> None:
        self._data = data
        self.key = key
        self.nuki_id = key[0]
        self.hex_id = hex_id(self.nuki_id)
        # None: the built-in integration's ids (nukiId, HEX). Else the device
        # shares its nukiId with one of the other type, which holds those ids.
        self.qualifier = qualifier
        self.unique_id_base = (
            str(self.nuki_id) if qualifier is None else f"{self.nuki_id}_{qualifier}"
        )
        self.device_identifier = self.hex_id if qualifier is None else f"{self.hex_id}_{qualifier}"
        self.state = DeviceState(
            device_type=DeviceType.OPENER if key[1] else DeviceType.SMARTLOCK_3
        )
        self.owner: str | None = None
        self.bridge: BridgeLink | None = None
        self.mqtt: MqttLockTransport | None = None
        self.mqtt_unsubscribe: CALLBACK_TYPE = lambda: None
        self._bridge_name: str | None = None
        self._bridge_firmware: str | None = None
        self._transition: str | None = None
        # Name, firmware and model as last written to the device registry.
        self._registered_facts: tuple[str | None, str | None, str] | None = None
        self._listeners: list[CALLBACK_TYPE] = []
        self._ring_listeners: list[CALLBACK_TYPE] = []
        self._event_listeners: list[Callable[[LockActionEvent], None]] = []

    # -- facts -------------------------------------------------------------------

    @property
    def hass(self) -> HomeAssistant:
        return self._data.hass

    @property
    def device_type(self) -> DeviceType:
        return self.state.device_type

    @property
    def reported_name(self) -> str | None:
        """The name set in the Nuki app, as MQTT or the bridge reported it."""
        mqtt_name = self.mqtt.lock.name if self.mqtt is not None else None
        return mqtt_name or self._bridge_name

    @property
    def name(self) -> str:
        return self.reported_name or f"Nuki {self.hex_id}"

    @property
    def firmware(self) -> str | None:
        mqtt_firmware = self.mqtt.lock.firmware if self.mqtt is not None else None
        return mqtt_firmware or self._bridge_firmware

    @property
    def mqtt_connected(self) -> bool:
        return self.mqtt is not None and self.mqtt.available

    @property
    def available(self) -> bool:
        return self.mqtt_connected or (self.bridge is not None and self.bridge.available)

    @property
    def has_mqtt(self) -> bool:
        return self.mqtt is not None

    @property
    def command_transport(self) -> Transport | None:
        """Where the next command goes: MQTT while connected, else the bridge."""
        if self.mqtt_connected:
            return TRANSPORT_MQTT
        if self.bridge is not None:
            return TRANSPORT_BRIDGE
        if self.mqtt is not None:
            return TRANSPORT_MQTT
        return None

    @property
    def transition(self) -> str | None:
        """A transition shown from the moment a command is sent until the device moves."""
        if self._transition is not None:
            return self._transition
        if self.bridge is not None:
            pending = self.bridge.coordinator.pending.get(self.bridge.key)
            if pending is not None:
                return pending.transition
        return None

    def device_info(self) -> DeviceInfo:
        via: dict[str, Any] = {}
        if self.bridge is not None:
            link = self.bridge
            via = via_bridge(self.hass, link.coordinator.bridge_id, link.entry_id)
        # A TypedDict before 2026.8, a dataclass since; both take keywords.
        make: Callable[..., DeviceInfo] = DeviceInfo
        return make(
            identifiers={(DOMAIN, self.device_identifier)},
            manufacturer=MANUFACTURER,
            name=self.name,
            model=self.device_type.model,
            sw_version=self.firmware,
            serial_number=self.hex_id,
            **via,
        )

    @callback
    def lock_entity_id(self) -> str | None:
        return er.async_get(self.hass).async_get_entity_id("lock", DOMAIN, self.unique_id_base)

    # -- listeners ---------------------------------------------------------------

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Called on every change of state, availability or transition."""
        return _add(self._listeners, listener)

    @callback
    def async_add_ring_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        return _add(self._ring_listeners, listener)

    @callback
    def async_add_event_listener(
        self, listener: Callable[[LockActionEvent], None]
    ) -> CALLBACK_TYPE:
        return _add(self._event_listeners, listener)

    @callback
    def async_notify(self) -> None:
        self._async_update_device_registry()
        for listener in list(self._listeners):
            listener()
        self._data.async_hub_changed(self)

    @callback
    def _async_update_device_registry(self) -> None:
        """A device renamed in the Nuki app or given new firmware: its device page follows.

        Names the user gave in Home Assistant stay (``name_by_user`` wins).
        """
        facts = (self.reported_name, self.firmware, self.device_type.model)
        if facts == self._registered_facts:
            return
        devices = devices_with_identifier(self.hass, self.device_identifier)
        if not devices:
            # Not registered yet: it will be, from device_info(), with these facts.
            return
        self._registered_facts = facts
        name, firmware, model = facts
        registry = dr.async_get(self.hass)
        # One device entry per config entry that reaches the device (Home
        # Assistant 2026.8 and later), or one shared by both (earlier).
        for device in devices:
            unchanged = (
                name in (None, device.name)
                and firmware in (None, device.sw_version)
                and model == device.model
            )
            if unchanged:
                continue
            # Unknown facts (a Wi-Fi lock whose name topic has not arrived yet) stay.
            registry.async_update_device(
                device.id,
                name=name if name is not None else UNDEFINED,
                model=model,
                sw_version=firmware if firmware is not None else UNDEFINED,
            )

    # -- state -------------------------------------------------------------------

    @callback
    def _merge(self, changes: dict[str, Any], device_type: DeviceType | None) -> None:
        current = self.state
        stamp = changes.get("timestamp")
        if stamp is not None and current.timestamp is not None and stamp < current.timestamp:
            # Older than what another transport said: only fill gaps.
            changes = {k: v for k, v in changes.items() if getattr(current, k) is None}
        updated = replace(current, **changes) if changes else current
        if device_type is not None and device_type != updated.device_type:
            updated = replace(updated, device_type=device_type)
        if updated.state != current.state or updated.mode != current.mode:
            # The device moved: from now on its own state says what it does.
            self._transition = None
        self.state = updated

    @callback
    def async_bridge_updated(self) -> None:
        link = self.bridge
        if link is None:
            return
        device = link.coordinator.data.get(link.key) if link.coordinator.data else None
        changed = False
        if device is not None:
            if (device.name, device.firmware_version) != (
                self._bridge_name,
                self._bridge_firmware,
            ):
                self._bridge_name = device.name
                self._bridge_firmware = device.firmware_version
                changed = True
            if device.state != link.last_state:
                changed = True
                changes = _changed_fields(link.last_state, device.state)
                link.last_state = device.state
                if self.mqtt_connected:
                    assert self.mqtt is not None
                    # The lock's own MQTT report of a change comes first; the
                    # bridge relays the same change later over Bluetooth, and
                    # applying it then would flip entities back and forth.
                    mqtt_state = self.mqtt.lock.state
                    changes = {k: v for k, v in changes.items() if getattr(mqtt_state, k) is None}
                self._merge(changes, device.device_type)
        # The coordinator tells every hub of the bridge about every callback and
        # poll; only hubs whose device, availability or pending command changed
        # make their entities write state.
        view = (link.available, self.transition)
        if view != link.last_view:
            link.last_view = view
            changed = True
        if changed:
            self.async_notify()

    @callback
    def mqtt_availability_changed(self, available: bool) -> None:
        """Without MQTT the bridge's picture of the lock is the newest there is."""
        link = self.bridge
        if not available and link is not None and link.last_state is not None:
            self._merge(_changed_fields(None, link.last_state), None)
        self.async_notify()

    @callback
    def mqtt_lock_changed(self, old: MqttLock, new: MqttLock) -> None:
        """The MQTT transport folded a message into its lock: take what changed."""
        device_type = new.device_type if new.device_type_reported else None
        self._merge(_changed_fields(old.state, new.state), device_type)
        self.async_notify()

    @callback
    def async_ring(self) -> None:
        """A new doorbell ring: ``nuki_event`` for automations, then the event entities."""
        self.hass.bus.async_fire(
            EVENT_NUKI, {"type": EVENT_TYPE_RING, "entity_id": self.lock_entity_id()}
        )
        for listener in list(self._ring_listeners):
            listener()

    @callback
    def mqtt_lock_action_event(self, event: LockActionEvent) -> None:
        """Who did what: ``nuki_event`` for automations, then the event entities."""
        self.hass.bus.async_fire(
            EVENT_NUKI,
            {"type": EVENT_TYPE_LOCK_ACTION, "entity_id": self.lock_entity_id()}
            | lock_action_attributes(event),
        )
        for listener in list(self._event_listeners):
            listener(event)

    # -- commands ----------------------------------------------------------------

    async def async_command(
        self, action: LockAction | OpenerAction, transition: str | None
    ) -> None:
        """Send one action over the preferred transport; errors are the library's."""
        transport = self.command_transport
        if transport == TRANSPORT_MQTT:
            assert self.mqtt is not None
            await self._async_mqtt_command(self.mqtt, LockAction(action), transition)
        elif transport == TRANSPORT_BRIDGE:
            assert self.bridge is not None
            await self.bridge.coordinator.async_command(self.bridge.key, action, transition)
        else:
            raise NukiConnectionError(f"no transport reaches {self.hex_id}")

    async def async_mqtt_only_command(self, action: LockAction, transition: str | None) -> None:
        """An action only the MQTT API knows (full lock)."""
        if self.mqtt is None:
            raise NukiConnectionError(f"{self.hex_id} is not connected by MQTT")
        await self._async_mqtt_command(self.mqtt, action, transition)

    async def _async_mqtt_command(
        self, transport: MqttLockTransport, action: LockAction, transition: str | None
    ) -> None:
        if transition is not None:
            self._transition = transition
            self.async_notify()
        try:
            await transport.async_send(action)
        finally:
            if transition is not None and self._transition == transition:
                self._transition = None
                self.async_notify()


def lock_action_attributes(event: LockActionEvent) -> dict[str, Any]:
    """The event data of a ``lockActionEvent``, with names a person can read."""
    source = event.keypad_source
    return {
        "action": event.action_name,
        "trigger": event.trigger_name,
        "auth_id": event.auth_id,
        "code_id": event.code_id,
        "context": event.context,
        "presses": event.presses,
        "keypad_source": source.name.lower() if source is not None else None,
        "auto_unlock": event.auto_unlock,
        "description": event.description,
    }


class NukiData:
    """The hubs of all entries, and which entry's platforms create whose entities."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.hubs: dict[HubKey, DeviceHub] = {}
        self._platform_listeners: dict[str, list[Callable[[DeviceHub], None]]] = {}

    @callback
    def async_add_platform_listener(
        self, entry_id: str, listener: Callable[[DeviceHub], None]
    ) -> CALLBACK_TYPE:
        """``listener`` sees every change of the hubs ``entry_id`` owns."""
        remove = _add(self._platform_listeners.setdefault(entry_id, []), listener)
        for hub in list(self.hubs.values()):
            if hub.owner == entry_id:
                listener(hub)
        return remove

    @callback
    def async_hub_changed(self, hub: DeviceHub) -> None:
        if hub.owner is None:
            return
        for listener in list(self._platform_listeners.get(hub.owner, ())):
            listener(hub)

    def _hub(self, key: HubKey, *, twin_listed: bool = False) -> DeviceHub:
        hub = self.hubs.get(key)
        if hub is None:
            qualifier = self.qualifier(key, twin_listed=twin_listed or self._twin(key) in self.hubs)
            hub = self.hubs[key] = DeviceHub(self, key, qualifier)
        return hub

    @staticmethod
    def _twin(key: HubKey) -> HubKey:
        return (key[0], not key[1])

    @callback
    def qualifier(self, key: HubKey, *, twin_listed: bool) -> str | None:
        """None when the device gets the built-in integration's ids, else its qualifier.

        A nukiId is unique only with its device type: a lock and an opener may
        share one, and then only one of them can have the plain ids. It stays
        with whoever holds them in the registry; with nobody there, the smart
        lock (the built-in integration added locks first). Decided once per
        hub, from the registry, so it does not change with the order of /list.
        """
        nuki_id, is_opener = key
        plain = hex_id(nuki_id)
        qualifier = id_qualifier(DeviceType.OPENER if is_opener else DeviceType.SMARTLOCK)
        if devices_with_identifier(self.hass, f"{plain}_{qualifier}"):
            return qualifier
        holder = next((d for d in devices_with_identifier(self.hass, plain) if d.model), None)
        if holder is not None and holder.model:
            held_by_opener = "opener" in holder.model.lower()
            return None if held_by_opener == is_opener else qualifier
        return qualifier if twin_listed and is_opener else None

    @callback
    def _claim(self, hub: DeviceHub, entry_id: str) -> None:
        if hub.owner is None:
            hub.owner = entry_id
        if PER_ENTRY_DEVICES and hub.owner != entry_id:
            # Home Assistant 2026.8 and later: a device belongs to one config
            # entry, the owner's; a second one would show the lock twice.
            return
        dr.async_get(self.hass).async_get_or_create(config_entry_id=entry_id, **hub.device_info())

    @callback
    def async_attach_bridge(
        self, entry_id: str, coordinator: NukiCoordinator, key: DeviceKey
    ) -> DeviceHub:
        own = hub_key(key[0], key[1])
        twin_listed = coordinator.data is not None and any(
            hub_key(other[0], other[1]) == self._twin(own) for other in coordinator.data
        )
        hub = self._hub(own, twin_listed=twin_listed)
        if hub.bridge is not None:
            if hub.bridge.coordinator is coordinator:
                return hub
            # Two bridges with the same lock: the first one keeps it.
            _LOGGER.debug("%s is already reached through another bridge", hub.hex_id)
            return hub
        link = BridgeLink(entry_id, coordinator, key, None, [])
        hub.bridge = link
        link.unsubscribe = [
            coordinator.async_add_listener(hub.async_bridge_updated),
            coordinator.async_add_ring_listener(key, hub.async_ring),
        ]
        hub.async_bridge_updated()
        self._claim(hub, entry_id)
        hub.async_notify()
        return hub

    @callback
    def async_attach_mqtt(self, entry_id: str, transport: MqttLockTransport) -> DeviceHub:
        hub = self._hub(hub_key(transport.nuki_id, DeviceType.SMARTLOCK_3))
        hub.mqtt = transport
        hub.mqtt_unsubscribe = transport.async_add_listener(hub)
        hub.mqtt_lock_changed(MqttLock(nuki_id=transport.nuki_id), transport.lock)
        self._claim(hub, entry_id)
        hub.async_notify()
        return hub

    @callback
    def async_detach_entry(self, entry_id: str, *, bridge_keys: set[HubKey] | None = None) -> None:
        """Detach what ``entry_id`` attached (only ``bridge_keys`` of a bridge when given)."""
        for hub in list(self.hubs.values()):
            touched = False
            link = hub.bridge
            if (
                link is not None
                and link.entry_id == entry_id
                and (bridge_keys is None or hub.key in bridge_keys)
            ):
                for unsubscribe in link.unsubscribe:
                    unsubscribe()
                hub.bridge = None
                touched = True
            if bridge_keys is None and hub.mqtt is not None and hub.mqtt.entry_id == entry_id:
                hub.mqtt_unsubscribe()
                hub.mqtt = None
                touched = True
            if touched:
                self._settle(hub)

    @callback
    def _settle(self, hub: DeviceHub) -> None:
        if hub.bridge is None and hub.mqtt is None:
            hub.owner = None
            del self.hubs[hub.key]
            return
        remaining = {link.entry_id for link in (hub.bridge, hub.mqtt) if link is not None}
        if hub.owner not in remaining:
            # The owner's entities are gone with its platforms; the other entry
            # creates them again under the same unique ids.
            previous, hub.owner = hub.owner, next(iter(remaining))
            _LOGGER.debug("%s: entities now belong to entry %s", hub.hex_id, hub.owner)
            if PER_ENTRY_DEVICES and previous is not None:
                # The device moves with them, keeping its id, area and name.
                move_device(self.hass, hub.device_identifier, previous, hub.owner)
        hub.async_notify()


@callback
def reached_elsewhere(
    hass: HomeAssistant, identifiers: set[tuple[str, str]], entry_id: str
) -> bool:
    """Whether a device with one of ``identifiers`` is reached by another entry too."""
    for hub in async_get_data(hass).hubs.values():
        if (DOMAIN, hub.device_identifier) not in identifiers:
            continue
        links = (hub.bridge, hub.mqtt)
        if any(link is not None and link.entry_id != entry_id for link in links):
            return True
    return False


@callback
def async_get_data(hass: HomeAssistant) -> NukiData:
    data = hass.data.get(DATA_NUKI)
    if data is None:
        data = hass.data[DATA_NUKI] = NukiData(hass)
    return data


def _add[T](listeners: list[T], listener: T) -> CALLBACK_TYPE:
    listeners.append(listener)

    @callback
    def remove() -> None:
        if listener in listeners:
            listeners.remove(listener)

    return remove
