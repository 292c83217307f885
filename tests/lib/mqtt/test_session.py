"""MqttLockSession on its own: no broker, no event loop, no clock.

Each rule of the session has a test here that fails when the rule breaks; the
transports built on it are tested over real brokers elsewhere.
"""

from __future__ import annotations

import pytest

from nukilocal.const import CommandResponse, LockAction, LockState
from nukilocal.exceptions import NukiConnectionError, NukiOutcomeUnknownError
from nukilocal.mqtt.protocol import (
    COMMAND_PUBLISH_QOS,
    COMMAND_QOS,
    DEFAULT_COMMAND_TIMEOUT,
    DiscoveryMessage,
    DiscoverySuffix,
    LockActionEvent,
    Topic,
    discovery_topic,
    normalize_payload,
    parse_message,
    topic,
)
from nukilocal.mqtt.session import (
    NOTHING,
    REASON_BROKER_LOST,
    REASON_OFFLINE,
    MqttLockSession,
    SessionUpdate,
)
from tests.lib.test_packaging import run_blocked
from tests.support.ids import LOCK_ID

OTHER_ID = 0x1A2B3C


def feed(session: MqttLockSession, name: Topic, payload: str, *, retained: bool) -> SessionUpdate:
    return session.receive(topic(LOCK_ID, name), payload.encode(), retained=retained)


def online(**kwargs: bool) -> MqttLockSession:
    """A session whose lock has said it is connected."""
    session = MqttLockSession(LOCK_ID, **kwargs)
    feed(session, Topic.CONNECTED, "true", retained=True)
    return session


# -- state -----------------------------------------------------------------------


def test_messages_fold_into_the_lock_and_say_what_changed() -> None:
    session = MqttLockSession(LOCK_ID)
    assert not session.reported
    update = feed(session, Topic.STATE, "3", retained=True)
    assert update.lock_changed
    assert update.old is not None
    assert update.old.state.state is None
    assert update.new is session.lock
    assert session.lock.state.state is LockState.UNLOCKED
    assert session.reported
    # The same value again changes nothing and says so.
    assert feed(session, Topic.STATE, "3", retained=True) is NOTHING
    assert not NOTHING.lock_changed


def test_messages_of_other_locks_are_ignored() -> None:
    session = online()
    session.begin_command(LockAction.LOCK)
    for name, payload in [(Topic.STATE, "3"), (Topic.COMMAND_RESPONSE, "0")]:
        update = session.receive(topic(OTHER_ID, name), payload, retained=False)
        assert update is NOTHING
    assert session.lock.state.state is None
    assert session.outstanding is not None


def test_commands_echoed_by_the_broker_mean_nothing() -> None:
    session = online()
    command = session.begin_command(LockAction.UNLOCK)
    assert session.receive(command.topic, command.payload, retained=False) is NOTHING
    assert session.outstanding is command


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"3", b"3"),
        (bytearray(b"3"), b"3"),
        (memoryview(b"3"), b"3"),
        ("3", "3"),
        (3, "3"),
        (None, b""),
    ],
)
def test_payloads_of_any_client_library_are_read_alike(payload: object, expected: object) -> None:
    assert normalize_payload(payload) == expected
    session = MqttLockSession(LOCK_ID)
    update = session.receive(topic(LOCK_ID, Topic.STATE), payload, retained=True)
    assert update.lock_changed is (expected != b"")


def test_broker_connection_lost_makes_connected_unknown() -> None:
    session = online()
    update = session.connection_lost()
    assert update.old is not None
    assert update.old.connected is True
    assert update.new is not None
    assert update.new.connected is None
    assert session.lock.connected is None
    # Already unknown: nothing changes the second time.
    assert not session.connection_lost().lock_changed


# -- commands: when one may be sent -----------------------------------------------


def test_command_refused_unless_the_lock_is_known_connected() -> None:
    session = MqttLockSession(LOCK_ID)
    with pytest.raises(NukiConnectionError, match="not connected"):
        session.begin_command(LockAction.UNLOCK)
    feed(session, Topic.CONNECTED, "false", retained=True)
    with pytest.raises(NukiConnectionError, match="offline"):
        session.begin_command(LockAction.UNLOCK)
    assert session.outstanding is None
    feed(session, Topic.CONNECTED, "true", retained=True)
    command = session.begin_command(LockAction.UNLOCK)
    assert (command.topic, command.payload) == (topic(LOCK_ID, Topic.LOCK_ACTION), "1")
    assert session.outstanding is command


