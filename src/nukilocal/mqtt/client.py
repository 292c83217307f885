"""``MqttLockClient``: Nuki Wi-Fi locks through an MQTT broker, outside Home Assistant.

The client keeps one connection to the broker, subscribes to ``nuki/#`` and
folds every message into per-lock state (:class:`~.protocol.MqttLock`). The
connection is re-established with back-off after the broker goes away; a fresh
subscription brings the retained state back.

A lock runs one command at a time and its ``commandResponse`` carries no
correlation id, so commands to one lock are queued here: the next one is
published only after the previous one was answered or timed out. A command whose
answer never comes raises :class:`~nukilocal.exceptions.NukiOutcomeUnknownError`
and is never re-sent (unlatching twice opens the door twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import unquote, urlsplit

from .._extras import MissingExtraError

try:
    import aiomqtt
    from aiomqtt.exceptions import MqttConnectError
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties
except ModuleNotFoundError as _err:  # pragma: no cover - depends on the install
    raise MissingExtraError.wrap(_err, "mqtt", "the MQTT client") from _err

from .._listeners import subscribe
from ..const import CommandResponse, LockAction
from ..exceptions import (
    NukiAuthError,
    NukiConnectionError,
    NukiError,
    NukiOutcomeUnknownError,
    NukiTimeoutError,
)
from ..models import hex_id
from .protocol import (
    COMMAND_EXPIRY_SECONDS,
    COMMAND_QOS,
    DEFAULT_PORT,
    DISCOVERY_SUBSCRIBE,
    SUBSCRIBE_ALL,
    Command,
    CommandResponseInfo,
    CommandResult,
    DiscoveryMessage,
    LockActionEvent,
    LockUpdate,
    Message,
    MqttLock,
    apply_message,
    check_command_response,
    command_timeout_error,
    encode_lock_action,
    encode_simple,
    parse_message,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_COMMAND_TIMEOUT: Final = 30.0
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
URL_ENV: Final = "NUKI_MQTT_URL"

# CONNACK codes meaning "wrong credentials" in MQTT 3.1.1 (4, 5) and 5 (134, 135).
_AUTH_FAILURE_CODES: Final = frozenset({4, 5, 134, 135})
_UNSUPPORTED_PROTOCOL_CODES: Final = frozenset({1, 132})

type StateListener = Callable[[MqttLock], None]
type EventListener = Callable[[LockActionEvent], None]
type MessageListener = Callable[[Message], None]
type ConnectionListener = Callable[[bool], None]


def parse_broker_url(url: str) -> tuple[str, int, str | None, str | None]:
    """``mqtt://[user:pass@]host[:port]`` -> host, port, username, password."""
    parts = urlsplit(url if "://" in url else f"mqtt://{url}")
    if parts.scheme not in ("mqtt", "tcp"):
        raise ValueError(f"unsupported broker URL scheme {parts.scheme!r} (use mqtt://)")
    if not parts.hostname:
        raise ValueError("broker URL has no host")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError as err:
        raise ValueError(f"bad port in broker URL: {err}") from err
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return parts.hostname, port, username, password


def _reason_code(err: aiomqtt.MqttError) -> int | None:
    rc = getattr(err, "rc", None)
    value = getattr(rc, "value", rc)
    return value if isinstance(value, int) else None


