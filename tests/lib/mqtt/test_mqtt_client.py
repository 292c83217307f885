"""MqttLockClient and the Wi-Fi lock stand-in over real brokers (Mosquitto and amqtt)."""

from __future__ import annotations

import asyncio

import aiomqtt
import pytest

from nukilocal.const import CommandResponse, LockAction, LockState, Trigger
from nukilocal.exceptions import (
    NukiAuthError,
    NukiCommandRefusedError,
    NukiConnectionError,
    NukiOutcomeUnknownError,
)
from nukilocal.mqtt.client import MqttLockClient
from nukilocal.mqtt.protocol import (
    CommandResult,
    LockActionEvent,
    Message,
    MqttLock,
    Topic,
    describe_command_response,
    topic,
)
from nukilocal.sim.devices import SimSmartLock
from tests.lib.mqtt.conftest import LOCK_ID, USERS, ClientFactory, WifiLockFactory
from tests.support.mosquitto import MOSQUITTO_PUB, MOSQUITTO_SUB, Mosquitto


def _states(client: MqttLockClient) -> list[LockState]:
    seen: list[LockState] = []

    def record(lock: MqttLock) -> None:
        state = lock.state.state
        if isinstance(state, LockState) and (not seen or seen[-1] != state):
            seen.append(state)

    client.add_state_listener(record)
    return seen


async def test_retained_state_seen_by_a_later_client(
    broker_url: str, make_wifilock: WifiLockFactory, make_client: ClientFactory
) -> None:
    await make_wifilock(broker_url)
    client = await make_client(broker_url)
    lock = await client.wait_for_lock(
        LOCK_ID, lambda lock: lock.available and lock.name is not None and lock.state.state == 1
    )
    assert lock.name == "Front door"
    assert lock.firmware == "4.2.6"
    assert lock.server_connected is True
    assert lock.state.battery_charge_state == 90
    assert lock.state.timestamp is not None


async def test_rename_and_firmware_update_are_published(
    broker_url: str, make_wifilock: WifiLockFactory, make_client: ClientFactory
) -> None:
    wifi = await make_wifilock(broker_url)
    client = await make_client(broker_url)
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.name == "Front door")
    before = len(wifi.published)
    wifi.lock.set_identity(name="Porch", firmware_version="4.3.0")
    await client.wait_for_lock(
        LOCK_ID, lambda lock: (lock.name, lock.firmware) == ("Porch", "4.3.0")
    )
    # Only what changed, retained; not a state update (no new timestamp).
    assert sorted(list(wifi.published)[before:]) == [
        (topic(LOCK_ID, Topic.FIRMWARE), "4.3.0", True),
        (topic(LOCK_ID, Topic.NAME), "Porch", True),
    ]


async def test_command_round_trip_and_transitions(
    broker_url: str, make_wifilock: WifiLockFactory, make_client: ClientFactory
) -> None:
    await make_wifilock(broker_url)
    client = await make_client(broker_url)
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.available)
    seen = _states(client)
    events: list[LockActionEvent] = []
    client.add_event_listener(events.append)
    info = await client.send_action(LOCK_ID, LockAction.UNLOCK, timeout=5)
    assert info.code is CommandResponse.SUCCESS
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.state.state == LockState.UNLOCKED)
    assert seen[-2:] == [LockState.UNLOCKING, LockState.UNLOCKED]
    assert events[0].lock_action is LockAction.UNLOCK
    assert events[0].trigger is Trigger.MQTT
    # The firmware's own lock action, through the simple topic.
    await client.lock(LOCK_ID, timeout=5)
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.state.is_locked)


