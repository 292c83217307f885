"""Wi-Fi smart locks over MQTT, through Home Assistant's own MQTT integration.

Home Assistant already holds a broker connection; a second one (the library's
``MqttLockClient``) would double traffic and break when the broker allows one
login per user. This module is the thin transport: it subscribes to one lock's
topics with ``mqtt.async_subscribe``, feeds every message through the library's
sans-I/O :func:`~nukilocal.mqtt.protocol.parse_message`, and publishes commands
with ``mqtt.async_publish``. What a topic or code means lives in the library.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any, Protocol

from homeassistant.components import mqtt
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir

from nukilocal.const import CommandResponse, LockAction
from nukilocal.exceptions import NukiConnectionError, NukiOutcomeUnknownError
from nukilocal.models import hex_id
from nukilocal.mqtt.protocol import (
    CommandResult,
    DiscoveryMessage,
    DiscoverySuffix,
    LockActionEvent,
    LockUpdate,
    MqttLock,
    check_command_response,
    command_timeout_error,
    discovery_topic,
    encode_lock_action,
    lock_filter,
    parse_message,
)

from .const import DOMAIN, ISSUE_LOCK_DISCOVERY, MQTT_COMMAND_TIMEOUT, MQTT_RETAINED_TIMEOUT

_LOGGER = logging.getLogger(__name__)

# At most once, not the protocol's QoS 2: Home Assistant keeps one paho session
# across reconnects, and paho re-sends unacknowledged QoS 1/2 messages after
# reconnecting. A command whose outcome was already reported unknown (broker
# gone before its PUBCOMP) would then reach the lock seconds or minutes later.
# Without message expiry (MQTT 5 only, not in mqtt.async_publish) QoS 0 is the
# only way to guarantee it is never delivered late.
COMMAND_PUBLISH_QOS = 0


class MqttListener(Protocol):
    """What the transport tells about its lock (the device hub listens)."""

    def mqtt_lock_changed(self, old: MqttLock, new: MqttLock) -> None:
        """A message changed what is known of the lock."""

    def mqtt_availability_changed(self, available: bool) -> None:
        """The lock or the broker connection came or went."""

    def mqtt_lock_action_event(self, event: LockActionEvent) -> None:
        """The lock reported who did what (never a retained one)."""


def _complete_for_setup(lock: MqttLock) -> bool:
    """Enough retained state to create the right entities, under the lock's own name.

    The name matters: entity ids are made from it once, when the entities are
    first registered (retained topics arrive in any order).
    """
    return (
        lock.device_type_reported
        and lock.state.state is not None
        and lock.connected is not None
        and lock.name is not None
    )


def _complete_for_flow(lock: MqttLock) -> bool:
    return lock.device_type_reported and lock.name is not None and lock.firmware is not None


async def async_read_lock(
    hass: HomeAssistant, nuki_id: int, timeout: float | None = None
) -> MqttLock | None:
    """What the broker has retained about a lock; ``None`` when it knows nothing."""
    timeout = MQTT_RETAINED_TIMEOUT if timeout is None else timeout
    lock = MqttLock(nuki_id=nuki_id)
    seen = False
    complete = asyncio.Event()

    @callback
    def handle(message: mqtt.ReceiveMessage) -> None:
        nonlocal lock, seen
        parsed = parse_message(message.topic, _payload(message))
        if isinstance(parsed, LockUpdate) and parsed.nuki_id == nuki_id:
            seen = True
            lock = lock.apply(parsed)
            if _complete_for_flow(lock):
                complete.set()

    unsubscribe = await mqtt.async_subscribe(hass, lock_filter(nuki_id), handle, encoding=None)
    try:
        async with asyncio.timeout(timeout):
            await complete.wait()
    except TimeoutError:
        _LOGGER.debug("Broker has only part of lock %s's topics", hex_id(nuki_id))
    finally:
        unsubscribe()
    return lock if seen else None


def _payload(message: mqtt.ReceiveMessage) -> bytes | str:
    payload = message.payload
    return payload if isinstance(payload, bytes | str) else str(payload)


class MqttLockTransport:
    """One Wi-Fi lock's topics: state in, commands out, events and answers back."""

    def __init__(self, hass: HomeAssistant, entry_id: str, nuki_id: int) -> None:
        self.hass = hass
        self.entry_id = entry_id
        self.nuki_id = nuki_id
        self.hex_id = hex_id(nuki_id)
        self.lock = MqttLock(nuki_id=nuki_id)
        self._listeners: list[MqttListener] = []
        self.command_timeout = MQTT_COMMAND_TIMEOUT
        self.broker_connected = mqtt.is_connected(hass)
        # Availability as last logged (None: not known yet).
        self._was_available: bool | None = None
        self.own_discovery: dict[str, dict[str, Any]] = {}
        self.commands_sent = 0
        self.commands_refused = 0
        self.commands_unanswered = 0
        self.events_received = 0
        self._command_lock = asyncio.Lock()
        self._pending: asyncio.Future[CommandResponse] | None = None
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._ready = asyncio.Event()

    @property
    def available(self) -> bool:
        """The broker connection is up and the lock says it is connected."""
        return self.broker_connected and self.lock.connected is True

    @property
    def issue_id(self) -> str:
        return f"{ISSUE_LOCK_DISCOVERY}_{self.hex_id}"

    @callback
    def async_add_listener(self, listener: MqttListener) -> CALLBACK_TYPE:
        """``listener`` hears of every change of the lock, its availability and events."""
        self._listeners.append(listener)

        @callback
        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    # -- life cycle --------------------------------------------------------------

    async def async_start(self, timeout: float | None = None) -> None:
        """Subscribe and give the retained topics ``timeout`` to arrive."""
        timeout = MQTT_RETAINED_TIMEOUT if timeout is None else timeout
        self._unsubscribe.append(
            mqtt.async_subscribe_connection_status(self.hass, self._async_connection_changed)
        )
        self._unsubscribe.append(
            await mqtt.async_subscribe(
                self.hass, lock_filter(self.nuki_id), self._async_handle, encoding=None
            )
        )
        # The exact topics, not homeassistant/+/+/config: that would bring in
        # every discovery config on the broker.
        for suffix in DiscoverySuffix:
            self._unsubscribe.append(
                await mqtt.async_subscribe(
                    self.hass,
                    discovery_topic(self.nuki_id, suffix),
                    self._async_handle,
                    encoding=None,
                )
            )
        try:
            async with asyncio.timeout(timeout):
                await self._ready.wait()
        except TimeoutError:
            # An offline lock still has retained topics; none at all means the
            # broker lost them. Entities appear as the lock reports itself.
            _LOGGER.info("Lock %s has not published its state yet", self.hex_id)

    @callback
    def async_stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self._fail_pending("the integration was unloaded before the lock answered")
        ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)

    # -- messages ----------------------------------------------------------------

    @callback
    def _async_handle(self, message: mqtt.ReceiveMessage) -> None:
        parsed = parse_message(message.topic, _payload(message))
        if parsed is None or parsed.nuki_id != self.nuki_id:
            return
        if isinstance(parsed, LockUpdate):
            old = self.lock
            self.lock = new = old.apply(parsed)
            if new is not old:
                if new.name != old.name and self.own_discovery:
                    # Retained topics arrive in any order: name the lock in the issue.
                    self._async_update_issue()
                if new.connected is False:
                    self._fail_pending("the lock went offline before it answered")
                self._async_lock_changed(old, new)
            if not self._ready.is_set() and _complete_for_setup(new):
                self._ready.set()
        elif isinstance(parsed, CommandResult):
            self._async_command_result(parsed, retained=message.retain)
        elif isinstance(parsed, LockActionEvent):
            if message.retain:
                # Someone retained an event: it happened at some unknown time.
                _LOGGER.debug("Ignoring retained lockActionEvent of %s", self.hex_id)
                return
            self.events_received += 1
            for listener in list(self._listeners):
                listener.mqtt_lock_action_event(parsed)
        elif isinstance(parsed, DiscoveryMessage):
            self._async_discovery(parsed)
        # Our own commands come back as CommandRequest: nothing to do.

    @callback
    def _async_log_availability(self) -> None:
        """One line when the lock becomes unavailable, one when it is back."""
        if self.broker_connected and self.lock.connected is None:
            # Not known yet: the retained connected topic has not arrived.
            return
        available = self.available
        if available is self._was_available:
            return
        if available and self._was_available is False:
            _LOGGER.info("Nuki lock %s is available again over MQTT", self.hex_id)
        elif not available and self._was_available is not None:
            why = (
                "the connection to the MQTT broker is down"
                if not self.broker_connected
                else "the lock is not connected to the MQTT broker"
            )
            _LOGGER.info("Nuki lock %s is unavailable over MQTT: %s", self.hex_id, why)
        self._was_available = available

    @callback
    def _async_lock_changed(self, old: MqttLock, new: MqttLock) -> None:
        self._async_log_availability()
        for listener in list(self._listeners):
            listener.mqtt_lock_changed(old, new)
            if (old.connected is True) != (new.connected is True):
                listener.mqtt_availability_changed(self.available)

    @callback
    def _async_connection_changed(self, connected: bool) -> None:
        self.broker_connected = connected
        self._async_log_availability()
        if not connected:
            self._fail_pending("the connection to the MQTT broker dropped before the lock answered")
            if self.lock.connected is not None:
                # Unknown until the retained topic arrives again on resubscription.
                old = self.lock
                self.lock = replace(old, connected=None)
                self._async_lock_changed(old, self.lock)
                return
        for listener in list(self._listeners):
            listener.mqtt_availability_changed(self.available)

    @callback
    def _async_command_result(self, result: CommandResult, *, retained: bool) -> None:
        future = self._pending
        if retained or future is None or future.done():
            _LOGGER.debug(
                "commandResponse %s of %s answers no command of ours", result.code, self.hex_id
            )
            return
        future.set_result(result.code)

    @callback
    def _async_discovery(self, message: DiscoveryMessage) -> None:
        key = f"{message.component}/{message.suffix}"
        if message.config is None:
            self.own_discovery.pop(key, None)
        else:
            self.own_discovery[key] = message.config
        self._async_update_issue()

    @callback
    def _async_update_issue(self) -> None:
        if self.own_discovery:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self.issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_LOCK_DISCOVERY,
                translation_placeholders={
                    "name": self.lock.name or self.hex_id,
                    "lock_id": self.hex_id,
                    "count": str(len(self.own_discovery)),
                },
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)

    # -- commands ----------------------------------------------------------------

    def _fail_pending(self, reason: str) -> None:
        future = self._pending
        if future is not None and not future.done():
            future.set_exception(NukiOutcomeUnknownError(f"{reason}; not re-sent"))

    async def async_send(self, action: LockAction) -> None:
        """Publish ``lockAction`` and wait for its ``commandResponse``.

        One command at a time: the lock runs one, and its answer names no
        command, so a second one in flight would make answers ambiguous.
        Never re-sent: a lost answer does not mean a lost command.
        """
        command = encode_lock_action(self.nuki_id, action)
        async with self._command_lock:
            if not self.available:
                raise NukiConnectionError(
                    f"lock {self.hex_id} is not connected to the MQTT broker;"
                    f" {command.topic} {command.payload} not sent"
                )
            future: asyncio.Future[CommandResponse] = self.hass.loop.create_future()
            # Set before publishing: the answer can arrive before publish returns.
            self._pending = future
            try:
                try:
                    await mqtt.async_publish(
                        self.hass,
                        command.topic,
                        command.payload,
                        qos=COMMAND_PUBLISH_QOS,
                        retain=False,
                    )
                except HomeAssistantError as err:
                    raise NukiConnectionError(
                        f"{command.topic} {command.payload} not sent: {err}"
                    ) from err
                self.commands_sent += 1
                try:
                    async with asyncio.timeout(self.command_timeout):
                        code = await future
                except TimeoutError as err:
                    self.commands_unanswered += 1
                    raise command_timeout_error(
                        self.nuki_id, command, self.command_timeout
                    ) from err
            finally:
                if self._pending is future:
                    self._pending = None
        try:
            check_command_response(self.nuki_id, command, code)
        except Exception:
            self.commands_refused += 1
            raise

    def diagnostics(self) -> dict[str, Any]:
        return {
            "broker_connected": self.broker_connected,
            "commands_sent": self.commands_sent,
            "commands_refused": self.commands_refused,
            "commands_unanswered": self.commands_unanswered,
            "events_received": self.events_received,
            "own_discovery_configs": sorted(self.own_discovery),
        }
