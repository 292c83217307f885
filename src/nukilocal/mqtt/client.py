"""``MqttLockClient``: Nuki Wi-Fi locks through an MQTT broker, outside Home Assistant.

The client keeps one connection to the broker, subscribes to ``nuki/#`` and
hands every message to the lock's :class:`~.session.MqttLockSession`, which
decides what it means (state, answers, events, discovery). The connection is
re-established with back-off after the broker goes away; a fresh subscription
brings the retained state back.

A lock runs one command at a time and its ``commandResponse`` carries no
correlation id, so commands to one lock are queued here: the next one is
published only after the previous one was answered or timed out. A command whose
answer never comes raises :class:`~nukilocal.exceptions.NukiOutcomeUnknownError`
and is never re-sent (unlatching twice opens the door twice).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Self

from ..extras import MissingExtraError

try:
    import aiomqtt
except ModuleNotFoundError as _err:  # pragma: no cover - depends on the install
    raise MissingExtraError.wrap(_err, "mqtt", "the MQTT client") from _err

from .._listeners import subscribe
from ..const import CommandResponse, LockAction
from ..exceptions import NukiConnectionError, NukiTimeoutError
from ..models import hex_id
from .commands import DEFAULT_COMMAND_TIMEOUT as DEFAULT_COMMAND_TIMEOUT
from .connection import DEFAULT_CONNECT_TIMEOUT as DEFAULT_CONNECT_TIMEOUT
from .connection import BrokerConnection
from .connection import parse_broker_url as parse_broker_url
from .protocol import (
    COMMAND_QOS,
    DEFAULT_PORT,
    DISCOVERY_SUBSCRIBE,
    SUBSCRIBE_ALL,
    Command,
    CommandResponseInfo,
    DiscoveryMessage,
    LockActionEvent,
    Message,
    MqttLock,
    check_command_response,
    encode_lock_action,
    encode_simple,
    normalize_payload,
    parse_message,
)
from .session import MqttLockSession, SessionUpdate

_LOGGER = logging.getLogger(__name__)

URL_ENV: Final = "NUKI_MQTT_URL"

type StateListener = Callable[[MqttLock], None]
type EventListener = Callable[[LockActionEvent], None]
type MessageListener = Callable[[Message], None]
type ConnectionListener = Callable[[bool], None]


@dataclass(eq=False)
class _LockLink:
    """One lock as the client sees it: its session, its command queue, the awaited answer."""

    session: MqttLockSession
    queue: asyncio.Lock = field(default_factory=asyncio.Lock)
    answer: asyncio.Future[CommandResponse] | None = None

    def resolve(self, update: SessionUpdate) -> None:
        """Hand the session's verdict on the outstanding command to whoever awaits it."""
        future = self.answer
        if future is None or future.done():
            return
        if update.answer is not None:
            future.set_result(update.answer.code)
        elif update.failed is not None:
            future.set_exception(update.failed.error)


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
        subscriptions = [(SUBSCRIBE_ALL, COMMAND_QOS)]
        if watch_discovery:
            subscriptions.append((DISCOVERY_SUBSCRIBE, 0))
        self._connection = BrokerConnection(
            host,
            port,
            subscriptions=subscriptions,
            on_message=self._handle,
            on_change=self._connection_changed,
            username=username,
            password=password,
            client_id=client_id,
            protocol=protocol,
            keepalive=keepalive,
            connect_timeout=connect_timeout,
            reconnect_min=reconnect_min,
            reconnect_max=reconnect_max,
        )
        self._links: dict[int, _LockLink] = {}
        self._state_listeners: list[StateListener] = []
        self._event_listeners: list[EventListener] = []
        self._message_listeners: list[MessageListener] = []
        self._connection_listeners: list[ConnectionListener] = []

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> MqttLockClient:
        """``mqtt://[user:pass@]host[:port]``; other options as for the constructor."""
        host, port, username, password = parse_broker_url(url)
        return cls(host, port, username=username, password=password, **kwargs)

    # --- state ----------------------------------------------------------------

    @property
    def locks(self) -> Mapping[int, MqttLock]:
        """Every lock that has published something about itself."""
        return {
            nuki_id: link.session.lock
            for nuki_id, link in self._links.items()
            if link.session.reported
        }

    @property
    def connected(self) -> bool:
        return self._connection.client is not None

    @property
    def connection_count(self) -> int:
        """How many times the broker connection was (re-)established."""
        return self._connection.connections

    @property
    def protocol(self) -> aiomqtt.ProtocolVersion | None:
        """The MQTT version in use once connected."""
        return self._connection.protocol

    def get_lock(self, nuki_id: int) -> MqttLock | None:
        link = self._links.get(nuki_id)
        return link.session.lock if link is not None and link.session.reported else None

    def discovery_configs(self, nuki_id: int) -> list[DiscoveryMessage]:
        """The lock's own Home Assistant discovery configs (``watch_discovery`` only)."""
        link = self._links.get(nuki_id)
        return [] if link is None else list(link.session.discovery.values())

    def _link(self, nuki_id: int) -> _LockLink:
        link = self._links.get(nuki_id)
        if link is None:
            # The lock's connected topic may be unknown (e.g. the broker lost its
            # retained messages): commands still go out unless it is known offline.
            session = MqttLockSession(nuki_id, require_connected=False)
            link = self._links[nuki_id] = _LockLink(session)
        return link

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
        current = self.get_lock(nuki_id)
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
        await self._connection.connect()

    async def close(self) -> None:
        await self._connection.close()

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

    def _connection_changed(self, connected: bool) -> None:
        if not connected:
            for link in list(self._links.values()):
                self._dispatch(link, link.session.connection_lost())
        self._notify(self._connection_listeners, connected)

    def _handle(self, raw: aiomqtt.Message) -> None:
        message = parse_message(raw.topic.value, normalize_payload(raw.payload))
        if message is not None:
            self.handle_message(message, retained=raw.retain)

    def handle_message(self, message: Message, *, retained: bool = False) -> None:
        """Apply one parsed message (the transport calls this; tests may too)."""
        self._notify(self._message_listeners, message)
        link = self._link(message.nuki_id)
        self._dispatch(link, link.session.apply(message, retained=retained))

    def _dispatch(self, link: _LockLink, update: SessionUpdate) -> None:
        link.resolve(update)
        if update.new is not None:
            self._notify(self._state_listeners, update.new)
        if update.event is not None:
            self._notify(self._event_listeners, update.event)

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
        within ``timeout`` (counted from the moment this command's turn came) or
        the lock or the broker connection goes away first,
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

    async def _send(self, command: Command, nuki_id: int, timeout: float) -> CommandResponseInfo:
        link = self._link(nuki_id)
        async with link.queue:
            client = self._connection.client
            if client is None:
                raise NukiConnectionError(
                    f"not connected to the MQTT broker; {command.topic} {command.payload} not sent"
                )
            link.session.begin(command)
            future: asyncio.Future[CommandResponse] = asyncio.get_running_loop().create_future()
            # Set before publishing: the answer can overtake the publish.
            link.answer = future
            try:
                async with asyncio.timeout(timeout):
                    await self._connection.publish_command(client, command)
                    link.session.command_published()
                    code = await future
            except TimeoutError as err:
                raise link.session.command_timed_out(command, timeout) from err
            finally:
                link.session.end_command(command)
                if link.answer is future:
                    link.answer = None
        return check_command_response(nuki_id, command, code)