def test_stand_alone_client_may_send_while_connected_is_unknown() -> None:
    session = MqttLockSession(LOCK_ID, require_connected=False)
    assert session.begin_simple_command(lock=True).topic == topic(LOCK_ID, Topic.LOCK)
    session.fail_command("test over")
    feed(session, Topic.CONNECTED, "false", retained=True)
    with pytest.raises(NukiConnectionError, match="offline"):
        session.begin_command(LockAction.LOCK)


def test_one_command_at_a_time() -> None:
    session = online()
    first = session.begin_command(LockAction.UNLOCK)
    with pytest.raises(RuntimeError, match="outstanding"):
        session.begin_command(LockAction.LOCK)
    assert session.outstanding is first
    feed(session, Topic.COMMAND_RESPONSE, "0", retained=False)
    second = session.begin_command(LockAction.LOCK)
    assert session.outstanding is second


def test_unknown_action_is_not_begun() -> None:
    session = online()
    with pytest.raises(ValueError, match="unknown lock action"):
        session.begin_command(42)
    assert session.outstanding is None


# -- commands: answers -------------------------------------------------------------


def test_answer_matches_the_outstanding_command() -> None:
    session = online()
    session.begin_command(LockAction.UNLOCK)
    update = feed(session, Topic.COMMAND_RESPONSE, "0", retained=False)
    assert update.answer is not None
    assert update.answer.code is CommandResponse.SUCCESS
    assert session.outstanding is None
    assert session.commands_refused == 0
    # A second answer belongs to nothing of ours.
    assert feed(session, Topic.COMMAND_RESPONSE, "0", retained=False) is NOTHING


def test_refusal_is_an_answer_and_counted() -> None:
    session = online()
    session.begin_command(LockAction.UNLATCH)
    update = feed(session, Topic.COMMAND_RESPONSE, "69", retained=False)
    assert update.answer is not None
    assert update.answer.code is CommandResponse.BUSY
    assert session.commands_refused == 1


def test_retained_answer_is_never_ours() -> None:
    session = online()
    command = session.begin_command(LockAction.LOCK)
    assert feed(session, Topic.COMMAND_RESPONSE, "0", retained=True) is NOTHING
    assert session.outstanding is command


def test_answer_without_a_command_is_ignored() -> None:
    session = online()
    assert feed(session, Topic.COMMAND_RESPONSE, "0", retained=False) is NOTHING
    assert session.commands_refused == 0


# -- commands: failures --------------------------------------------------------------


def test_lock_going_offline_fails_the_outstanding_command() -> None:
    session = online()
    command = session.begin_command(LockAction.UNLATCH)
    update = feed(session, Topic.CONNECTED, "false", retained=True)
    assert update.lock_changed
    assert update.failed is not None
    assert update.failed.command is command
    assert update.failed.reason == REASON_OFFLINE
    error = update.failed.error
    assert isinstance(error, NukiOutcomeUnknownError)
    assert "not re-sent" in str(error)
    assert "nuki/3C8862ED/lockAction 3" in str(error)
    assert session.outstanding is None
    # Nothing outstanding: going offline fails nothing.
    feed(session, Topic.CONNECTED, "true", retained=True)
    assert feed(session, Topic.CONNECTED, "false", retained=True).failed is None


def test_broker_connection_lost_fails_the_outstanding_command() -> None:
    session = online()
    command = session.begin_command(LockAction.LOCK)
    update = session.connection_lost()
    assert update.failed is not None
    assert update.failed.command is command
    assert update.failed.reason == REASON_BROKER_LOST
    assert session.outstanding is None
    # A late answer after reconnecting belongs to nothing of ours.
    assert feed(session, Topic.COMMAND_RESPONSE, "0", retained=False) is NOTHING


def test_fail_command_ends_it_with_the_reason_given() -> None:
    session = online()
    assert session.fail_command("unloaded") is None
    command = session.begin_command(LockAction.LOCK)
    failure = session.fail_command("unloaded")
    assert failure is not None
    assert failure.command is command
    assert str(failure.error).startswith("unloaded; ")
    assert session.outstanding is None


