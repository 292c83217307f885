"""Broker and lock faults on the MQTT side, through the real broker and HA's MQTT integration.

Mosquitto is stopped and started again on the same port under Home Assistant
and the Wi-Fi lock stand-in; it is frozen and killed with a command on the
wire; the lock drops off (last will) and stops answering; commands overlap.
Entities go unavailable while nothing reaches the lock and come back by
themselves; a command is never delivered twice or late; nothing logs a
traceback.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator

import pytest
from homeassistant.components import mqtt
from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN
from homeassistant.components.lock import LockState as HaLockState
from homeassistant.const import (
    SERVICE_LOCK,
    SERVICE_OPEN,
    SERVICE_UNLOCK,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nuki.commands import OPENING
from custom_components.nuki.const import DOMAIN, EVENT_NUKI, SERVICE_FULL_LOCK
from nukilocal.const import LockAction, LockState
from nukilocal.mqtt.protocol import CommandRequest, Topic, topic
from nukilocal.sim.devices import SimSmartLock
from nukilocal.sim.wifilock import WifiLockSimulator
from tests.support.mosquitto import Mosquitto
from tests.support.relay import TcpRelay

from ..conftest import TIME_FACTOR
from ..faultkit import assert_no_tracebacks
from ..helpers import call
from .conftest import (
    LOCK,
    LOCK_HEX,
    LOCK_ID,
    WAIT,
    next_event,
    record_states,
    wait_for_hub,
    wait_for_state,
)

HA_MQTT_CLIENT = "homeassistant.components.mqtt.client"
BATTERY = "sensor.maison_battery"
DOOR = "binary_sensor.maison_door"


@pytest.fixture(autouse=True)
def quick_reconnect(monkeypatch: pytest.MonkeyPatch) -> None:
    """Home Assistant retries the broker every 10 s; a test need not wait that long."""
    monkeypatch.setattr(f"{HA_MQTT_CLIENT}.RECONNECT_INTERVAL_SECONDS", 0.1)


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


async def outcome(hass: HomeAssistant, service: str, domain: str = LOCK_DOMAIN) -> str | None:
    """The translation key of the error a service call ends with, ``None`` on success."""
    try:
        await call(hass, service, LOCK, domain)
    except HomeAssistantError as err:
        return err.translation_key or f"untranslated: {err}"
    return None


class Transmitted(logging.Handler):
    """Set once Home Assistant's MQTT client has written a publish to ``topic`` to its socket."""

    def __init__(self, topic_name: str) -> None:
        super().__init__(logging.DEBUG)
        self.needle = f"message on {topic_name}:"
        self.event = asyncio.Event()
        self._loop = asyncio.get_running_loop()

    def emit(self, record: logging.LogRecord) -> None:
        if self.needle in record.getMessage():
            self._loop.call_soon_threadsafe(self.event.set)


@pytest.fixture
async def transmitted_command() -> AsyncIterator[Transmitted]:
    handler = Transmitted(topic(LOCK_ID, Topic.LOCK_ACTION))
    logger = logging.getLogger(HA_MQTT_CLIENT)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def lock_actions(sim_lock: SimSmartLock) -> list[int]:
    """Every action the lock carries out from now on, whoever asked."""
    actions: list[int] = []
    sim_lock.add_action_listener(lambda _lock, event: actions.append(event.action))
    return actions


# -- broker restart --------------------------------------------------------------


