"""A Nuki Wi-Fi smart lock (3.0 Pro, 4th generation) speaking the MQTT API to a real broker.

The lock's mechanics live in :class:`~nukilocal.sim.devices.SimSmartLock`; this
module is only its MQTT side, as the hardware does it: connect with a last will
``connected`` = ``false``, publish every state change retained with a fresh
``timestamp``, announce itself to Home Assistant when discovery is on, accept
commands only when "Allow locking" is on, answer each with ``commandResponse``
and report every action as ``lockActionEvent``.

Pass an existing :class:`SimSmartLock` to put the same lock on a bridge stand-in
and on MQTT at once, as Smart Lock 3.0 Pro owners can.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any, Final, Self

from ..extras import MissingExtraError

try:
    import aiomqtt
except ModuleNotFoundError as _err:  # pragma: no cover - depends on the install
    raise MissingExtraError.wrap(_err, "sim", "the Wi-Fi lock stand-in") from _err

from .._listeners import subscribe
from ..const import (
    CommandResponse,
    EventAction,
    KeypadSource,
    LockAction,
    Trigger,
)
from ..models import DeviceState
from ..mqtt.client import parse_broker_url
from ..mqtt.protocol import (
    COMMAND_QOS,
    COMMAND_TOPICS,
    DEFAULT_PORT,
    PAYLOAD_FALSE,
    PAYLOAD_TRUE,
    CommandRequest,
    DiscoverySuffix,
    MqttLock,
    Topic,
    client_id_for,
    discovery_topic,
    encode_command_response,
    encode_state,
    parse_message,
    topic,
)
from .devices import ActionEvent, SimDevice, SimSmartLock

_LOGGER = logging.getLogger(__name__)

DEFAULT_MODEL: Final = "Smart Lock 3.0 Pro"
RECONNECT_SECONDS: Final = 1.0

type Published = tuple[str, str, bool]
"""(topic, payload, retained), what the lock sent; kept for tests and the demo."""


def discovery_configs(
    nuki_id: int, name: str, model: str = DEFAULT_MODEL
) -> dict[DiscoverySuffix, str]:
    """The lock's Home Assistant discovery payloads, compact JSON as the firmware writes it.

    The ``lock`` config is byte for byte the captured one; the others follow
    the same key order and abbreviations (captures of ``lock_battery_critical``
    agree).
    """
    hex_name = f"{nuki_id:X}"
    head: dict[str, Any] = {
        "~": f"nuki/{hex_name}",
        "avty_t": "~/connected",
        "pl_avail": PAYLOAD_TRUE,
        "pl_not_avail": PAYLOAD_FALSE,
        # The firmware writes the identifier list as one bracketed string.
        "dev": {"ids": f"[{hex_name}]", "mf": "Nuki", "name": name, "mdl": model},
    }

    def entity(suffix: DiscoverySuffix, label: str | None) -> dict[str, Any]:
        return {
            **head,
            "name": name if label is None else f"{name} {label}",
            "uniq_id": f"{hex_name}_{suffix}",
        }

    def flag(
        suffix: DiscoverySuffix, label: str, state_topic: Topic, device_class: str
    ) -> dict[str, Any]:
        return {
            **entity(suffix, label),
            "dev_cla": device_class,
            "ent_cat": "diagnostic",
            "stat_t": f"~/{state_topic}",
            "pl_off": PAYLOAD_FALSE,
            "pl_on": PAYLOAD_TRUE,
        }

    def button(suffix: DiscoverySuffix, label: str, action: LockAction) -> dict[str, Any]:
        return {
            **entity(suffix, label),
            "cmd_t": f"~/{Topic.LOCK_ACTION}",
            "pl_prs": str(int(action)),
        }

    configs: dict[DiscoverySuffix, dict[str, Any]] = {
        DiscoverySuffix.LOCK: {
            **entity(DiscoverySuffix.LOCK, None),
            "cmd_t": f"~/{Topic.LOCK_ACTION}",
            "pl_lock": str(int(LockAction.LOCK)),
            "pl_unlk": str(int(LockAction.UNLOCK)),
            "pl_open": str(int(LockAction.UNLATCH)),
            "stat_t": f"~/{Topic.STATE}",
            "stat_locked": "1",
            "stat_locking": "4",
            "stat_unlocked": "3",
            "stat_unlocking": "2",
            "stat_jam": "254",
            "val_tpl": '{% if value in ("5","6","7") %}3{% else %}{{value}}{% endif %}',
        },
        DiscoverySuffix.LOCK_BATTERY_CRITICAL: flag(
            DiscoverySuffix.LOCK_BATTERY_CRITICAL,
            "Battery critical",
            Topic.BATTERY_CRITICAL,
            "battery",
        ),
        DiscoverySuffix.BATTERY_PERCENT: {
            **entity(DiscoverySuffix.BATTERY_PERCENT, "Battery"),
            "dev_cla": "battery",
            "ent_cat": "diagnostic",
            "stat_t": f"~/{Topic.BATTERY_CHARGE_STATE}",
            "unit_of_meas": "%",
        },
        DiscoverySuffix.BATTERY_CHARGING: flag(
            DiscoverySuffix.BATTERY_CHARGING,
            "Battery charging",
            Topic.BATTERY_CHARGING,
            "battery_charging",
        ),
        DiscoverySuffix.DOOR_SENSOR: {
            **entity(DiscoverySuffix.DOOR_SENSOR, "Door sensor"),
            "dev_cla": "door",
            "stat_t": f"~/{Topic.DOOR_SENSOR_STATE}",
            "pl_off": "2",
            "pl_on": "3",
        },
        DiscoverySuffix.DOOR_SENSOR_BATTERY_CRITICAL: flag(
            DiscoverySuffix.DOOR_SENSOR_BATTERY_CRITICAL,
            "Door sensor battery critical",
            Topic.DOOR_SENSOR_BATTERY_CRITICAL,
            "battery",
        ),
        DiscoverySuffix.KEYPAD_BATTERY_CRITICAL: flag(
            DiscoverySuffix.KEYPAD_BATTERY_CRITICAL,
            "Keypad battery critical",
            Topic.KEYPAD_BATTERY_CRITICAL,
            "battery",
        ),
        DiscoverySuffix.UNLATCH_BUTTON: button(
            DiscoverySuffix.UNLATCH_BUTTON, "Unlatch", LockAction.UNLATCH
        ),
        DiscoverySuffix.LOCKNGO_BUTTON: button(
            DiscoverySuffix.LOCKNGO_BUTTON, "Lock 'n' Go", LockAction.LOCK_N_GO
        ),
        DiscoverySuffix.LOCK_N_GO_UNLATCH: button(
            DiscoverySuffix.LOCK_N_GO_UNLATCH,
            "Lock 'n' Go with unlatch",
            LockAction.LOCK_N_GO_UNLATCH,
        ),
    }
    return {
        suffix: json.dumps(config, separators=(",", ":"), ensure_ascii=False)
        for suffix, config in configs.items()
    }


class WifiLockSimulator:
    """The MQTT side of a Wi-Fi smart lock, on top of a :class:`SimSmartLock`."""

    def __init__(
        self,
        lock: SimSmartLock,
        broker_url: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        username: str | None = None,
        password: str | None = None,
        discovery: bool = True,
        allow_locking: bool = True,
        server_connected: bool = True,
        model: str = DEFAULT_MODEL,
        keepalive: int = 60,
        reconnect_seconds: float = RECONNECT_SECONDS,
    ) -> None:
        if broker_url is not None:
            host, port, username, password = parse_broker_url(broker_url)
        self.lock = lock
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.model = model
        self.keepalive = keepalive
        self.reconnect_seconds = reconnect_seconds
        self.server_connected = server_connected
        self.answer_commands = True
        self.published: deque[Published] = deque(maxlen=10_000)
        self.commands_received = 0

        self._discovery = discovery
        self._allow_locking = allow_locking
        self._wifi_online = True
        self._client: aiomqtt.Client | None = None
        self._task: asyncio.Task[None] | None = None
        self._outbox: asyncio.Queue[Published] = asyncio.Queue()
        self._last_state: dict[Topic, str] = {}
        self._connected = asyncio.Event()
        self._may_connect = asyncio.Event()
        self._may_connect.set()
        self._connections = 0
        self._command_tasks: set[asyncio.Task[None]] = set()
        self._publish_listeners: list[Callable[[Published], None]] = []
        self._command_listeners: list[Callable[[CommandRequest], None]] = []
        self._removers: list[Callable[[], None]] = []

    # --- facts ------------------------------------------------------------------

    @property
    def nuki_id(self) -> int:
        return self.lock.nuki_id

    @property
    def client_id(self) -> str:
        return client_id_for(self.nuki_id)

    @property
    def connected(self) -> bool:
        return self._client is not None

    @property
    def connection_count(self) -> int:
        return self._connections

    @property
    def discovery(self) -> bool:
        return self._discovery

    @property
    def allow_locking(self) -> bool:
        return self._allow_locking

    def topic(self, name: Topic | str) -> str:
        return topic(self.nuki_id, name)

    def add_publish_listener(self, listener: Callable[[Published], None]) -> Callable[[], None]:
        """Called for every message the lock has handed to the broker."""
        return subscribe(self._publish_listeners, listener)

    def add_command_listener(
        self, listener: Callable[[CommandRequest], None]
    ) -> Callable[[], None]:
        """Called for every command the lock receives, answered or not."""
        return subscribe(self._command_listeners, listener)

    def state_payloads(self) -> dict[Topic, str]:
        """The retained topics for the lock as it is now."""
        device = self.lock
        state = DeviceState.from_dict(device.state_dict(), device.device_type)
        door_battery = (
            device.door_sensor_battery_critical if device.door_sensor_state is not None else None
        )
        state = state.merged_with(
            DeviceState(device_type=device.device_type, door_sensor_battery_critical=door_battery)
        )
        snapshot = MqttLock(
            nuki_id=device.nuki_id,
            state=state,
            name=device.name,
            firmware=device.firmware_version,
            connected=True,
            server_connected=self.server_connected,
        )
        return encode_state(snapshot)

    # --- life cycle ----------------------------------------------------------------

    async def start(self, *, wait: bool = True, timeout: float = 10.0) -> None:
        """Connect in the background (reconnecting like the hardware); ``wait`` for the first."""
        if self._task is None or self._task.done():
            self._removers = [
                self.lock.add_listener(self._on_device_change),
                self.lock.add_identity_listener(self._on_device_change),
                self.lock.add_action_listener(self._on_action),
            ]
            self._task = asyncio.create_task(self._run(), name=f"wifilock-{self.client_id}")
        if wait:
            await self.wait_connected(timeout)

    async def wait_connected(self, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            await self._connected.wait()

    async def stop(self) -> None:
        """Disconnect cleanly (no last will), like switching MQTT off in the app."""
        for remove in self._removers:
            remove()
        self._removers = []
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for command in list(self._command_tasks):
            command.cancel()
        for command in list(self._command_tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await command

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _run(self) -> None:
        while True:
            await self._may_connect.wait()
            if not self.lock.online:
                await self.lock.wait_for(lambda device: device.online)
                continue
            client = aiomqtt.Client(
                self.host,
                self.port,
                username=self.username,
                password=self.password,
                identifier=self.client_id,
                protocol=aiomqtt.ProtocolVersion.V311,
                will=aiomqtt.Will(self.topic(Topic.CONNECTED), PAYLOAD_FALSE, qos=1, retain=True),
                clean_session=True,
                keepalive=self.keepalive,
                logger=_LOGGER.getChild("paho"),
                # Each command answer goes out at once: with Nagle's algorithm the
                # answer can wait for the broker's acknowledgement of the last
                # packet (tens of ms), which would be measured as the integration's.
                socket_options=((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),),
            )
            try:
                async with client, asyncio.TaskGroup() as group:
                    await self._on_connect(client)
                    group.create_task(self._drain_outbox(client))
                    async for message in client.messages:
                        self._on_message(message)
            except* aiomqtt.MqttError as errors:
                _LOGGER.debug("Lock %s lost the broker: %s", self.lock.hex_id, errors.exceptions)
            except* Exception:
                # A stand-in bug must not silently end the lock's connection loop.
                _LOGGER.exception("Lock %s connection loop failed", self.lock.hex_id)
            finally:
                self._client = None
                self._connected.clear()
            # The hardware retries on its own, at a steady pace.
            await asyncio.sleep(self.reconnect_seconds)

    async def _on_connect(self, client: aiomqtt.Client) -> None:
        # Anything queued before is superseded by the full state below; changes
        # from here on are queued and follow it.
        while not self._outbox.empty():
            self._outbox.get_nowait()
        self._client = client
        # Listening before telling: once "connected" is out, a command may come
        # at once, and one published before the broker has the subscription is
        # lost (QoS 0).
        if self._allow_locking:
            await self._subscribe_commands(client)
        self._last_state = self.state_payloads()
        for name, payload in self._last_state.items():
            await self._publish(client, self.topic(name), payload, retain=True)
        if self._discovery:
            await self._publish_discovery(client, clear=False)
        self._connections += 1
        self._connected.set()

    async def _drain_outbox(self, client: aiomqtt.Client) -> None:
        while True:
            name, payload, retain = await self._outbox.get()
            await self._publish(client, name, payload, retain=retain)

    async def _publish(
        self, client: aiomqtt.Client, name: str, payload: str, *, retain: bool
    ) -> None:
        await client.publish(name, payload, qos=0, retain=retain)
        record = (name, payload, retain)
        self.published.append(record)
        for listener in list(self._publish_listeners):
            try:
                listener(record)
            except Exception:
                _LOGGER.exception("Publish listener failed")

    async def _subscribe_commands(self, client: aiomqtt.Client) -> None:
        for name in sorted(COMMAND_TOPICS):
            await client.subscribe(self.topic(name), qos=COMMAND_QOS)

    async def _unsubscribe_commands(self, client: aiomqtt.Client) -> None:
        for name in sorted(COMMAND_TOPICS):
            await client.unsubscribe(self.topic(name))

    async def _publish_discovery(self, client: aiomqtt.Client, *, clear: bool) -> None:
        for suffix, config in discovery_configs(self.nuki_id, self.lock.name, self.model).items():
            await self._publish(
                client, discovery_topic(self.nuki_id, suffix), "" if clear else config, retain=True
            )

    # --- what the lock does ----------------------------------------------------------

    def _queue(self, name: str, payload: str, *, retain: bool) -> None:
        if self._client is not None:
            self._outbox.put_nowait((name, payload, retain))

    def _on_device_change(self, device: SimDevice) -> None:
        if not device.online:
            if self._client is not None:
                self._drop()
            return
        payloads = self.state_payloads()
        for name, payload in payloads.items():
            # The timestamp changes on every update, so every update is seen.
            if self._last_state.get(name) != payload:
                self._queue(self.topic(name), payload, retain=True)
        self._last_state = payloads

    def _on_action(self, device: SimDevice, event: ActionEvent) -> None:
        self._queue(self.topic(Topic.LOCK_ACTION_EVENT), event.payload, retain=False)

    def _on_message(self, raw: aiomqtt.Message) -> None:
        payload = raw.payload if isinstance(raw.payload, bytes | str) else b""
        message = parse_message(raw.topic.value, payload)
        if not isinstance(message, CommandRequest) or message.nuki_id != self.nuki_id:
            _LOGGER.debug("Lock %s ignores %s", self.lock.hex_id, raw.topic.value)
            return
        self.commands_received += 1
        for listener in list(self._command_listeners):
            listener(message)
        if not self.answer_commands or not self._allow_locking:
            return
        task = asyncio.create_task(self._execute(message))
        self._command_tasks.add(task)
        task.add_done_callback(self._command_tasks.discard)

    async def _execute(self, command: CommandRequest) -> None:
        action: LockAction
        if command.action is not None:
            action = command.action
        elif command.topic is Topic.LOCK:
            action = self.lock.SIMPLE_LOCK
        else:
            action = self.lock.SIMPLE_UNLOCK
        code = await self.lock.perform(action, trigger=Trigger.MQTT)
        self._queue(self.topic(Topic.COMMAND_RESPONSE), encode_command_response(code), retain=False)

    # --- the app's settings ------------------------------------------------------

    async def set_discovery(self, enabled: bool) -> None:
        """The app's "Home Assistant discovery" switch; off clears the configs once."""
        if enabled == self._discovery:
            return
        self._discovery = enabled
        client = self._client
        if client is not None:
            await self._publish_discovery(client, clear=not enabled)

    async def set_allow_locking(self, enabled: bool) -> None:
        """The app's "Allow locking" switch: off means the lock stops subscribing."""
        if enabled == self._allow_locking:
            return
        self._allow_locking = enabled
        client = self._client
        if client is not None:
            if enabled:
                await self._subscribe_commands(client)
            else:
                await self._unsubscribe_commands(client)

    def set_server_connected(self, connected: bool) -> None:
        self.server_connected = connected
        self._on_device_change(self.lock)

    # --- faults ---------------------------------------------------------------

    def drop_connection(self) -> None:
        """Lose the TCP connection without DISCONNECT: the broker fires the last will.

        The lock reconnects by itself after ``reconnect_seconds``.
        """
        self._drop()

    def go_offline(self) -> None:
        """Wi-Fi gone: the connection drops (last will) and stays down until :meth:`go_online`."""
        self._may_connect.clear()
        self._drop()

    def go_online(self) -> None:
        self._may_connect.set()

    def stop_answering(self, stop: bool = True) -> None:
        """Keep receiving commands but neither execute nor answer them."""
        self.answer_commands = not stop

    def _drop(self) -> None:
        client = self._client
        if client is None:
            return
        # aiomqtt offers no way to vanish without DISCONNECT; closing the
        # socket under paho is exactly what a Wi-Fi loss looks like to a broker.
        sock = client._client.socket()
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    # --- the physical world, beyond SimSmartLock --------------------------------

    async def press_button(
        self, action: LockAction | None = None, *, presses: int = 1
    ) -> CommandResponse:
        """Press the lock's button; ``action`` None is a press that moves nothing (90)."""
        if action is None:
            self._announce(EventAction.BUTTON_WITHOUT_ACTION, Trigger.BUTTON, context=presses)
            return CommandResponse.SUCCESS
        return await self.lock.perform(action, trigger=Trigger.BUTTON, context=presses)

    async def press_fob(
        self, action: LockAction | None = None, *, auth_id: int = 0, presses: int = 1
    ) -> CommandResponse:
        """A Nuki Fob press; ``action`` None is a press without action (80)."""
        if action is None:
            self._announce(
                EventAction.FOB_WITHOUT_ACTION, Trigger.SYSTEM, auth_id=auth_id, context=presses
            )
            return CommandResponse.SUCCESS
        return await self.lock.perform(
            action, trigger=Trigger.SYSTEM, auth_id=auth_id, context=presses
        )

    async def use_keypad(
        self,
        action: LockAction = LockAction.UNLATCH,
        *,
        auth_id: int,
        code_id: int,
        source: KeypadSource = KeypadSource.CODE,
    ) -> CommandResponse:
        return await self.lock.perform(
            action, trigger=Trigger.SYSTEM, auth_id=auth_id, code_id=code_id, context=int(source)
        )

    async def auto_unlock(self, *, auth_id: int) -> CommandResponse:
        """The app's auto unlock when its phone comes home."""
        return await self.lock.perform(
            LockAction.UNLOCK, trigger=Trigger.SYSTEM, auth_id=auth_id, context=1
        )

    def _announce(
        self, action: int, trigger: Trigger, *, auth_id: int = 0, context: int = 0
    ) -> None:
        event = ActionEvent(action=action, trigger=trigger, auth_id=auth_id, context=context)
        self._on_action(self.lock, event)
