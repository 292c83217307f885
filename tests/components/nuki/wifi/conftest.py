"""A real Mosquitto, Home Assistant's real MQTT integration on it, and Wi-Fi lock stand-ins.

No ``mqtt_mock``: the integration talks to the broker exactly as in a real
installation, and the stand-in connects to the same broker like the hardware.
Mosquitto is stopped by its own pid at teardown.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, State, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_state_change_event
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nuki.const import CONF_LOCK_ID, DOMAIN
from custom_components.nuki.hub import DeviceHub
from custom_components.nuki.hubs import async_get_data
from nukilocal.const import DoorSensorState
from nukilocal.models import hex_id
from nukilocal.sim.clock import SimClock
from nukilocal.sim.devices import SimSmartLock
from nukilocal.sim.wifilock import WifiLockSimulator
from tests.support import mosquitto as mosquitto_support
from tests.support.fixtures import mosquitto_or_skip
from tests.support.ids import LOCK_ID
from tests.support.relay import TcpRelay
from tests.support.timing import TIME_FACTOR, WAIT

LOCK_HEX = hex_id(LOCK_ID)
LOCK_NAME = "Maison"
LOCK = "lock.maison"
LOCK_ACTION_EVENT = "event.maison_lock_action"

type WifiLockFactory = Callable[..., Awaitable[WifiLockSimulator]]


@pytest.fixture
def broker_users() -> dict[str, str] | None:
    """Accounts of the broker's password file; None: anonymous access."""
    return None


@pytest.fixture
def mqtt_credentials() -> dict[str, str]:
    """What Home Assistant's MQTT entry logs in with (username, password)."""
    return {}


@pytest.fixture
def mosquitto(
    socket_enabled: None, broker_users: dict[str, str] | None
) -> Generator[mosquitto_support.Mosquitto]:
    with mosquitto_or_skip(broker_users) as broker:
        yield broker


@pytest.fixture
async def mqtt_entry(
    hass: HomeAssistant,
    mosquitto: mosquitto_support.Mosquitto,
    mqtt_credentials: dict[str, str],
    tmp_path: Path,
    mqtt_relay: TcpRelay | None,
) -> AsyncGenerator[MockConfigEntry]:
    """Home Assistant's MQTT integration, connected to the Mosquitto above."""
    # MQTT reads configuration.yaml at set-up; the harness's config dir has none.
    (tmp_path / "configuration.yaml").write_text("")
    hass.config.config_dir = str(tmp_path)
    port = mqtt_relay.port if mqtt_relay is not None else mosquitto.port
    entry = MockConfigEntry(
        domain=mqtt.DOMAIN,
        data={mqtt.CONF_BROKER: mosquitto.host, "port": port, **mqtt_credentials},
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert await mqtt.async_wait_for_mqtt_client(hass)
    yield entry
    # The client's socket and timers go before the harness checks for leftovers.
    if entry.state is ConfigEntryState.LOADED:
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


@pytest.fixture
async def mqtt_relay(
    request: pytest.FixtureRequest, mosquitto: mosquitto_support.Mosquitto
) -> AsyncGenerator[TcpRelay | None]:
    """With ``@pytest.mark.mqtt_relay``: Home Assistant reaches the broker through a relay."""
    if request.node.get_closest_marker("mqtt_relay") is None:
        yield None
        return
    relay = TcpRelay(mosquitto.host, mosquitto.port)
    await relay.open()
    yield relay
    await relay.close()


@pytest.fixture
async def sim_lock() -> AsyncGenerator[SimSmartLock]:
    lock = SimSmartLock(
        LOCK_ID,
        LOCK_NAME,
        clock=SimClock(time_factor=TIME_FACTOR),
        firmware_version="4.2.6",
        keypad=True,
        door_sensor=DoorSensorState.DOOR_CLOSED,
    )
    try:
        yield lock
    finally:
        await lock.close()


@pytest.fixture
async def make_wifilock(
    mosquitto: mosquitto_support.Mosquitto, sim_lock: SimSmartLock
) -> AsyncGenerator[WifiLockFactory]:
    started: list[WifiLockSimulator] = []

    async def factory(lock: SimSmartLock | None = None, **kwargs: Any) -> WifiLockSimulator:
        kwargs.setdefault("reconnect_seconds", 0.05)
        kwargs.setdefault("discovery", False)
        sim = WifiLockSimulator(lock or sim_lock, mosquitto.url(), **kwargs)
        started.append(sim)
        await sim.start()
        return sim

    try:
        yield factory
    finally:
        for sim in started:
            await sim.stop()


@pytest.fixture
async def wifilock(make_wifilock: WifiLockFactory) -> WifiLockSimulator:
    """The lock on the broker, its own Home Assistant discovery switched off."""
    return await make_wifilock()


def lock_entry(nuki_id: int = LOCK_ID, title: str = LOCK_NAME) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title=title,
        unique_id=hex_id(nuki_id),
        data={CONF_LOCK_ID: hex_id(nuki_id)},
        version=1,
        minor_version=1,
    )