async def test_broker_restart_unavailable_then_back_by_itself(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    mosquitto: Mosquitto,
    sim_lock: SimSmartLock,
    wifilock: WifiLockSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Unavailable while the broker is gone (nothing is known); live again after it returns."""
    transport = init_lock.runtime_data.mqtt
    actions = lock_actions(sim_lock)
    broker_gone = asyncio.Event()

    @callback
    def connection_changed(connected: bool) -> None:
        if not connected:
            broker_gone.set()

    init_lock.async_on_unload(mqtt.async_subscribe_connection_status(hass, connection_changed))
    with record_states(hass, LOCK) as seen:
        mosquitto.stop()
        await wait_for_state(hass, LOCK, STATE_UNAVAILABLE)
        for entity_id in (BATTERY, DOOR):
            assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
        # Mosquitto may hand out the lock's last will before Home Assistant's
        # client notices the closed socket: wait for that too.
        async with asyncio.timeout(WAIT):
            await broker_gone.wait()
        assert not mqtt.is_connected(hass)
        assert not transport.broker_connected
        assert transport.lock.connected is None

        # Home Assistant does not call an unavailable entity: nothing queued for later.
        assert await outcome(hass, SERVICE_UNLOCK) is None
        assert await outcome(hass, SERVICE_FULL_LOCK, DOMAIN) is None
        assert transport.commands_sent == 0
        # The door moves while nobody can see it.
        sim_lock.set_state(LockState.UNLOCKED)
        sim_lock.set_battery(level=55)

        mosquitto.start()  # Same port, no retained messages left.
        await wifilock.wait_connected(WAIT)
        await wait_for_state(hass, LOCK, HaLockState.UNLOCKED)
        await wait_for_state(hass, BATTERY, "55")
        assert hass.states.get(DOOR).state == "off"
    assert seen == [STATE_UNAVAILABLE, HaLockState.UNLOCKED]
    assert mqtt.is_connected(hass)
    assert wifilock.connection_count == 2
    # Nothing of the outage reached the lock; the next command works.
    assert wifilock.commands_received == 0
    await call(hass, SERVICE_LOCK, LOCK)
    await sim_lock.wait_for(lambda lock: not lock.busy, timeout=WAIT)
    await wait_for_state(hass, LOCK, HaLockState.LOCKED)
    assert actions == [LockAction.LOCK]
    assert wifilock.commands_received == 1
    assert_no_tracebacks(caplog)
    # One line when it went (Mosquitto may deliver the lock's last will before
    # it drops Home Assistant, so either reason is right), one when it came back.
    gone = [r.getMessage() for r in caplog.records if "is unavailable over MQTT" in r.getMessage()]
    assert len(gone) == 1
    assert gone[0].startswith(f"Nuki lock {LOCK_HEX} is unavailable over MQTT: ")
    assert sum("is available again over MQTT" in r.getMessage() for r in caplog.records) == 1


async def test_broker_restarts_twice_resubscribed_each_time(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    mosquitto: Mosquitto,
    sim_lock: SimSmartLock,
    wifilock: WifiLockSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Subscriptions survive every reconnect, not only the first; no duplicates either."""
    for round_, state in enumerate((LockState.UNLOCKED, LockState.LOCKED), start=2):
        mosquitto.restart()
        await wait_for_state(hass, LOCK, STATE_UNAVAILABLE)
        await wifilock.wait_connected(WAIT)
        await wait_for_hub(hass, lambda hub: hub.mqtt_connected)
        assert wifilock.connection_count == round_
        # A live change, after the retained ones.
        sim_lock.set_state(state)
        expected = HaLockState.UNLOCKED if state is LockState.UNLOCKED else HaLockState.LOCKED
        await wait_for_state(hass, LOCK, expected)
    events_before = init_lock.runtime_data.mqtt.events_received
    event = hass.async_create_task(next_event(hass, EVENT_NUKI))
    await wifilock.press_button(None)
    assert (await event).data["action"] is not None
    await hass.async_block_till_done()
    # One subscription per topic: the event arrived once.
    assert init_lock.runtime_data.mqtt.events_received == events_before + 1
    assert_no_tracebacks(caplog)


@pytest.mark.mqtt_relay
async def test_command_on_the_wire_when_broker_dies_never_delivered_late(
    hass: HomeAssistant,
    mqtt_relay: TcpRelay,
    init_lock: MockConfigEntry,
    mosquitto: Mosquitto,
    sim_lock: SimSmartLock,
    wifilock: WifiLockSimulator,
    transmitted_command: Transmitted,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The broker freezes with the command in its socket and dies: outcome unknown, never sent.

    Home Assistant's client keeps its session across reconnects; a command
    published at QoS 2 would be re-sent by paho after reconnecting and unlock
    the door long after the user was told it was not sent again.
    """
    actions = lock_actions(sim_lock)
    # With QoS 2 Home Assistant would wait this long for the PUBCOMP of the dead broker.
    monkeypatch.setattr(f"{HA_MQTT_CLIENT}.TIMEOUT_ACK", 1.0)
    assert mosquitto.pid is not None
    os.kill(mosquitto.pid, signal.SIGSTOP)
    try:
        command = hass.async_create_task(outcome(hass, SERVICE_UNLOCK))
        async with asyncio.timeout(WAIT):
            await transmitted_command.event.wait()
    finally:
        os.kill(mosquitto.pid, signal.SIGKILL)
        mosquitto.stop()
    async with asyncio.timeout(WAIT):
        assert await command == "mqtt_outcome_unknown"
    await wait_for_state(hass, LOCK, STATE_UNAVAILABLE)

    # Home Assistant reconnects only once the lock is back on the broker (else a
    # re-sent command could reach nobody): its way to the broker opens then.
    await mqtt_relay.close()
    async with asyncio.timeout(WAIT):
        mosquitto.start()
        await wifilock.wait_connected(WAIT)
        assert not mqtt.is_connected(hass)
    await mqtt_relay.open()
    await wait_for_hub(hass, lambda hub: hub.mqtt_connected)
    assert hass.states.get(LOCK).state == HaLockState.LOCKED
    # A command now is answered after anything re-sent on reconnect would have arrived.
    await call(hass, SERVICE_LOCK, LOCK)
    await sim_lock.wait_for(lambda lock: not lock.busy, timeout=WAIT)
    assert actions == [LockAction.LOCK]
    assert wifilock.commands_received == 1
    assert sim_lock.state is LockState.LOCKED
    assert init_lock.runtime_data.mqtt.commands_sent == 2
    assert_no_tracebacks(caplog)


async def test_broker_stops_while_the_lock_moves(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    mosquitto: Mosquitto,
    sim_lock: SimSmartLock,
    wifilock: WifiLockSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Carried out, answer lost with the broker: unknown at once (not after 30 s), once only."""
    transport = init_lock.runtime_data.mqtt
    actions = lock_actions(sim_lock)
    # At real motor speed the lock is still moving when the broker goes.
    sim_lock.clock.time_factor = 1.0
    command = hass.async_create_task(outcome(hass, SERVICE_UNLOCK))
    await sim_lock.wait_for(lambda lock: lock.busy, timeout=WAIT)
    mosquitto.stop()
    async with asyncio.timeout(WAIT):
        assert await command == "mqtt_outcome_unknown"
    assert transport.commands_unanswered == 0
    sim_lock.clock.time_factor = TIME_FACTOR
    await sim_lock.wait_for(lambda lock: not lock.busy, timeout=WAIT)
    mosquitto.start()
    # The lock's real state, learnt from its own publications after the restart.
    await wait_for_state(hass, LOCK, HaLockState.UNLOCKED)
    assert actions == [LockAction.UNLOCK]
    assert wifilock.commands_received == 1
    assert transport.commands_sent == 1
    assert_no_tracebacks(caplog)


# -- a lock that does not answer ---------------------------------------------------


async def test_unanswered_commands_each_reported_none_repeated(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    sim_lock: SimSmartLock,
    wifilock: WifiLockSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport = init_lock.runtime_data.mqtt
    transport.command_timeout = 0.2
    actions = lock_actions(sim_lock)
    wifilock.stop_answering()
    services = (SERVICE_UNLOCK, SERVICE_OPEN, SERVICE_LOCK, SERVICE_FULL_LOCK)
    for index, service in enumerate(services, start=1):
        domain = DOMAIN if service == SERVICE_FULL_LOCK else LOCK_DOMAIN
        assert await outcome(hass, service, domain) == "mqtt_outcome_unknown"
        assert wifilock.commands_received == index
        assert transport.commands_unanswered == index
        # Still available and still showing the lock's own state.
        assert hass.states.get(LOCK).state == HaLockState.LOCKED

    wifilock.stop_answering(False)
    await call(hass, SERVICE_UNLOCK, LOCK)
    await sim_lock.wait_for(lambda lock: not lock.busy, timeout=WAIT)
    await wait_for_state(hass, LOCK, HaLockState.UNLOCKED)
    # Only the command sent after it answered again was carried out, once.
    assert actions == [LockAction.UNLOCK]
    assert wifilock.commands_received == len(services) + 1
    assert transport.commands_sent == len(services) + 1
    assert_no_tracebacks(caplog)


async def test_queued_command_not_sent_after_the_last_will(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    sim_lock: SimSmartLock,
    wifilock: WifiLockSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """MQTT-only lock: one command waits for its answer, a second waits its turn; then the
    last will. The first is unknown, the second is refused unsent; none is delivered later."""
    transport = init_lock.runtime_data.mqtt
    actions = lock_actions(sim_lock)
    wifilock.stop_answering()
    # Seen where the lock receives it, not by a subscription of Home Assistant's.
    commands: asyncio.Queue[CommandRequest] = asyncio.Queue()
    wifilock.add_command_listener(commands.put_nowait)
    first = hass.async_create_task(outcome(hass, SERVICE_UNLOCK))
    async with asyncio.timeout(WAIT):
        assert (await commands.get()).action == LockAction.UNLOCK
    second = hass.async_create_task(outcome(hass, SERVICE_OPEN))
    # Shown as opening once it waits its turn behind the first.
    await wait_for_hub(hass, lambda hub: hub.transition == OPENING)
    wifilock.go_offline()
    async with asyncio.timeout(WAIT):
        assert await first == "mqtt_outcome_unknown"
        assert await second == "mqtt_not_connected"
    await wait_for_state(hass, LOCK, STATE_UNAVAILABLE)
    assert transport.commands_sent == 1

    wifilock.stop_answering(False)
    wifilock.go_online()
    await wait_for_state(hass, LOCK, HaLockState.LOCKED)
    await call(hass, SERVICE_LOCK, LOCK)
    await sim_lock.wait_for(lambda lock: not lock.busy, timeout=WAIT)
    assert actions == [LockAction.LOCK]
    assert wifilock.commands_received == 2
    assert commands.qsize() == 1
    assert_no_tracebacks(caplog)


# -- overlapping commands ------------------------------------------------------------


async def test_overlapping_commands_one_at_a_time_each_answered(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    sim_lock: SimSmartLock,
    wifilock: WifiLockSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Five calls at once: on the wire strictly command, answer, command, answer..."""
    # The wire as the lock sees it: commands it receives, answers it publishes.
    wire: list[str] = []
    wifilock.add_command_listener(lambda _command: wire.append(Topic.LOCK_ACTION))
    answer_topic = topic(LOCK_ID, Topic.COMMAND_RESPONSE)
    wifilock.add_publish_listener(
        lambda published: published[0] == answer_topic and wire.append(Topic.COMMAND_RESPONSE)
    )
    actions = lock_actions(sim_lock)
    # No open: the lock holds the latch after answering and refuses the next one as busy.
    services = [
        (LOCK_DOMAIN, SERVICE_UNLOCK),
        (LOCK_DOMAIN, SERVICE_LOCK),
        (DOMAIN, SERVICE_FULL_LOCK),
        (LOCK_DOMAIN, SERVICE_UNLOCK),
        (LOCK_DOMAIN, SERVICE_LOCK),
    ]
    results = await asyncio.gather(
        *(call(hass, service, LOCK, domain) for domain, service in services),
        return_exceptions=True,
    )
    assert results == [None] * len(services)
    await sim_lock.wait_for(lambda lock: not lock.busy, timeout=WAIT)
    await wait_for_hub(hass, lambda hub: hub.state.state == sim_lock.state)
    services_actions = [LockAction.UNLOCK, LockAction.LOCK]
    # Each carried out exactly once.
    assert sorted(actions) == sorted(
        [LockAction.UNLOCK, LockAction.LOCK, LockAction.FULL_LOCK, *services_actions]
    )
    assert wire == [Topic.LOCK_ACTION, Topic.COMMAND_RESPONSE] * len(services)
    assert wifilock.commands_received == len(services)
    transport = init_lock.runtime_data.mqtt
    assert transport.commands_sent == len(services)
    assert transport.commands_refused == transport.commands_unanswered == 0
    assert_no_tracebacks(caplog)


async def test_overlapping_commands_each_gets_its_own_answer(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    wifilock: WifiLockSimulator,
) -> None:
    """The lock refuses the second of three overlapping commands: only that call fails."""
    wifilock.stop_answering()
    # Seen where the lock receives them, not by a subscription of Home Assistant's.
    commands: asyncio.Queue[str] = asyncio.Queue()
    wifilock.add_command_listener(lambda command: commands.put_nowait(str(int(command.action))))
    services = {
        str(int(LockAction.UNLOCK)): SERVICE_UNLOCK,
        str(int(LockAction.LOCK)): SERVICE_LOCK,
        str(int(LockAction.UNLATCH)): SERVICE_OPEN,
    }
    tasks = {
        service: hass.async_create_task(outcome(hass, service)) for service in services.values()
    }
    order: list[str] = []
    for answer in ("0", "69", "0"):  # success, busy, success
        async with asyncio.timeout(WAIT):
            order.append(services[await commands.get()])
        # The next command is not published before this one is answered.
        assert commands.empty()
        await mqtt.async_publish(hass, topic(LOCK_ID, Topic.COMMAND_RESPONSE), answer)
    async with asyncio.timeout(WAIT):
        results = {service: await task for service, task in tasks.items()}
    # The refusal belongs to the second command on the wire, whichever it was.
    assert results == {
        order[0]: None,
        order[1]: "mqtt_command_refused",
        order[2]: None,
    }
    assert commands.empty()
    assert wifilock.commands_received == 3
