"""Wi-Fi smart locks over MQTT, through Home Assistant's own MQTT integration.

Home Assistant already holds a broker connection; a second one (the library's
``MqttLockClient``) would double traffic and break when the broker allows one
login per user. This module is the thin transport: it subscribes to one lock's
topics with ``mqtt.async_subscribe``, hands every message to the library's
sans-I/O :class:`~nukilocal.mqtt.session.MqttLockSession`, publishes commands
with ``mqtt.async_publish`` and waits for their answers. What a message means,
which answer belongs to which command and when a command has to fail is the
session's business; Home Assistant's (listeners, availability log, the repair
issue) is this module's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from homeassistant.components import mqtt
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir

from nukilocal.const import CommandResponse, LockAction
from nukilocal.exceptions import NukiConnectionError
from nukilocal.models import hex_id
from nukilocal.mqtt.protocol import (
    COMMAND_PUBLISH_QOS,
    DEFAULT_COMMAND_TIMEOUT,
    DiscoverySuffix,
    LockActionEvent,
    MqttLock,
    check_command_response,
    discovery_topic,
    encode_lock_action,
    lock_filter,
)
from nukilocal.mqtt.session import MqttLockSession, SessionUpdate

from .const import DOMAIN, ISSUE_LOCK_DISCOVERY, MQTT_RETAINED_TIMEOUT

_LOGGER = logging.getLogger(__name__)

# Commands go at COMMAND_PUBLISH_QOS (0): at most once, not the protocol's QoS 2.
# Home Assistant keeps one paho session across reconnects, and paho re-sends
# unacknowledged QoS 1/2 messages after reconnecting. A command whose outcome was
# already reported unknown (broker gone before its PUBCOMP) would then reach the
# lock seconds or minutes later. Without message expiry (MQTT 5 only, not in
# mqtt.async_publish) QoS 0 is the only way to guarantee it is never delivered late.


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
    session = MqttLockSession(nuki_id)
    complete = asyncio.Event()

    @callback
    def handle(message: mqtt.ReceiveMessage) -> None:
        session.receive(message.topic, message.payload, retained=message.retain)
        if _complete_for_flow(session.lock):
            complete.set()

    unsubscribe = await mqtt.async_subscribe(hass, lock_filter(nuki_id), handle, encoding=None)
    try:
        async with asyncio.timeout(timeout):
            await complete.wait()
    except TimeoutError:
        _LOGGER.debug("Broker has only part of lock %s's topics", hex_id(nuki_id))
    finally:
        unsubscribe()
    return session.lock if session.reported else None


class MqttLockTransport:
    """One Wi-Fi lock's topics: state in, commands out, events and answers back."""

    def __init__(self, hass: HomeAssistant, entry_id: str, nuki_id: int) -> None:
        self.hass = hass
        self.entry_id = entry_id
        self.nuki_id = nuki_id
        self.hex_id = hex_id(nuki_id)
        self._session = MqttLockSession(nuki_id)
        self._listeners: list[MqttListener] = []
        self.command_timeout = DEFAULT_COMMAND_TIMEOUT
        self.broker_connected = mqtt.is_connected(hass)
        # Availability as last logged (None: not known yet).
        self._was_available: bool | None = None
        self._command_lock = asyncio.Lock()
        self._answer: asyncio.Future[CommandResponse] | None = None
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._ready = asyncio.Event()

    @property
    def lock(self) -> MqttLock:
        """Everything the lock has published about itself."""
        return self._session.lock

    @property
    def available(self) -> bool:
        """The broker connection is up and the lock says it is connected."""
        return self.broker_connected and self.lock.connected is True

    @property
    def own_discovery(self) -> Mapping[str, dict[str, Any]]:
        """The lock's own discovery configs by ``<component>/<suffix>``."""
        return self._session.discovery_configs()

    @property
    def commands_sent(self) -> int:
        return self._session.commands_sent

    @property
    def commands_refused(self) -> int:
        return self._session.commands_refused

    @property
    def commands_unanswered(self) -> int:
        return self._session.commands_unanswered

    @property
    def events_received(self) -> int:
        return self._session.events_received

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
        # The exact discovery topics, not homeassistant/+/+/config: that would
        # bring in every discovery config on the broker.
        topics = [lock_filter(self.nuki_id)]
        topics += [discovery_topic(self.nuki_id, suffix) for suffix in DiscoverySuffix]
        for topic_filter in topics:
            self._unsubscribe.append(
                await mqtt.async_subscribe(
                    self.hass, topic_filter, self._async_handle, encoding=None
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
        failed = self._session.fail_command("the integration was unloaded before the lock answered")
        self._async_apply(SessionUpdate(failed=failed))
        ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)

    # -- messages ----------------------------------------------------------------

    @callback
    def _async_handle(self, message: mqtt.ReceiveMessage) -> None:
        update = self._session.receive(message.topic, message.payload, retained=message.retain)
        self._async_apply(update)
        if update.event is not None:
            for listener in list(self._listeners):
                listener.mqtt_lock_action_event(update.event)
        if update.discovery_changed:
            self._async_update_issue()
        if not self._ready.is_set() and _complete_for_setup(self.lock):
            self._ready.set()

    @callback
    def _async_apply(self, update: SessionUpdate) -> None:
        """The lock's change and the outstanding command's end, as the session decided."""
        old, new = update.old, update.new
        if old is not None and new is not None and new.name != old.name and self.own_discovery:
            # Retained topics arrive in any order: name the lock in the issue.
            self._async_update_issue()
        future = self._answer
        if future is not None and not future.done():
            if update.failed is not None:
                future.set_exception(update.failed.error)
            elif update.answer is not None:
                future.set_result(update.answer.code)
        if old is not None and new is not None:
            self._async_lock_changed(old, new)

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
            # connected becomes unknown until the retained topic arrives again.
            update = self._session.connection_lost()
            self._async_apply(update)
            if update.lock_changed:
                return
        for listener in list(self._listeners):
            listener.mqtt_availability_changed(self.available)

    @callback
    def _async_update_issue(self) -> None:
        if count := len(self.own_discovery):
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
                    "count": str(count),
                },
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)

    # -- commands ----------------------------------------------------------------

    async def async_send(self, action: LockAction) -> None:
        """Publish ``lockAction`` and wait for its ``commandResponse``.

        One command at a time: the lock runs one, and its answer names no
        command, so a second one in flight would make answers ambiguous.
        Never re-sent: a lost answer does not mean a lost command.
        """
        command = encode_lock_action(self.nuki_id, action)
        async with self._command_lock:
            if not self.broker_connected:
                raise NukiConnectionError(
                    f"lock {self.hex_id} is not connected to the MQTT broker;"
                    f" {command.topic} {command.payload} not sent"
                )
            # Refused unless the lock is known to be connected.
            self._session.begin(command)
            future: asyncio.Future[CommandResponse] = self.hass.loop.create_future()
            # Set before publishing: the answer can arrive before publish returns.
            self._answer = future
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
                self._session.command_published()
                try:
                    async with asyncio.timeout(self.command_timeout):
                        code = await future
                except TimeoutError as err:
                    raise self._session.command_timed_out(command, self.command_timeout) from err
            finally:
                self._session.end_command(command)
                if self._answer is future:
                    self._answer = None
        check_command_response(self.nuki_id, command, code)

    def diagnostics(self) -> dict[str, Any]:
        return {
            "broker_connected": self.broker_connected,
            "commands_sent": self.commands_sent,
            "commands_refused": self.commands_refused,
            "commands_unanswered": self.commands_unanswered,
            "events_received": self.events_received,
            "own_discovery_configs": sorted(self.own_discovery),
        }
