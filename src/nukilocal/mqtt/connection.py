"""One connection to an MQTT broker, re-established with back-off (needs aiomqtt).

:class:`BrokerConnection` knows nothing of locks: it subscribes to the filters
it was given after every (re)connection, hands each message to a callback and
publishes commands. :class:`~.client.MqttLockClient` builds on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Final
from urllib.parse import unquote, urlsplit

from ..extras import MissingExtraError

try:
    import aiomqtt
    from aiomqtt.exceptions import MqttConnectError
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties
except ModuleNotFoundError as _err:  # pragma: no cover - depends on the install
    raise MissingExtraError.wrap(_err, "mqtt", "the MQTT client") from _err

from ..exceptions import (
    NukiAuthError,
    NukiConnectionError,
    NukiError,
    NukiOutcomeUnknownError,
    NukiTimeoutError,
)
from .protocol import COMMAND_EXPIRY_SECONDS, COMMAND_PUBLISH_QOS, DEFAULT_PORT, Command

_LOGGER = logging.getLogger(__name__)

DEFAULT_CONNECT_TIMEOUT: Final = 10.0

# CONNACK codes meaning "wrong credentials" in MQTT 3.1.1 (4, 5) and 5 (134, 135).
_AUTH_FAILURE_CODES: Final = frozenset({4, 5, 134, 135})
_UNSUPPORTED_PROTOCOL_CODES: Final = frozenset({1, 132})


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


class BrokerConnection:
    """Connect, subscribe, deliver messages; reconnect with back-off when the broker goes."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        subscriptions: Sequence[tuple[str, int]],
        on_message: Callable[[aiomqtt.Message], None],
        on_change: Callable[[bool], None],
        username: str | None = None,
        password: str | None = None,
        client_id: str | None = None,
        protocol: aiomqtt.ProtocolVersion | None = None,
        keepalive: int = 60,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        reconnect_min: float = 0.5,
        reconnect_max: float = 30.0,
    ) -> None:
        """``on_change`` hears True after each (re)connection, False when it drops."""
        self.host = host
        self.port = port
        self.subscriptions = tuple(subscriptions)
        self._on_message = on_message
        self._on_change = on_change
        self._username = username
        self._password = password
        self._client_id = client_id
        self.protocol = protocol
        self._auto_protocol = protocol is None
        self._keepalive = keepalive
        self._connect_timeout = connect_timeout
        self._reconnect_min = reconnect_min
        self._reconnect_max = reconnect_max
        self.client: aiomqtt.Client | None = None
        """The live client while connected and subscribed."""
        self.connections = 0
        self._task: asyncio.Task[None] | None = None

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

    def _make_client(self) -> aiomqtt.Client:
        return aiomqtt.Client(
            self.host,
            self.port,
            username=self._username,
            password=self._password,
            identifier=self._client_id,
            protocol=self.protocol or aiomqtt.ProtocolVersion.V5,
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
                    await self._subscribe(client)
                    delay = self._reconnect_min
                    if not first.done():
                        first.set_result(None)
                    async for message in client.messages:
                        self._on_message(message)
            except aiomqtt.MqttError as err:
                if self._falls_back_to_v311(err):
                    continue
                mapped = self._map_error(err)
                if not first.done():
                    first.set_exception(mapped)
                    return
                _LOGGER.warning("%s; reconnecting in %.1f s", mapped, delay)
            finally:
                if self.client is client:
                    self.client = None
                    self._on_change(False)
            # Back-off between reconnection attempts, not a synchronisation.
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._reconnect_max)

    async def _subscribe(self, client: aiomqtt.Client) -> None:
        if self.protocol is None:
            self.protocol = aiomqtt.ProtocolVersion.V5
        for topic_filter, qos in self.subscriptions:
            await client.subscribe(topic_filter, qos=qos)
        self.client = client
        self.connections += 1
        _LOGGER.debug("Connected to MQTT broker %s:%s", self.host, self.port)
        self._on_change(True)

    def _falls_back_to_v311(self, err: aiomqtt.MqttError) -> bool:
        if (
            self._auto_protocol
            and _reason_code(err) in _UNSUPPORTED_PROTOCOL_CODES
            and self.protocol != aiomqtt.ProtocolVersion.V311
        ):
            _LOGGER.debug("Broker refuses MQTT 5; falling back to 3.1.1")
            self.protocol = aiomqtt.ProtocolVersion.V311
            return True
        return False

    def _expiry(self) -> Properties | None:
        if self.protocol != aiomqtt.ProtocolVersion.V5:
            return None
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.MessageExpiryInterval = COMMAND_EXPIRY_SECONDS
        return properties

    async def publish_command(self, client: aiomqtt.Client, command: Command) -> None:
        """Publish at :data:`~.topics.COMMAND_PUBLISH_QOS` (at most once), expiring if unsent."""
        what = f"{command.topic} {command.payload}"
        try:
            await client.publish(
                command.topic,
                command.payload,
                qos=COMMAND_PUBLISH_QOS,
                retain=False,
                properties=self._expiry(),
            )
        except aiomqtt.MqttCodeError as err:
            raise NukiConnectionError(f"{what} not sent: {err}") from err
        except aiomqtt.MqttError as err:
            raise NukiOutcomeUnknownError(
                f"{what}: delivery not confirmed ({err}); not re-sent"
            ) from err