async def test_last_will_makes_the_lock_unavailable(
    broker_url: str, make_wifilock: WifiLockFactory, make_client: ClientFactory
) -> None:
    sim = await make_wifilock(broker_url, reconnect_seconds=0.05)
    client = await make_client(broker_url)
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.available)
    sim.go_offline()
    lock = await client.wait_for_lock(LOCK_ID, lambda lock: lock.connected is False)
    assert not lock.available
    with pytest.raises(NukiConnectionError, match="offline"):
        await client.send_action(LOCK_ID, LockAction.UNLOCK, timeout=1)
    sim.go_online()
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.available)
    await sim.wait_connected()
    assert sim.connection_count == 2


async def test_dropped_connection_fires_will_then_lock_returns(
    mosquitto: Mosquitto, make_wifilock: WifiLockFactory, make_client: ClientFactory
) -> None:
    sim = await make_wifilock(mosquitto.url())
    client = await make_client(mosquitto.url())
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.available)
    availability: list[bool | None] = []
    client.add_state_listener(lambda lock: availability.append(lock.connected))
    sim.drop_connection()
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.connected is False)
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.connected is True)
    assert availability[:1] == [False]


async def test_device_offline_drops_mqtt_too(
    mosquitto: Mosquitto,
    sim_lock: SimSmartLock,
    make_wifilock: WifiLockFactory,
    make_client: ClientFactory,
) -> None:
    await make_wifilock(mosquitto.url())
    client = await make_client(mosquitto.url())
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.available)
    sim_lock.set_online(False)
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.connected is False)
    sim_lock.set_online(True)
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.connected is True)


async def test_broker_restart_reconnects_and_resubscribes(
    mosquitto: Mosquitto, make_wifilock: WifiLockFactory, make_client: ClientFactory
) -> None:
    sim = await make_wifilock(mosquitto.url())
    client = await make_client(mosquitto.url())
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.available)
    lost = asyncio.Event()
    back = asyncio.Event()
    client.add_connection_listener(lambda up: (back if up else lost).set())
    mosquitto.restart()
    await asyncio.wait_for(lost.wait(), 10)
    # Unknown while the broker is away, not "offline".
    current = client.get_lock(LOCK_ID)
    assert current is not None
    assert current.connected is None
    await asyncio.wait_for(back.wait(), 10)
    # The broker lost its retained messages; the lock republishes on reconnect.
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.available)
    await sim.wait_connected()
    assert client.connection_count == 2
    # Commands work again: the subscription to nuki/# was renewed.
    await client.send_action(LOCK_ID, LockAction.UNLATCH, timeout=5)


async def test_credentials(mosquitto_auth: Mosquitto, make_wifilock: WifiLockFactory) -> None:
    good = mosquitto_auth.url("homeassistant", USERS["homeassistant"])
    await make_wifilock(mosquitto_auth.url("nuki", USERS["nuki"]))
    async with MqttLockClient.from_url(good) as client:
        await client.wait_for_lock(LOCK_ID, lambda lock: lock.available)
    with pytest.raises(NukiAuthError):
        await MqttLockClient.from_url(mosquitto_auth.url("homeassistant", "wrong")).connect()
    with pytest.raises(NukiAuthError):
        await MqttLockClient.from_url(mosquitto_auth.url()).connect()


async def test_unreachable_broker() -> None:
    from tests.support.net import free_port

    with pytest.raises(NukiConnectionError) as caught:
        await MqttLockClient("127.0.0.1", free_port()).connect()
    assert not isinstance(caught.value, NukiAuthError)


async def _fake_lock(url: str, code: int, ready: asyncio.Event) -> None:
    """Answers every lockAction with ``code``, like a lock that refuses."""
    host, port = url.removeprefix("mqtt://").split(":")
    async with aiomqtt.Client(host, int(port)) as lock:
        await lock.subscribe(topic(LOCK_ID, Topic.LOCK_ACTION), qos=2)
        ready.set()
        async for _message in lock.messages:
            await lock.publish(topic(LOCK_ID, Topic.COMMAND_RESPONSE), str(code), qos=0)