def test_timeout_ends_the_command_and_is_counted() -> None:
    session = online()
    command = session.begin_command(LockAction.UNLOCK)
    session.command_published()
    error = session.command_timed_out(command, 2.5)
    assert isinstance(error, NukiOutcomeUnknownError)
    assert "2.5 s" in str(error)
    assert "not re-sent" in str(error)
    assert session.outstanding is None
    assert (session.commands_sent, session.commands_unanswered) == (1, 1)
    # The answer arriving late is not taken for the next command's.
    assert feed(session, Topic.COMMAND_RESPONSE, "0", retained=False) is NOTHING


def test_end_command_ends_only_that_command() -> None:
    session = online()
    first = session.begin_command(LockAction.UNLOCK)
    session.end_command(first)
    assert session.outstanding is None
    session.end_command(first)
    second = session.begin_command(LockAction.LOCK)
    session.end_command(first)
    assert session.outstanding is second


def test_counters() -> None:
    session = online()
    for action, answer in ((LockAction.UNLOCK, "0"), (LockAction.LOCK, "66")):
        session.begin_command(action)
        session.command_published()
        feed(session, Topic.COMMAND_RESPONSE, answer, retained=False)
    feed(session, Topic.LOCK_ACTION_EVENT, "2,172,0,0,0", retained=False)
    assert (session.commands_sent, session.commands_refused) == (2, 1)
    assert (session.commands_unanswered, session.events_received) == (0, 1)


# -- events ------------------------------------------------------------------------


def test_live_events_are_passed_on_retained_ones_ignored() -> None:
    session = online()
    update = feed(session, Topic.LOCK_ACTION_EVENT, "3,0,54321,12345,1", retained=False)
    assert isinstance(update.event, LockActionEvent)
    assert update.event.code_id == 12345
    assert session.events_received == 1
    assert feed(session, Topic.LOCK_ACTION_EVENT, "3,0,54321,12345,1", retained=True) is NOTHING
    assert session.events_received == 1


# -- the lock's own discovery configs ----------------------------------------------


def _discovery(session: MqttLockSession, suffix: DiscoverySuffix, payload: str) -> SessionUpdate:
    return session.receive(discovery_topic(LOCK_ID, suffix), payload, retained=True)


def test_discovery_configs_tracked_by_component_and_suffix() -> None:
    session = MqttLockSession(LOCK_ID)
    assert _discovery(session, DiscoverySuffix.LOCK, '{"name": "Maison"}').discovery_changed
    assert _discovery(session, DiscoverySuffix.UNLATCH_BUTTON, "{}").discovery_changed
    assert session.discovery_configs() == {
        "lock/lock": {"name": "Maison"},
        "button/unlatch_button": {},
    }
    assert set(session.discovery) == {"lock/lock", "button/unlatch_button"}
    # Published again on every connect: no change.
    assert _discovery(session, DiscoverySuffix.LOCK, '{"name": "Maison"}') is NOTHING
    assert _discovery(session, DiscoverySuffix.LOCK, '{"name": "Porch"}').discovery_changed
    # Switched off in the app: empty retained payloads clear them.
    assert _discovery(session, DiscoverySuffix.LOCK, "").discovery_changed
    assert _discovery(session, DiscoverySuffix.LOCK, "") is NOTHING
    assert session.discovery_configs() == {"button/unlatch_button": {}}
    # Discovery alone does not make the lock known.
    assert not session.reported


def test_discovery_key_is_the_message_key() -> None:
    message = parse_message(discovery_topic(LOCK_ID, DiscoverySuffix.DOOR_SENSOR), b"{}")
    assert isinstance(message, DiscoveryMessage)
    assert message.key == "binary_sensor/door_sensor"


# -- constants shared by both transports ---------------------------------------------


def test_shared_constants() -> None:
    assert DEFAULT_COMMAND_TIMEOUT == 30.0
    # Published at most once; the lock subscribes at QoS 2 and the broker delivers at 0.
    assert (COMMAND_PUBLISH_QOS, COMMAND_QOS) == (0, 2)


def test_session_needs_no_extra() -> None:
    """The integration uses the session; Home Assistant installs no aiomqtt for it."""
    result = run_blocked(
        frozenset({"aiomqtt", "paho", "amqtt", "rich"}),
        """
        from nukilocal.mqtt.session import MqttLockSession
        print(MqttLockSession(1).hex_id)
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
