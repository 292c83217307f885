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
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo

from nukilocal.const import DeviceType, LockAction, OpenerAction
from nukilocal.exceptions import NukiConnectionError
from nukilocal.models import Device, DeviceKey, DeviceState
from nukilocal.mqtt.protocol import LockActionEvent, MqttLock

from .commands import (
    TRANSPORT_BRIDGE,
    TRANSPORT_MQTT,
    BridgeAction,
    DeviceCommands,
    PendingCommand,
    Transport,
)
from .const import DOMAIN, EVENT_NUKI, EVENT_TYPE_LOCK_ACTION, EVENT_TYPE_RING
from .identity import DeviceFacts, DeviceIdentity, async_update_facts, device_info
from .rings import ReportSource, RingTrack

if TYPE_CHECKING:
    from .bridge import BridgeTransport
    from .mqtt_lock import MqttLockTransport


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
    """How the hub reaches its device through a bridge."""

    entry_id: str
    transport: BridgeTransport
    key: DeviceKey
    unsubscribe: CALLBACK_TYPE

    @property
    def device(self) -> Device | None:
        data = self.transport.data
        return data.get(self.key) if data is not None else None


class DeviceHub:
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
            changes = _changed_fields(old_state, new.state)
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
            self._merge(_changed_fields(None, device.state), None)
        self.async_notify()

    @callback
    def mqtt_lock_changed(self, old: MqttLock, new: MqttLock) -> None:
        """The MQTT transport folded a message into its lock: take what changed."""
        device_type = new.device_type if new.device_type_reported else None
        self._merge(_changed_fields(old.state, new.state), device_type)
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
            | lock_action_attributes(event),
        )
        for listener in list(self._event_listeners):
            listener(event)

    # -- commands ----------------------------------------------------------------

    async def async_command(
        self, action: LockAction | OpenerAction, transition: str | None
    ) -> None:
        """Send one action over the preferred transport; errors are the library's.

        One command per device at a time: the next one waits for this one's
        result, showing its own transition meanwhile.
        """
        pending = self.commands.begin(transition, self.command_transport)
        try:
            async with self.commands.hold:
                via = self.command_transport
                if pending is not None and via is not None:
                    # Decided now: the transports may have changed while it waited.
                    pending.via = via
                if via == TRANSPORT_MQTT:
                    await self._async_mqtt(LockAction(action), pending)
                elif via == TRANSPORT_BRIDGE:
                    await self._async_bridge(action, pending)
                else:
                    raise NukiConnectionError(f"no transport reaches {self.hex_id}")
        except BaseException:
            self.commands.drop(pending)
            raise

    async def async_mqtt_only_command(self, action: LockAction, transition: str | None) -> None:
        """An action only the MQTT API knows (full lock)."""
        pending = self.commands.begin(transition, TRANSPORT_MQTT)
        try:
            async with self.commands.hold:
                await self._async_mqtt(action, pending)
        except BaseException:
            self.commands.drop(pending)
            raise

    async def _async_mqtt(self, action: LockAction, pending: PendingCommand | None) -> None:
        transport = self.mqtt
        if transport is None:
            raise NukiConnectionError(f"{self.hex_id} is not connected by MQTT")
        await self.commands.async_run_mqtt(lambda: transport.async_send(action), pending)

    async def _async_bridge(
        self, action: LockAction | OpenerAction, pending: PendingCommand | None
    ) -> None:
        link = self.bridge
        assert link is not None
        transport, key = link.transport, link.key
        device = link.device
        before = device.state if device is not None else self.state

        async def check() -> DeviceState | None:
            await transport.async_refresh()
            device = transport.data.get(key) if transport.data else None
            return device.state if device is not None else None

        command = BridgeAction(
            action=action,
            before=before,
            send=lambda: transport.async_send(key, action),
            check=check,
            verify_later=lambda still: transport.async_verify_later(wanted=still),
            finished=lambda: transport.action_finished(key),
        )
        await self.commands.async_run_bridge(command, pending)


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


def add_listener[T](listeners: list[T], listener: T) -> CALLBACK_TYPE:
    listeners.append(listener)

    @callback
    def remove() -> None:
        if listener in listeners:
            listeners.remove(listener)

    return remove
