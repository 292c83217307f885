"""An MQTT broker inside the process, for demos and tests without Mosquitto.

Uses amqtt (pure Python, MQTT 3.1.1 only; install ``nukilocal[broker]``).
Clients that ask for MQTT 5 are refused with "unsupported protocol version";
:class:`~nukilocal.mqtt.client.MqttLockClient` then falls back to 3.1.1 on its
own, at the cost of the 10 s message expiry on commands.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any, Self

from ..extras import MissingExtraError

_LOGGER = logging.getLogger(__name__)


def _with_retained_fix(broker_class: Any) -> Any:
    """amqtt 0.12 with retained messages delivered only for the client's own filters.

    On every connect, amqtt replays the retained messages of every filter that
    ANY client subscribed to, to the connecting client: a client subscribed to
    ``homeassistant/#`` would also get every ``nuki/...`` state. Mosquitto does
    not; the stand-ins must look like a real broker.
    """

    class FixedBroker(broker_class):  # type: ignore[misc]
        async def _publish_retained_messages_for_subscription(
            self, subscription: tuple[str, int], session: Any
        ) -> None:
            subscribers = self._subscriptions.get(subscription[0], ())
            if not any(s.client_id == session.client_id for s, _ in subscribers):
                return
            await super()._publish_retained_messages_for_subscription(subscription, session)

    return FixedBroker


class EmbeddedBroker:
    """amqtt on a loopback port; ``port=0`` picks a free one."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._broker: Any = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._broker is not None

    async def start(self) -> None:
        if self._broker is not None:
            return
        try:
            from amqtt.broker import Broker
        except ModuleNotFoundError as err:  # pragma: no cover - depends on the install
            raise MissingExtraError.wrap(err, "broker", "the embedded broker") from err
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            # Only anonymous access: amqtt's default plugin set would also start
            # $SYS publishing and packet logging, which a demo does not need.
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }
        broker = _with_retained_fix(Broker)(config)
        await broker.start()
        self._broker = broker
        if self.port == 0:
            self.port = self._bound_port(broker)
        _LOGGER.debug("Embedded MQTT broker listening on %s", self.url)

    @staticmethod
    def _bound_port(broker: Any) -> int:
        # amqtt has no public accessor for the port the OS chose.
        server = broker._servers["default"].instance
        return int(server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        broker, self._broker = self._broker, None
        if broker is not None:
            await broker.shutdown()

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