async def test_qos0_command_reaches_a_lock_subscribed_at_qos2(
    mosquitto: Mosquitto, make_client: ClientFactory
) -> None:
    """The lock subscribes to lockAction at QoS 2; the client publishes at QoS 0.

    The broker delivers at the lower of the two, so the command arrives, at most
    once, and is never kept in a session to be delivered late.
    """
    received: asyncio.Future[aiomqtt.Message] = asyncio.get_running_loop().create_future()
    async with aiomqtt.Client(mosquitto.host, mosquitto.port) as lock:
        await lock.subscribe(topic(LOCK_ID, Topic.LOCK_ACTION), qos=2)

        async def answer() -> None:
            async for message in lock.messages:
                received.set_result(message)
                # Like the lock: its answer at QoS 2.
                await lock.publish(topic(LOCK_ID, Topic.COMMAND_RESPONSE), "0", qos=2)
                return

        answering = asyncio.create_task(answer())
        client = await make_client(mosquitto.url())
        info = await client.send_action(LOCK_ID, LockAction.UNLATCH, timeout=5)
        await asyncio.wait_for(answering, 5)
    assert info.success
    message = received.result()
    assert message.qos == 0
    assert message.payload == b"3"


@pytest.mark.parametrize("code", [*CommandResponse, 0x99])
async def test_every_command_response_code(
    embedded_broker_url: str, make_client: ClientFactory, code: int
) -> None:
    ready = asyncio.Event()
    fake = asyncio.create_task(_fake_lock(embedded_broker_url, code, ready))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        client = await make_client(embedded_broker_url)
        if code == CommandResponse.SUCCESS:
            info = await client.send_action(LOCK_ID, LockAction.LOCK, timeout=5)
            assert info.success
            return
        with pytest.raises(NukiCommandRefusedError) as caught:
            await client.send_action(LOCK_ID, LockAction.LOCK, timeout=5)
        assert caught.value.code == code
        assert describe_command_response(code).message in str(caught.value)
    finally:
        fake.cancel()
        await asyncio.gather(fake, return_exceptions=True)


@pytest.fixture
async def embedded_broker_url(embedded_broker: object) -> str:
    from nukilocal.sim.broker import EmbeddedBroker

    assert isinstance(embedded_broker, EmbeddedBroker)
    return embedded_broker.url


async def test_refusals_from_the_stand_in(
    mosquitto: Mosquitto,
    sim_lock: SimSmartLock,
    make_wifilock: WifiLockFactory,
    make_client: ClientFactory,
) -> None:
    await make_wifilock(mosquitto.url())
    client = await make_client(mosquitto.url())
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.available)

    sim_lock.jam()
    with pytest.raises(NukiCommandRefusedError) as caught:
        await client.send_action(LOCK_ID, LockAction.UNLOCK, timeout=5)
    assert caught.value.code is CommandResponse.MOTOR_BLOCKED
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.state.is_jammed)
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.state.is_locked)

    # Busy: a button press is still running the motor (at real speed, so that
    # the command surely arrives while it runs, however loaded the machine).
    sim_lock.clock.time_factor = 1.0
    await sim_lock.perform(LockAction.FULL_LOCK, wait=False, trigger=Trigger.BUTTON)
    with pytest.raises(NukiCommandRefusedError) as caught:
        await client.send_action(LOCK_ID, LockAction.UNLOCK, timeout=5)
    assert caught.value.code is CommandResponse.BUSY
    await sim_lock.wait_for(lambda lock: not lock.busy, timeout=5)
    sim_lock.clock.time_factor = 0.01

    sim_lock.set_state(LockState.UNCALIBRATED)
    with pytest.raises(NukiCommandRefusedError) as caught:
        await client.send_action(LOCK_ID, LockAction.UNLOCK, timeout=5)
    assert caught.value.code is CommandResponse.NOT_CALIBRATED


