"""Garbage on the lock's MQTT topics, through the real broker: ignored, never a crash.

A second MQTT client (aiomqtt, as anyone on the broker could) publishes
unreadable payloads, retained and not, before and after the entry is set up:
non-numeric and out-of-range states, empty payloads, bad UTF-8, unknown
topics, a megabyte, discovery configs that are not JSON. Hypothesis then sends
random payloads to random lock topics; every example passes the broker and
Home Assistant's MQTT integration before the checks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import aiomqtt
import pytest
from homeassistant.components import mqtt
from homeassistant.components.lock import LockState as HaLockState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, callback
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_homeassistant_custom_component.common import MockConfigEntry

from nukilocal.const import LockState
from nukilocal.mqtt.protocol import DiscoverySuffix, Topic, discovery_topic, topic
from nukilocal.sim.devices import SimSmartLock
from nukilocal.sim.wifilock import WifiLockSimulator
from tests.support.mosquitto import Mosquitto

from ..faultkit import assert_no_tracebacks
from .conftest import LOCK, LOCK_HEX, LOCK_ID, WAIT, LockFactory, wait_for_state

BATTERY = "sensor.maison_battery"
LOCK_STATES = {s.value for s in HaLockState} | {"unknown", STATE_UNAVAILABLE}
# The lock's own topics a stranger may write to; the value topics come last.
ALL_TOPICS = [topic(LOCK_ID, name) for name in Topic] + [
    discovery_topic(LOCK_ID, suffix) for suffix in DiscoverySuffix
]
JUNK_TOPICS = [
    f"nuki/{LOCK_HEX}/no_such_topic",
    f"nuki/{LOCK_HEX}/state/extra",
    f"nuki/{LOCK_HEX.lower()}x/state",
    "nuki/0x3C8862ED/state",
    f"homeassistant/lock/nuki_{LOCK_HEX}_lock/extra/config",
]

# (topic name or full topic, payload): nothing here is a value the lock publishes.
GARBAGE: list[tuple[str, bytes]] = [
    (topic(LOCK_ID, Topic.STATE), b"locked"),
    (topic(LOCK_ID, Topic.STATE), b""),
    (topic(LOCK_ID, Topic.STATE), b"\xff\xfe\x00"),
    (topic(LOCK_ID, Topic.STATE), b"1.5"),
    (topic(LOCK_ID, Topic.STATE), b"99999999999999999999999"),
    (topic(LOCK_ID, Topic.STATE), b"0x"),
    (topic(LOCK_ID, Topic.STATE), b"1" * 1_000_000),
    (topic(LOCK_ID, Topic.CONNECTED), b"maybe"),
    (topic(LOCK_ID, Topic.CONNECTED), b""),
    (topic(LOCK_ID, Topic.BATTERY_CHARGE_STATE), b"-5"),
    (topic(LOCK_ID, Topic.BATTERY_CHARGE_STATE), b"lots"),
    (topic(LOCK_ID, Topic.BATTERY_CRITICAL), b"yes"),
    (topic(LOCK_ID, Topic.DOOR_SENSOR_STATE), b"\xc3\x28"),
    (topic(LOCK_ID, Topic.DEVICE_TYPE), b"opener"),
    (topic(LOCK_ID, Topic.TIMESTAMP), b"yesterday"),
    (topic(LOCK_ID, Topic.MODE), b"-"),
    (topic(LOCK_ID, Topic.COMMAND_RESPONSE), b"not a code"),
    (topic(LOCK_ID, Topic.LOCK_ACTION_EVENT), b"3,0"),
    (topic(LOCK_ID, Topic.LOCK_ACTION_EVENT), b"a,b,c,d,e"),
    (topic(LOCK_ID, Topic.LOCK_ACTION_EVENT), b"3,0,54321,12345,1,extra,\xff"),
    (discovery_topic(LOCK_ID, DiscoverySuffix.LOCK), b"{not json"),
    (discovery_topic(LOCK_ID, DiscoverySuffix.BATTERY_PERCENT), b"[1, 2, 3]"),
    (discovery_topic(LOCK_ID, DiscoverySuffix.DOOR_SENSOR), b"\xff"),
] + [(junk, b"1") for junk in JUNK_TOPICS]
# Topics the entry needs to set up quickly; garbage on them before set-up would
# (rightly) leave it waiting for the lock's next report.
NEEDED_FOR_SETUP = {
    topic(LOCK_ID, Topic.STATE),
    topic(LOCK_ID, Topic.CONNECTED),
    topic(LOCK_ID, Topic.DEVICE_TYPE),
}


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


@pytest.fixture
async def stranger(mosquitto: Mosquitto) -> AsyncIterator[aiomqtt.Client]:
    """Someone else on the broker, publishing whatever they like."""
    async with aiomqtt.Client(mosquitto.host, mosquitto.port, identifier="stranger") as client:
        yield client


class Delivered:
    """Wait until Home Assistant's MQTT integration dispatched a message on a topic.

    The integration's subscriptions run in the same dispatch, so once this one
    saw the message, so did the lock's transport.
    """

    def __init__(self) -> None:
        self.seen: asyncio.Queue[str] = asyncio.Queue()

    async def subscribe(self, hass: HomeAssistant, stranger: aiomqtt.Client) -> None:
        @callback
        def seen(message: mqtt.ReceiveMessage) -> None:
            self.seen.put_nowait(message.topic)

        probes = {
            f"nuki/{LOCK_HEX}/#": f"nuki/{LOCK_HEX}/probe",
            "nuki/+/state": "nuki/probe/state",
            "homeassistant/+/+/config": "homeassistant/probe/probe/config",
            JUNK_TOPICS[-1]: JUNK_TOPICS[-1],
        }
        for pattern in probes:
            await mqtt.async_subscribe(hass, pattern, seen, encoding=None)
        # Home Assistant subscribes after a cooldown: probe until each one is live.
        for probe in probes.values():
            async with asyncio.timeout(WAIT):
                while True:
                    self.forget()
                    await stranger.publish(probe, b"probe")
                    try:
                        await self.until(probe, timeout=0.2)
                    except TimeoutError:
                        continue
                    break
        self.forget()

    def forget(self) -> None:
        """Drop what was seen so far (overlapping subscriptions see a message twice)."""
        while not self.seen.empty():
            self.seen.get_nowait()

    async def until(self, topic_name: str, timeout: float = WAIT) -> None:
        async with asyncio.timeout(timeout):
            while await self.seen.get() != topic_name:
                pass


async def test_garbage_before_and_after_set_up(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    wifilock: WifiLockSimulator,
    sim_lock: SimSmartLock,
    stranger: aiomqtt.Client,
    setup_lock: LockFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    delivered = Delivered()
    await delivered.subscribe(hass, stranger)
    before = [(t, p) for t, p in GARBAGE if t not in NEEDED_FOR_SETUP]
    for topic_name, payload in before:
        delivered.forget()
        await stranger.publish(topic_name, payload, retain=True)
        await delivered.until(topic_name)
    entry = await setup_lock()
    transport = entry.runtime_data.mqtt
    # Set up from the lock's good topics; the garbage retained beside them is ignored.
    assert hass.states.get(LOCK).state == HaLockState.LOCKED
    assert transport.own_discovery == {}
    assert transport.events_received == 0

    for retain in (False, True):
        for topic_name, payload in GARBAGE:
            delivered.forget()
            await stranger.publish(topic_name, payload, retain=retain)
            await delivered.until(topic_name)
            await hass.async_block_till_done()
            assert hass.states.get(LOCK).state == HaLockState.LOCKED, (topic_name, payload)
    assert transport.available
    assert transport.own_discovery == {}
    assert transport.events_received == 0
    assert transport.lock.device_type_reported

    # Still listening: the lock's next real reports are applied.
    sim_lock.set_battery(level=42)
    sim_lock.set_state(LockState.UNLOCKED)
    await wait_for_state(hass, LOCK, HaLockState.UNLOCKED)
    await wait_for_state(hass, BATTERY, "42")
    assert_no_tracebacks(caplog)
    ours = [r for r in caplog.records if r.name.startswith(("custom_components.nuki", "nukilocal"))]
    assert not [r for r in ours if r.levelno >= logging.WARNING], [r.getMessage() for r in ours]
    # The megabyte is not copied into the log.
    assert max(len(r.getMessage()) for r in ours) < 2_000


def run_in_loop[T](
    loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T], timeout: float = 30
) -> T:
    """From the hypothesis thread: run one coroutine on Home Assistant's loop."""
    return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)


