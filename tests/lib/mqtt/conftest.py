"""Brokers and locks for the MQTT tests: real Mosquitto processes and amqtt in-process."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from nukilocal.mqtt.client import MqttLockClient
from nukilocal.sim.broker import EmbeddedBroker
from nukilocal.sim.clock import SimClock
from nukilocal.sim.devices import SimSmartLock
from nukilocal.sim.wifilock import WifiLockSimulator
from tests.support import mosquitto as mosquitto_support
from tests.support.fixtures import mosquitto_or_skip
from tests.support.ids import LOCK_ID
from tests.support.timing import TIME_FACTOR

USERS = {"nuki": "s3cret", "homeassistant": "other"}

requires_mosquitto = pytest.mark.skipif(
    not mosquitto_support.available(), reason="mosquitto is not installed"
)


@pytest.fixture
def mosquitto() -> Iterator[mosquitto_support.Mosquitto]:
    with mosquitto_or_skip() as broker:
        yield broker


@pytest.fixture
def mosquitto_auth() -> Iterator[mosquitto_support.Mosquitto]:
    with mosquitto_or_skip(USERS) as broker:
        yield broker


@pytest.fixture
async def embedded_broker() -> AsyncIterator[EmbeddedBroker]:
    broker = EmbeddedBroker()
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


@pytest.fixture(params=["mosquitto", "embedded"])
async def broker_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """Tests taking this run against both brokers."""
    if request.param == "mosquitto":
        with mosquitto_or_skip() as process:
            yield process.url()
        return
    embedded = EmbeddedBroker()
    await embedded.start()
    try:
        yield embedded.url
    finally:
        await embedded.stop()


@pytest.fixture
async def sim_lock() -> AsyncIterator[SimSmartLock]:
    lock = SimSmartLock(
        LOCK_ID,
        "Front door",
        clock=SimClock(time_factor=TIME_FACTOR),
        firmware_version="4.2.6",
        door_sensor=None,
    )
    try:
        yield lock
    finally:
        await lock.close()


type WifiLockFactory = Callable[..., Awaitable[WifiLockSimulator]]
type ClientFactory = Callable[..., Awaitable[MqttLockClient]]


@pytest.fixture
async def make_wifilock(sim_lock: SimSmartLock) -> AsyncIterator[WifiLockFactory]:
    started: list[WifiLockSimulator] = []

    async def factory(
        url: str, lock: SimSmartLock | None = None, **kwargs: Any
    ) -> WifiLockSimulator:
        kwargs.setdefault("reconnect_seconds", 0.05)
        sim = WifiLockSimulator(lock or sim_lock, url, **kwargs)
        started.append(sim)
        await sim.start()
        return sim

    try:
        yield factory
    finally:
        for sim in started:
            await sim.stop()


@pytest.fixture
async def make_client() -> AsyncIterator[ClientFactory]:
    clients: list[MqttLockClient] = []

    async def factory(url: str, **kwargs: Any) -> MqttLockClient:
        kwargs.setdefault("reconnect_min", 0.05)
        kwargs.setdefault("reconnect_max", 0.2)
        client = MqttLockClient.from_url(url, **kwargs)
        clients.append(client)
        await client.connect()
        return client

    try:
        yield factory
    finally:
        for client in clients:
            with contextlib.suppress(Exception):
                await client.close()
