"""Wi-Fi locks over MQTT for the benchmark: a broker, lock stand-ins, discovery.

Only used when the integration's manifest has an ``mqtt`` key. The broker is
Debian's Mosquitto (a separate process, stopped by pid; the project's test
helper starts it); without it the embedded broker of ``nukilocal.sim`` is
used and the results say so. Locks announce themselves with their retained
``nuki/<id>/deviceType``; the benchmark confirms the discovery flows this
integration starts, as a user would click them. The locks' own Home
Assistant discovery is off, so Home Assistant's MQTT integration creates no
second set of entities.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from typing import Any, Final

from demo.hass import INTEGRATION_DIR, HassError
from nukilocal.const import DeviceType, LockState
from nukilocal.models import hex_id
from nukilocal.sim import SimSmartLock
from nukilocal.sim.broker import EmbeddedBroker
from nukilocal.sim.wifilock import WifiLockSimulator
from tests.support import mosquitto

from .hass import BenchHass

WIFI_LOCK_BASE: Final = 0x2A000000


def integration_supports_mqtt() -> bool:
    manifest = json.loads((INTEGRATION_DIR / "manifest.json").read_text())
    return bool(manifest.get("mqtt"))


class BenchBroker:
    def __init__(self) -> None:
        self._mosquitto: mosquitto.Mosquitto | None = None
        self._embedded: EmbeddedBroker | None = None
        self.kind = ""
        self.port = 0

    async def start(self) -> None:
        if mosquitto.available():
            self._mosquitto = mosquitto.Mosquitto()
            await asyncio.to_thread(self._mosquitto.start)
            self.kind, self.port = "mosquitto", self._mosquitto.port
        else:
            self._embedded = EmbeddedBroker("127.0.0.1", 0)
            await self._embedded.start()
            self.kind, self.port = "embedded (amqtt)", self._embedded.port

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._mosquitto.pid if self._mosquitto else None

    async def stop(self) -> None:
        if self._mosquitto is not None:
            await asyncio.to_thread(self._mosquitto.cleanup)
        if self._embedded is not None:
            await self._embedded.stop()


class WifiLocks:
    """``count`` Wi-Fi smart locks, each its own MQTT client."""

    def __init__(self, broker_url: str, count: int, first: int = 0) -> None:
        self.locks = [
            SimSmartLock(
                WIFI_LOCK_BASE + first + i,
                f"Wi-Fi lock {first + i:03d}",
                device_type=DeviceType.SMARTLOCK_3,
                state=LockState.LOCKED,
                battery_level=88,
            )
            for i in range(count)
        ]
        self.clients = [WifiLockSimulator(lock, broker_url, discovery=False) for lock in self.locks]

    @property
    def unique_ids(self) -> set[str]:
        return {str(lock.nuki_id) for lock in self.locks}

    @property
    def hex_ids(self) -> set[str]:
        return {hex_id(lock.nuki_id) for lock in self.locks}

    async def start(self) -> None:
        await asyncio.gather(*(client.start(timeout=30) for client in self.clients))

    async def stop(self) -> None:
        for client in self.clients:
            with contextlib.suppress(Exception):
                await client.stop()
        for lock in self.locks:
            await lock.close()


async def add_mqtt_entry(hass: BenchHass, broker: BenchBroker) -> None:
    assert hass.client is not None
    result = await hass.client.run_flow("mqtt", {"broker": "127.0.0.1", "port": broker.port})
    if result.get("type") != "create_entry":
        raise HassError(f"the MQTT flow ended with {result}")


async def confirm_discoveries(hass: BenchHass, hex_ids: set[str], timeout: float) -> int:
    """Confirm this integration's MQTT discovery flows for ``hex_ids``; how many were confirmed."""
    assert hass.client is not None
    assert hass.ws is not None
    client = hass.client
    confirmed: set[str] = set()
    deadline = time.monotonic() + timeout
    while confirmed < hex_ids:
        flows = [
            flow
            for flow in await hass.ws.call("config_entries/flow/progress")
            if flow.get("handler") == "nuki"
            and flow.get("context", {}).get("source") == "mqtt"
            and flow.get("context", {}).get("unique_id") in hex_ids - confirmed
        ]

        async def confirm(flow: dict[str, Any]) -> None:
            with contextlib.suppress(HassError):
                await client.submit_flow(flow["flow_id"], {})
            confirmed.add(flow["context"]["unique_id"])

        await asyncio.gather(*(confirm(flow) for flow in flows))
        if confirmed >= hex_ids:
            break
        if time.monotonic() > deadline:
            raise HassError(
                f"{len(hex_ids - confirmed)} Wi-Fi lock discoveries did not show up "
                f"in {timeout:.0f} s"
            )
        await asyncio.sleep(0.2)
    return len(confirmed)


def disable_nagle(clients: list[WifiLockSimulator]) -> int:
    """TCP_NODELAY on the stand-ins' sockets; how many were set.

    The stand-in's MQTT client (paho via aiomqtt) leaves Nagle's algorithm on,
    so a publish sent right behind another can wait for the broker's delayed
    acknowledgement (~40 ms). Neither library offers the option, hence the
    private attributes; a failure only means the figure is not measured.
    """
    done = 0
    for client in clients:
        with contextlib.suppress(AttributeError, OSError):
            sock: Any = client._client._client.socket()  # type: ignore[union-attr]
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            done += 1
    return done