class MqttLockClient:
    """Watch and command Nuki Wi-Fi locks through an MQTT broker."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        *,
        username: str | None = None,
        password: str | None = None,
        client_id: str | None = None,
        protocol: aiomqtt.ProtocolVersion | None = None,
        watch_discovery: bool = False,
        keepalive: int = 60,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        reconnect_min: float = 0.5,
        reconnect_max: float = 30.0,
    ) -> None:
        """``protocol`` None tries MQTT 5 (message expiry) and falls back to 3.1.1."""
        self.host = host
        self.port = port
        self._username = username
        self._password = password
        self._client_id = client_id
        self._protocol = protocol
        self._auto_protocol = protocol is None
        self._watch_discovery = watch_discovery
        self._keepalive = keepalive
        self._connect_timeout = connect_timeout
        self._reconnect_min = reconnect_min
        self._reconnect_max = reconnect_max

        self._locks: dict[int, MqttLock] = {}
        self._discovery: dict[str, DiscoveryMessage] = {}
        self._client: aiomqtt.Client | None = None
        self._task: asyncio.Task[None] | None = None
        self._command_locks: dict[int, asyncio.Lock] = {}
        self._pending: dict[int, asyncio.Future[CommandResponse]] = {}
        self._state_listeners: list[StateListener] = []
        self._event_listeners: list[EventListener] = []
        self._message_listeners: list[MessageListener] = []
        self._connection_listeners: list[ConnectionListener] = []
        self._connections = 0

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> MqttLockClient:
        """``mqtt://[user:pass@]host[:port]``; other options as for the constructor."""
        host, port, username, password = parse_broker_url(url)
        return cls(host, port, username=username, password=password, **kwargs)

    # --- state ----------------------------------------------------------------

    @property
    def locks(self) -> Mapping[int, MqttLock]:
        return self._locks

    @property
    def connected(self) -> bool:
        return self._client is not None

    @property
    def connection_count(self) -> int:
        """How many times the broker connection was (re-)established."""
        return self._connections

    @property
    def protocol(self) -> aiomqtt.ProtocolVersion | None:
        """The MQTT version in use once connected."""
        return self._protocol

    def get_lock(self, nuki_id: int) -> MqttLock | None:
        return self._locks.get(nuki_id)

    def discovery_configs(self, nuki_id: int) -> list[DiscoveryMessage]:
        """The lock's own Home Assistant discovery configs (``watch_discovery`` only)."""
        return [m for m in self._discovery.values() if m.nuki_id == nuki_id]

    # --- listeners --------------------------------------------------------------

    def add_state_listener(self, listener: StateListener) -> Callable[[], None]:
        """Called with the lock's new value whenever anything about it changed."""
        return subscribe(self._state_listeners, listener)

    def add_event_listener(self, listener: EventListener) -> Callable[[], None]:
        """Called for every live ``lockActionEvent``."""
        return subscribe(self._event_listeners, listener)

    def add_message_listener(self, listener: MessageListener) -> Callable[[], None]:
        """Called for every message the parser understood, including discovery."""
        return subscribe(self._message_listeners, listener)

    def add_connection_listener(self, listener: ConnectionListener) -> Callable[[], None]:
        """Called with True after each (re)connection to the broker, False when it drops."""
        return subscribe(self._connection_listeners, listener)

    async def wait_for_lock(
        self,
        nuki_id: int,
        predicate: Callable[[MqttLock], bool] = lambda _lock: True,
        timeout: float = 10.0,
    ) -> MqttLock:
        """The lock once ``predicate`` holds for it (checked now and on every change)."""
        current = self._locks.get(nuki_id)
        if current is not None and predicate(current):
            return current
        future: asyncio.Future[MqttLock] = asyncio.get_running_loop().create_future()

        def check(lock: MqttLock) -> None:
            if lock.nuki_id == nuki_id and not future.done() and predicate(lock):
                future.set_result(lock)

        remove = self.add_state_listener(check)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError as err:
            raise NukiTimeoutError(f"lock {hex_id(nuki_id)} did not reach the state") from err
        finally:
            remove()

    # --- connection ------------------------------------------------------------

    async def connect(self) -> None:
        """Connect and subscribe; later connection losses are repaired in the background."""
        if self._task is not None and not self._task.done():
            return
        first: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._run(first), name="nuki-mqtt-client")
        try:
            async with asyncio.timeout(self._connect_timeout):
                await asyncio.shield(first)
        except TimeoutError as err:
            await self.close()
            raise NukiTimeoutError(f"no answer from MQTT broker {self.host}:{self.port}") from err
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _make_client(self) -> aiomqtt.Client:
        return aiomqtt.Client(
            self.host,
            self.port,
            username=self._username,
            password=self._password,
            identifier=self._client_id,
            protocol=self._protocol or aiomqtt.ProtocolVersion.V5,
            keepalive=self._keepalive,
            timeout=self._connect_timeout,
            logger=_LOGGER.getChild("paho"),
        )

    def _map_error(self, err: aiomqtt.MqttError) -> NukiError:
        code = _reason_code(err)
        where = f"MQTT broker {self.host}:{self.port}"
        if isinstance(err, MqttConnectError) and code in _AUTH_FAILURE_CODES:
            return NukiAuthError(f"{where} refused the username or password ({err})")
        return NukiConnectionError(f"{where}: {err}")

    async def _run(self, first: asyncio.Future[None]) -> None:
        delay = self._reconnect_min
        while True:
            client = self._make_client()
            try:
                async with client:
                    if self._protocol is None:
                        self._protocol = aiomqtt.ProtocolVersion.V5
                    await client.subscribe(SUBSCRIBE_ALL, qos=COMMAND_QOS)
                    if self._watch_discovery:
                        await client.subscribe(DISCOVERY_SUBSCRIBE, qos=0)
                    self._client = client
                    self._connections += 1
                    delay = self._reconnect_min
                    _LOGGER.debug("Connected to MQTT broker %s:%s", self.host, self.port)
                    self._notify(self._connection_listeners, True)
                    if not first.done():
                        first.set_result(None)
                    async for message in client.messages:
                        self._handle(message)
            except aiomqtt.MqttError as err:
                if (
                    self._auto_protocol
                    and _reason_code(err) in _UNSUPPORTED_PROTOCOL_CODES
                    and self._protocol != aiomqtt.ProtocolVersion.V311
                ):
                    _LOGGER.debug("Broker refuses MQTT 5; falling back to 3.1.1")
                    self._protocol = aiomqtt.ProtocolVersion.V311
                    continue
                mapped = self._map_error(err)
                if not first.done():
                    first.set_exception(mapped)
                    return
                _LOGGER.warning("%s; reconnecting in %.1f s", mapped, delay)
            finally:
                if self._client is client:
                    self._connection_lost()
            # Back-off between reconnection attempts, not a synchronisation.
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._reconnect_max)

    def _connection_lost(self) -> None:
        self._client = None
        for future in self._pending.values():
            if not future.done():
                future.set_exception(
                    NukiOutcomeUnknownError(
                        "connection to the MQTT broker dropped before the lock answered"
                    )
                )
        # Whether the locks are still online is unknown until the retained
        # "connected" topics arrive again.
        for nuki_id, lock in list(self._locks.items()):
            if lock.connected is not None:
                self._locks[nuki_id] = updated = _with_connected_unknown(lock)
                self._notify(self._state_listeners, updated)
        self._notify(self._connection_listeners, False)

    def _handle(self, raw: aiomqtt.Message) -> None:
        payload = raw.payload
        data: bytes | str
        if payload is None:
            data = b""
        elif isinstance(payload, bytes | bytearray | str):
            data = payload if isinstance(payload, str) else bytes(payload)
        else:
            data = str(payload)
        message = parse_message(raw.topic.value, data)
        if message is None:
            return
        self.handle_message(message, retained=raw.retain)

    def handle_message(self, message: Message, *, retained: bool = False) -> None:
        """Apply one parsed message (the transport calls this; tests may too)."""
        self._notify(self._message_listeners, message)
        if isinstance(message, LockUpdate):
            changed = apply_message(self._locks, message)
            if changed is not None:
                self._notify(self._state_listeners, changed)
        elif isinstance(message, CommandResult):
            if retained:
                # A retained answer belongs to some old command, never to ours.
                _LOGGER.debug("Ignoring retained commandResponse of %X", message.nuki_id)
                return
            future = self._pending.get(message.nuki_id)
            if future is not None and not future.done():
                future.set_result(message.code)
            else:
                _LOGGER.debug(
                    "commandResponse %s of %X answers a command not sent by this client",
                    message.code,
                    message.nuki_id,
                )
        elif isinstance(message, LockActionEvent):
            if retained:
                _LOGGER.debug("Ignoring retained lockActionEvent of %X", message.nuki_id)
                return
            self._notify(self._event_listeners, message)
        elif isinstance(message, DiscoveryMessage):
            key = f"{message.component}/{message.nuki_id:X}/{message.suffix}"
            if message.config is None:
                self._discovery.pop(key, None)
            else:
                self._discovery[key] = message

    def _notify[T](self, listeners: list[Callable[[T], None]], value: T) -> None:
        for listener in list(listeners):
            try:
                listener(value)
            except Exception:
                _LOGGER.exception("Listener %r failed", listener)

    # --- commands --------------------------------------------------------------

    async def send_action(
        self,
        nuki_id: int,
        action: LockAction | int,
        *,
        timeout: float = DEFAULT_COMMAND_TIMEOUT,
    ) -> CommandResponseInfo:
        """Publish ``lockAction`` and wait for the lock's ``commandResponse``.

        Raises :class:`NukiCommandRefusedError` with the code when the lock
        answers non-zero, :class:`NukiOutcomeUnknownError` when no answer comes
        within ``timeout`` (counted from the moment this command's turn came),
        :class:`NukiConnectionError` when it could not be sent at all.
        """
        return await self._send(encode_lock_action(nuki_id, action), nuki_id, timeout)

    async def lock(
        self, nuki_id: int, *, timeout: float = DEFAULT_COMMAND_TIMEOUT
    ) -> CommandResponseInfo:
        """The firmware's own lock action (``lock`` = ``true``)."""
        return await self._send(encode_simple(nuki_id, lock=True), nuki_id, timeout)

    async def unlock(
        self, nuki_id: int, *, timeout: float = DEFAULT_COMMAND_TIMEOUT
    ) -> CommandResponseInfo:
        """The firmware's own unlock action (``unlock`` = ``true``)."""
        return await self._send(encode_simple(nuki_id, lock=False), nuki_id, timeout)

    def _expiry(self) -> Properties | None:
        if self._protocol != aiomqtt.ProtocolVersion.V5:
            return None
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.MessageExpiryInterval = COMMAND_EXPIRY_SECONDS
        return properties

    async def _send(self, command: Command, nuki_id: int, timeout: float) -> CommandResponseInfo:
        what = f"{command.topic} {command.payload}"
        queue = self._command_locks.setdefault(nuki_id, asyncio.Lock())
        async with queue:
            client = self._client
            if client is None:
                raise NukiConnectionError(f"not connected to the MQTT broker; {what} not sent")
            known = self._locks.get(nuki_id)
            if known is not None and known.connected is False:
                raise NukiConnectionError(f"lock {hex_id(nuki_id)} is offline; {what} not sent")
            future: asyncio.Future[CommandResponse] = asyncio.get_running_loop().create_future()
            # Registered before publishing: the answer can overtake our PUBCOMP.
            self._pending[nuki_id] = future
            try:
                async with asyncio.timeout(timeout):
                    try:
                        await client.publish(
                            command.topic,
                            command.payload,
                            qos=COMMAND_QOS,
                            retain=False,
                            properties=self._expiry(),
                        )
                    except aiomqtt.MqttCodeError as err:
                        raise NukiConnectionError(f"{what} not sent: {err}") from err
                    except aiomqtt.MqttError as err:
                        raise NukiOutcomeUnknownError(
                            f"{what}: delivery not confirmed ({err}); not re-sent"
                        ) from err
                    code = await future
            except TimeoutError as err:
                raise command_timeout_error(nuki_id, command, timeout) from err
            finally:
                if self._pending.get(nuki_id) is future:
                    del self._pending[nuki_id]
        return check_command_response(nuki_id, command, code)


def _with_connected_unknown(lock: MqttLock) -> MqttLock:
    return replace(lock, connected=None)