async def test_no_answer_is_outcome_unknown_and_not_resent(
    mosquitto: Mosquitto, make_wifilock: WifiLockFactory, make_client: ClientFactory
) -> None:
    sim = await make_wifilock(mosquitto.url())
    client = await make_client(mosquitto.url())
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.available)
    sim.stop_answering()
    commands: list[Message] = []
    client.add_message_listener(
        lambda m: commands.append(m) if not isinstance(m, CommandResult) else None
    )
    with pytest.raises(NukiOutcomeUnknownError):
        await client.send_action(LOCK_ID, LockAction.UNLATCH, timeout=0.3)
    # Our own command, echoed by the broker, plus nothing else afterwards.
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.available)
    assert sim.commands_received == 1
    sim.stop_answering(False)
    await client.send_action(LOCK_ID, LockAction.UNLOCK, timeout=5)
    assert sim.commands_received == 2


async def test_allow_locking_off_means_not_subscribed(
    mosquitto: Mosquitto, make_wifilock: WifiLockFactory, make_client: ClientFactory
) -> None:
    sim = await make_wifilock(mosquitto.url(), allow_locking=False)
    client = await make_client(mosquitto.url())
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.available)
    with pytest.raises(NukiOutcomeUnknownError):
        await client.send_action(LOCK_ID, LockAction.UNLOCK, timeout=0.3)
    assert sim.commands_received == 0
    await sim.set_allow_locking(True)
    await client.send_action(LOCK_ID, LockAction.UNLOCK, timeout=5)


async def test_overlapping_commands_are_queued_per_lock(
    broker_url: str, make_wifilock: WifiLockFactory, make_client: ClientFactory
) -> None:
    await make_wifilock(broker_url)
    client = await make_client(broker_url)
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.available)
    seen = _states(client)
    results = await asyncio.gather(
        client.send_action(LOCK_ID, LockAction.UNLOCK, timeout=5),
        client.send_action(LOCK_ID, LockAction.LOCK, timeout=5),
        client.send_action(LOCK_ID, LockAction.UNLATCH, timeout=5),
    )
    # Without the queue the lock would have answered 0x45 (busy) twice.
    assert all(info.success for info in results)
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.state.state == LockState.UNLOCKED)
    assert LockState.UNLATCHED in seen
    assert seen.index(LockState.LOCKED) < seen.index(LockState.UNLATCHED)


async def test_two_clients_at_once_can_get_busy(
    mosquitto: Mosquitto, make_wifilock: WifiLockFactory, make_client: ClientFactory
) -> None:
    await make_wifilock(mosquitto.url())
    first = await make_client(mosquitto.url())
    second = await make_client(mosquitto.url())
    await first.wait_for_lock(LOCK_ID, lambda lock: lock.available)
    await second.wait_for_lock(LOCK_ID, lambda lock: lock.available)
    outcomes = await asyncio.gather(
        first.send_action(LOCK_ID, LockAction.FULL_LOCK, timeout=5),
        second.send_action(LOCK_ID, LockAction.UNLATCH, timeout=5),
        return_exceptions=True,
    )
    # Answers carry no correlation id: each client takes the first one it
    # sees; what matters is that nobody hangs and nothing is re-sent.
    for outcome in outcomes:
        assert not isinstance(outcome, NukiOutcomeUnknownError | NukiConnectionError)


async def test_events_from_button_keypad_auto_unlock(
    mosquitto: Mosquitto, make_wifilock: WifiLockFactory, make_client: ClientFactory
) -> None:
    sim = await make_wifilock(mosquitto.url())
    client = await make_client(mosquitto.url())
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.available)
    events: list[LockActionEvent] = []
    got = asyncio.Event()

    def record(event: LockActionEvent) -> None:
        events.append(event)
        if len(events) == 5:
            got.set()

    client.add_event_listener(record)
    await sim.press_button(LockAction.LOCK_N_GO, presses=2)
    await sim_wait_idle(sim)
    await sim.use_keypad(LockAction.UNLATCH, auth_id=54321, code_id=12345)
    await sim_wait_idle(sim)
    await sim.auto_unlock(auth_id=4242)
    await sim.press_button(None, presses=2)
    await sim.press_fob(None, auth_id=77)
    await asyncio.wait_for(got.wait(), 10)
    payloads = [event.encode() for event in events]
    assert payloads == [
        "4,2,0,0,2",
        "3,0,54321,12345,1",
        "1,0,4242,0,1",
        "90,2,0,0,2",
        "80,0,77,0,1",
    ]
    assert events[2].auto_unlock is True


