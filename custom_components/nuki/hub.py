"""One device hub per physical Nuki device, whichever transports reach it.

A Smart Lock 3.0 Pro or 4th generation lock can be paired with a bridge (a
:class:`~.bridge.BridgeTransport` of a bridge entry) and connected to MQTT (a
:class:`~.mqtt_lock.MqttLockTransport` of a Wi-Fi lock entry) at the same time.
Entities never talk to a transport; they belong to the device's hub, which
listens to each transport that reaches the device (docs/architecture.md):

* **State.** Each transport reports the device; the hub folds what a report
  *changed* into one :class:`~nukilocal.models.DeviceState`, field by field,
  the newest report of a field winning. A bridge poll repeating its cache must
  not undo a newer MQTT state; a report older than the hub's timestamp only
  fills fields nobody reported yet. While the lock is connected to MQTT, its
  own reports come first for every field it publishes: the bridge learns the
  same change later over Bluetooth, so its reports of those fields are skipped
  rather than applied late (entities would flip back and forth). When MQTT
  goes away the bridge's picture is taken over.
* **Availability.** The lock's own MQTT ``connected`` topic (its last will
  clears it) or, failing that, the bridge answering and listing the device.
* **Commands.** Over MQTT while the lock is connected there (it answers each
  command with a code and sees no bridge queue), over the bridge otherwise.
  From the moment a command is sent until the device moves the hub shows its
  transition (locking, unlocking, opening).
* **Rings.** An opener's ring fires ``nuki_event`` and the doorbell entity once,
  however many callbacks and polls report it (rings.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo

from nukilocal.const import DeviceType
from nukilocal.models import Device, DeviceState
from nukilocal.mqtt.protocol import LockActionEvent, MqttLock

from .commands import TRANSPORT_BRIDGE, TRANSPORT_MQTT, DeviceCommands, Transport
from .const import DOMAIN, EVENT_NUKI, EVENT_TYPE_LOCK_ACTION, EVENT_TYPE_RING
from .hub_commands import HubCommands
from .identity import DeviceFacts, DeviceIdentity, async_update_facts, device_info
from .rings import ReportSource, RingTrack

if TYPE_CHECKING:
    from .bridge import BridgeLink
    from .mqtt_lock import MqttLockTransport


class DeviceHub(HubCommands):
    """Everything Home Assistant knows about one physical device."""

    def __init__(
        self, hass: HomeAssistant, identity: DeviceIdentity, on_change: Callable[[DeviceHub], None]
    ) -> None:
        self.hass = hass
        self.identity = identity
        self.key = identity.key
        self.state = DeviceState(
            device_type=DeviceType.OPENER if self.key.opener else DeviceType.SMARTLOCK_3
        )
        self.owner: str | None = None
        self.bridge: BridgeLink | None = None
        self.mqtt: MqttLockTransport | None = None
        self.mqtt_unsubscribe: CALLBACK_TYPE = lambda: None
        self._on_change = on_change
        self.commands = DeviceCommands(self.async_notify)
        self._rings = RingTrack()
        # What the entities last showed: availability, transition.
        self._view: tuple[bool, str | None] | None = None
        # As last written to the device registry.
        self._registered_facts: DeviceFacts | None = None
        self._listeners: list[CALLBACK_TYPE] = []
        self._ring_listeners: list[CALLBACK_TYPE] = []
        self._event_listeners: list[Callable[[LockActionEvent], None]] = []

    # -- facts -------------------------------------------------------------------

    @property
    def hex_id(self) -> str:
        return self.key.hex_id

    @property
    def unique_id_base(self) -> str:
        return self.identity.unique_id_base

    @property
    def device_type(self) -> DeviceType:
        return self.state.device_type

    @property
    def reported_name(self) -> str | None:
        """The name set in the Nuki app, as MQTT or the bridge reported it."""
        mqtt_name = self.mqtt.lock.name if self.mqtt is not None else None
        device = self.bridge.device if self.bridge is not None else None
        return mqtt_name or (device.name if device is not None else None)

    @property
    def name(self) -> str:
        return self.reported_name or f"Nuki {self.hex_id}"

    @property
    def firmware(self) -> str | None:
        mqtt_firmware = self.mqtt.lock.firmware if self.mqtt is not None else None
        device = self.bridge.device if self.bridge is not None else None
        return mqtt_firmware or (device.firmware_version if device is not None else None)

    @property
    def mqtt_connected(self) -> bool:
        return self.mqtt is not None and self.mqtt.available

    @property
    def bridge_available(self) -> bool:
        link = self.bridge
        return link is not None and link.transport.device_available(self.key)

    @property
    def available(self) -> bool:
        return self.mqtt_connected or self.bridge_available

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
        """Shown from the moment a command is sent until the device moves."""
        return self.commands.transition

    @property
    def pending(self) -> bool:
        return self.commands.pending

    @property
    def facts(self) -> DeviceFacts:
        return (self.reported_name, self.firmware, self.device_type.model)

    def device_info(self) -> DeviceInfo:
        link = self.bridge
        via = (link.transport.bridge_id, link.entry_id) if link is not None else None
        return device_info(self.hass, self.identity, self.facts, via)

    @callback
    def lock_entity_id(self) -> str | None:
        return er.async_get(self.hass).async_get_entity_id("lock", DOMAIN, self.unique_id_base)

    # -- listeners ---------------------------------------------------------------

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Called on every change of state, availability or transition."""
        return add_listener(self._listeners, listener)

    @callback
    def async_add_ring_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        return add_listener(self._ring_listeners, listener)

    @callback
    def async_add_event_listener(
        self, listener: Callable[[LockActionEvent], None]
    ) -> CALLBACK_TYPE:
        return add_listener(self._event_listeners, listener)

    @callback
    def async_notify(self) -> None:
        facts = self.facts
        if facts != self._registered_facts and async_update_facts(
            self.hass, self.identity.device_identifier, facts
        ):
            self._registered_facts = facts
        self._view = (self.available, self.transition)
        for listener in list(self._listeners):
            listener()
        self._on_change(self)

    @callback
    def _async_notify_if_shown_changed(self) -> None:
        if (self.available, self.transition) != self._view:
            self.async_notify()

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
            self.commands.device_moved()
        self.state = updated

    @callback
    def bridge_reported(self, old: Device | None, new: Device, source: ReportSource) -> None:
        """A bridge callback or poll: fold in what changed, settle a command, count a ring."""
        self.commands.bridge_reported(new.state, by_callback=source == "callback")
        old_state = old.state if old is not None else None
        changed = old is None or new != old
        if new.state != old_state:
            changes = new.state.changes_since(old_state)
            if self.mqtt_connected:
                assert self.mqtt is not None
                # The lock's own MQTT report of a change comes first; the
                # bridge relays the same change later over Bluetooth.
                mqtt_state = self.mqtt.lock.state
                changes = {k: v for k, v in changes.items() if getattr(mqtt_state, k) is None}
            self._merge(changes, new.device_type)
        if changed:
            self.async_notify()
        else:
            self._async_notify_if_shown_changed()
        if self.key.opener and self._rings.report(source, old_state, new.state):
            self._async_ring()

    @callback
    def bridge_availability_changed(self) -> None:
        self._async_notify_if_shown_changed()

    @callback
    def bridge_info_changed(self) -> None:
        self.async_notify()

    @callback
    def mqtt_availability_changed(self, available: bool) -> None:
        """Without MQTT the bridge's picture of the lock is the newest there is."""
        device = self.bridge.device if self.bridge is not None else None
        if not available and device is not None:
            self._merge(device.state.changes_since(None), None)
        self.async_notify()

    @callback
    def mqtt_lock_changed(self, old: MqttLock, new: MqttLock) -> None:
        """The MQTT transport folded a message into its lock: take what changed."""
        device_type = new.device_type if new.device_type_reported else None
        self._merge(new.state.changes_since(old.state), device_type)
        self.async_notify()

    @callback
    def _async_ring(self) -> None:
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
            | event.attributes(),
        )
        for listener in list(self._event_listeners):
            listener(event)


def add_listener[T](listeners: list[T], listener: T) -> CALLBACK_TYPE:
    listeners.append(listener)

    @callback
    def remove() -> None:
        if listener in listeners:
            listeners.remove(listener)

    return remove