payloads = st.one_of(
    st.binary(max_size=64),
    st.text(max_size=32).map(str.encode),
    st.integers(min_value=-(2**40), max_value=2**40).map(lambda n: str(n).encode()),
    st.sampled_from([b"", b"true", b"false", b"0", b"1", b"3", b"254", b"255", b"{}", b"null"]),
    st.lists(st.integers(min_value=-5, max_value=300), max_size=7).map(
        lambda parts: ",".join(map(str, parts)).encode()
    ),
)


async def test_random_payloads_on_random_topics(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    stranger: aiomqtt.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Never an error of ours, and the lock entity always in a state a lock can have."""
    delivered = Delivered()
    await delivered.subscribe(hass, stranger)
    loop = asyncio.get_running_loop()
    sent: list[str] = []

    async def publish(topic_name: str, payload: bytes, retain: bool) -> str:
        delivered.forget()
        await stranger.publish(topic_name, payload, retain=retain)
        await delivered.until(topic_name)
        await hass.async_block_till_done()
        return hass.states.get(LOCK).state

    @settings(
        max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(
        topic_name=st.sampled_from(ALL_TOPICS + JUNK_TOPICS),
        payload=payloads,
        retain=st.booleans(),
    )
    def property_holds(topic_name: str, payload: bytes, retain: bool) -> None:
        state = run_in_loop(loop, publish(topic_name, payload, retain))
        sent.append(topic_name)
        assert state in LOCK_STATES

    await hass.async_add_executor_job(property_holds)
    assert len(sent) >= 120
    assert_no_tracebacks(caplog)
    ours = [r for r in caplog.records if r.name.startswith(("custom_components.nuki", "nukilocal"))]
    assert not [r for r in ours if r.levelno >= logging.WARNING], [r.getMessage() for r in ours]