async def sim_wait_idle(sim: object) -> None:
    from nukilocal.sim.wifilock import WifiLockSimulator

    assert isinstance(sim, WifiLockSimulator)
    await sim.lock.wait_for(lambda lock: not lock.busy, timeout=5)


async def test_lock_shared_with_a_bridge(
    mosquitto: Mosquitto,
    sim_lock: SimSmartLock,
    make_wifilock: WifiLockFactory,
    make_client: ClientFactory,
) -> None:
    """What the bridge does to the lock (same object) shows up on MQTT too."""
    await make_wifilock(mosquitto.url())
    client = await make_client(mosquitto.url())
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.available)
    events: list[LockActionEvent] = []
    client.add_event_listener(events.append)
    assert await sim_lock.perform(LockAction.UNLOCK) is CommandResponse.SUCCESS
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.state.state == LockState.UNLOCKED)
    assert events[0].trigger is Trigger.SYSTEM
    sim_lock.set_battery(15)
    # One retained topic per fact: wait for both.
    await client.wait_for_lock(
        LOCK_ID,
        lambda lock: lock.state.battery_critical is True and lock.state.battery_charge_state == 15,
    )


async def test_stock_mosquitto_pub_gets_a_command_response(
    mosquitto: Mosquitto, make_wifilock: WifiLockFactory, make_client: ClientFactory
) -> None:
    await make_wifilock(mosquitto.url())
    client = await make_client(mosquitto.url())
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.available)
    seen = _states(client)
    responses: asyncio.Queue[CommandResult] = asyncio.Queue()
    client.add_message_listener(
        lambda m: responses.put_nowait(m) if isinstance(m, CommandResult) else None
    )
    base = ["-h", mosquitto.host, "-p", str(mosquitto.port)]
    pub = await asyncio.create_subprocess_exec(
        MOSQUITTO_PUB, *base, "-q", "2", "-t", "nuki/3C8862ED/lockAction", "-m", "1"
    )
    assert await pub.wait() == 0
    result = await asyncio.wait_for(responses.get(), 10)
    assert result.code is CommandResponse.SUCCESS
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.state.state == LockState.UNLOCKED)
    assert seen[-2:] == [LockState.UNLOCKING, LockState.UNLOCKED]
    # A stock subscriber reads the retained result.
    sub = await asyncio.create_subprocess_exec(
        MOSQUITTO_SUB,
        *base,
        "-C",
        "1",
        "-t",
        "nuki/3C8862ED/state",
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(sub.communicate(), 10)
    assert out.strip() == b"3"


async def test_listener_errors_do_not_break_the_client(
    broker_url: str, make_wifilock: WifiLockFactory, make_client: ClientFactory
) -> None:
    await make_wifilock(broker_url)
    client = await make_client(broker_url)

    def broken(_lock: MqttLock) -> None:
        raise RuntimeError("boom")

    client.add_state_listener(broken)
    await client.wait_for_lock(LOCK_ID, lambda lock: lock.available)
    await client.send_action(LOCK_ID, LockAction.UNLOCK, timeout=5)


def test_from_url() -> None:
    client = MqttLockClient.from_url("mqtt://us%40er:p%3Ass@broker.local:1884")
    assert (client.host, client.port) == ("broker.local", 1884)
    with pytest.raises(ValueError, match="scheme"):
        MqttLockClient.from_url("http://x")