@pytest.fixture
async def init_lock(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, wifilock: WifiLockSimulator
) -> MockConfigEntry:
    """The Wi-Fi lock's entry set up against the stand-in on the real broker."""
    entry = lock_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


# -- waiting without sleeping -------------------------------------------------


async def wait_for_state(
    hass: HomeAssistant, entity_id: str, expected: str, timeout: float = WAIT
) -> State:
    """The entity's state once it is ``expected`` (now or after a change)."""
    future: asyncio.Future[State] = hass.loop.create_future()

    @callback
    def check(state: State | None) -> None:
        if state is not None and state.state == expected and not future.done():
            future.set_result(state)

    @callback
    def changed(event: Event[EventStateChangedData]) -> None:
        check(event.data["new_state"])

    unsubscribe = async_track_state_change_event(hass, entity_id, changed)
    try:
        check(hass.states.get(entity_id))
        async with asyncio.timeout(timeout):
            return await future
    finally:
        unsubscribe()


async def wait_for_hub(
    hass: HomeAssistant, predicate: Callable[[DeviceHub], bool], timeout: float = WAIT
) -> DeviceHub:
    """The lock's hub once ``predicate`` holds (checked on every change of it)."""
    hub = async_get_data(hass).hubs[(LOCK_ID, False)]
    future: asyncio.Future[DeviceHub] = hass.loop.create_future()

    @callback
    def check() -> None:
        if predicate(hub) and not future.done():
            future.set_result(hub)

    unsubscribe = hub.async_add_listener(check)
    try:
        check()
        async with asyncio.timeout(timeout):
            return await future
    finally:
        unsubscribe()


@contextlib.contextmanager
def record_states(hass: HomeAssistant, entity_id: str) -> Iterator[list[str]]:
    """Every state ``entity_id`` takes while the block runs, in order.

    Home Assistant dispatches state-change events to trackers one loop
    iteration after the state machine changed, so at the end of the block the
    newest state may not have been dispatched yet: it is taken from the state
    machine (each change is a new ``State`` object).
    """
    seen: list[str] = []
    last: list[State] = []

    @callback
    def changed(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None:
            seen.append(new.state)
            last[:] = [new]

    before = hass.states.get(entity_id)
    unsubscribe = async_track_state_change_event(hass, entity_id, changed)
    try:
        yield seen
    finally:
        unsubscribe()
        current = hass.states.get(entity_id)
        if current is not None and current is not before and (not last or current is not last[0]):
            seen.append(current.state)


async def next_event(
    hass: HomeAssistant, event_type: str, timeout: float = WAIT
) -> Event[dict[str, Any]]:
    """Wait for the next event of ``event_type`` on the bus."""
    future: asyncio.Future[Event[dict[str, Any]]] = hass.loop.create_future()

    @callback
    def fired(event: Event[dict[str, Any]]) -> None:
        if not future.done():
            future.set_result(event)

    unsubscribe = hass.bus.async_listen(event_type, fired)
    try:
        async with asyncio.timeout(timeout):
            return await future
    finally:
        unsubscribe()


type LockFactory = Callable[..., Awaitable[MockConfigEntry]]


@pytest.fixture
def setup_lock(hass: HomeAssistant, mqtt_entry: MockConfigEntry) -> LockFactory:
    """Add and set up a Wi-Fi lock entry (after the test started its stand-in)."""

    async def setup(entry: MockConfigEntry | None = None) -> MockConfigEntry:
        entry = entry or lock_entry()
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        return entry

    return setup


async def wait_for_issue(
    hass: HomeAssistant,
    issue_id: str,
    predicate: Callable[[ir.IssueEntry | None], bool],
    timeout: float = WAIT,
) -> ir.IssueEntry | None:
    """The repair issue once ``predicate`` holds for it (``None``: no such issue)."""
    registry = ir.async_get(hass)
    future: asyncio.Future[ir.IssueEntry | None] = hass.loop.create_future()

    @callback
    def check(_event: Event[Any] | None = None) -> None:
        issue = registry.async_get_issue(DOMAIN, issue_id)
        if predicate(issue) and not future.done():
            future.set_result(issue)

    unsubscribe = hass.bus.async_listen(ir.EVENT_REPAIRS_ISSUE_REGISTRY_UPDATED, check)
    try:
        check()
        async with asyncio.timeout(timeout):
            return await future
    finally:
        unsubscribe()
