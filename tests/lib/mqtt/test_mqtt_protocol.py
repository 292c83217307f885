"""The sans-I/O MQTT layer: topics, parsing, encoding, discovery configs."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nukilocal.const import (
    CommandResponse,
    DeviceType,
    DoorSensorState,
    KeypadSource,
    LockAction,
    LockState,
    Mode,
    Trigger,
)
from nukilocal.mqtt.protocol import (
    COMMAND_RESPONSE_MESSAGES,
    CommandRequest,
    CommandResult,
    ContextKind,
    DiscoveryMessage,
    DiscoverySuffix,
    LockActionEvent,
    LockUpdate,
    MqttLock,
    Topic,
    apply_message,
    client_id_for,
    describe_command_response,
    discovery_topic,
    encode_lock_action,
    encode_simple,
    encode_state,
    mosquitto_password,
    parse_message,
    topic,
)
from nukilocal.sim.wifilock import discovery_configs
from tests.support.ids import LOCK_ID

# The lock config exactly as captured from a real lock (nuki-protocol.md, section 3).
CAPTURED_LOCK_CONFIG = (
    '{"~":"nuki/398172F4","avty_t":"~/connected","pl_avail":"true","pl_not_avail":"false",'
    '"dev":{"ids":"[398172F4]","mf":"Nuki","name":"Maison","mdl":"Smart Lock 3.0 Pro"},'
    '"name":"Maison","uniq_id":"398172F4_lock","cmd_t":"~/lockAction","pl_lock":"2",'
    '"pl_unlk":"1","pl_open":"3","stat_t":"~/state","stat_locked":"1","stat_locking":"4",'
    '"stat_unlocked":"3","stat_unlocking":"2","stat_jam":"254",'
    '"val_tpl":"{% if value in (\\"5\\",\\"6\\",\\"7\\") %}3{% else %}{{value}}{% endif %}"}'
)


def test_topics_use_upper_case_hex_without_padding() -> None:
    assert topic(LOCK_ID, Topic.STATE) == "nuki/3C8862ED/state"
    assert topic(0xABC, Topic.LOCK_ACTION) == "nuki/ABC/lockAction"
    assert client_id_for(LOCK_ID) == "Nuki_3C8862ED"


@pytest.mark.parametrize("action", list(LockAction))
def test_encode_every_lock_action(action: LockAction) -> None:
    command = encode_lock_action(LOCK_ID, action)
    assert command.topic == "nuki/3C8862ED/lockAction"
    assert command.payload == str(int(action))
    assert parse_message(command.topic, command.payload) == CommandRequest(
        LOCK_ID, Topic.LOCK_ACTION, action
    )


@pytest.mark.parametrize("bad", [0, 7, 80, -1, True, "1"])
def test_encode_rejects_unknown_actions(bad: object) -> None:
    with pytest.raises(ValueError, match="lock action"):
        encode_lock_action(LOCK_ID, bad)  # type: ignore[arg-type]


def test_simple_commands() -> None:
    assert encode_simple(LOCK_ID, lock=True).topic == "nuki/3C8862ED/lock"
    assert encode_simple(LOCK_ID, lock=False).payload == "true"
    assert parse_message("nuki/3C8862ED/unlock", b"true") == CommandRequest(
        LOCK_ID, Topic.UNLOCK, None
    )
    assert parse_message("nuki/3C8862ED/unlock", b"false") is None


@pytest.mark.parametrize(
    ("name", "payload", "field", "value"),
    [
        ("state", "3", "state", LockState.UNLOCKED),
        ("state", "254", "state", LockState.MOTOR_BLOCKED),
        ("state", "77", "state", LockState(77)),
        ("mode", "2", "mode", Mode.DOOR),
        ("batteryCritical", "true", "battery_critical", True),
        ("batteryCharging", "false", "battery_charging", False),
        ("batteryChargeState", "18", "battery_charge_state", 18),
        ("keypadBatteryCritical", "false", "keypad_battery_critical", False),
        ("doorsensorState", "240", "door_sensor_state", DoorSensorState.TAMPERED),
        # 0: the lock has no door sensor.
        ("doorsensorState", "0", "door_sensor_state", DoorSensorState.UNAVAILABLE),
        ("doorsensorBatteryCritical", "true", "door_sensor_battery_critical", True),
        (
            "timestamp",
            "2018-10-03T06:49:00+00:00",
            "timestamp",
            datetime(2018, 10, 3, 6, 49, tzinfo=UTC),
        ),
    ],
)
def test_state_topics_fill_the_shared_state_model(
    name: str, payload: str, field: str, value: object
) -> None:
    message = parse_message(f"nuki/3C8862ED/{name}", payload.encode())
    assert isinstance(message, LockUpdate)
    assert message.state is not None
    assert getattr(message.state, field) == value


def test_door_sensor_state_0_means_no_door_sensor() -> None:
    message = parse_message("nuki/3C8862ED/doorsensorState", b"0")
    assert isinstance(message, LockUpdate)
    assert message.state is not None
    assert message.state.door_sensor_state is DoorSensorState.UNAVAILABLE
    assert DoorSensorState(0).is_known
    assert not message.state.has_door_sensor
    assert message.state.door_open is None


def test_mqtt_only_facts() -> None:
    assert parse_message("nuki/3C8862ED/deviceType", b"4") == LockUpdate(
        nuki_id=LOCK_ID, topic=Topic.DEVICE_TYPE, device_type=DeviceType.SMARTLOCK_3
    )
    name = parse_message("nuki/3C8862ED/name", "Entrée".encode())
    assert isinstance(name, LockUpdate)
    assert name.name == "Entrée"
    firmware = parse_message("nuki/3C8862ED/firmware", b"3.2.0")
    assert isinstance(firmware, LockUpdate)
    assert firmware.firmware == "3.2.0"
    connected = parse_message("nuki/3C8862ED/connected", b"false")
    assert isinstance(connected, LockUpdate)
    assert connected.connected is False
    server = parse_message("nuki/3C8862ED/serverConnected", b"true")
    assert isinstance(server, LockUpdate)
    assert server.server_connected is True


def test_lock_state_builds_up_and_reports_changes_only() -> None:
    locks: dict[int, MqttLock] = {}
    for name, payload in [
        ("deviceType", "4"),
        ("name", "Front door"),
        ("state", "1"),
        ("batteryChargeState", "96"),
        ("connected", "true"),
    ]:
        message = parse_message(f"nuki/3C8862ED/{name}", payload)
        assert message is not None
        assert apply_message(locks, message) is not None
    lock = locks[LOCK_ID]
    assert lock.available
    assert lock.state.is_locked
    assert lock.state.battery_charge_state == 96
    assert lock.device_type is DeviceType.SMARTLOCK_3
    again = parse_message("nuki/3C8862ED/state", "1")
    assert again is not None
    assert apply_message(locks, again) is None
    jammed = parse_message("nuki/3C8862ED/state", "254")
    assert jammed is not None
    assert apply_message(locks, jammed) is not None
    assert locks[LOCK_ID].state.is_jammed


def test_encode_state_round_trips() -> None:
    locks: dict[int, MqttLock] = {}
    source = {
        "deviceType": "4",
        "name": "Front door",
        "firmware": "4.2.6",
        "mode": "2",
        "state": "3",
        "batteryCritical": "false",
        "batteryCharging": "true",
        "batteryChargeState": "60",
        "doorsensorState": "2",
        "serverConnected": "true",
        "timestamp": "2024-04-06T06:00:51+00:00",
        "connected": "true",
    }
    for name, payload in source.items():
        message = parse_message(f"nuki/3C8862ED/{name}", payload)
        assert message is not None
        apply_message(locks, message)
    encoded = {str(k): v for k, v in encode_state(locks[LOCK_ID]).items()}
    assert encoded == source


@pytest.mark.parametrize("payload", ["0", "69", "0x45", "0X45", " 66 "])
def test_command_response_decimal_or_hex(payload: str) -> None:
    message = parse_message("nuki/3C8862ED/commandResponse", payload)
    assert isinstance(message, CommandResult)
    assert message.code in (CommandResponse.SUCCESS, CommandResponse.BUSY, 0x42)


@pytest.mark.parametrize("code", list(CommandResponse))
def test_every_known_code_has_a_name_and_message(code: CommandResponse) -> None:
    info = describe_command_response(code)
    assert info.code is code
    assert info.name == code.name.lower()
    assert info.message == COMMAND_RESPONSE_MESSAGES[code]
    assert info.success is (code == 0)


def test_unknown_code_is_kept() -> None:
    message = parse_message("nuki/3C8862ED/commandResponse", "153")
    assert isinstance(message, CommandResult)
    assert int(message.code) == 153
    assert not message.code.is_known
    assert message.info.message == "Error code 0x99"
    assert message.info.name == "unknown_153"


@pytest.mark.parametrize(
    ("payload", "kind", "check"),
    [
        ("3,0,54321,12345,1", ContextKind.KEYPAD_SOURCE, ("keypad_source", KeypadSource.CODE)),
        (
            "3,0,54321,12345,2",
            ContextKind.KEYPAD_SOURCE,
            ("keypad_source", KeypadSource.FINGERPRINT),
        ),
        ("4,2,0,0,0", ContextKind.PRESSES, ("presses", 0)),
        ("90,2,0,0,2", ContextKind.PRESSES, ("presses", 2)),
        ("80,0,777,0,1", ContextKind.PRESSES, ("presses", 1)),
        ("1,0,4242,0,1", ContextKind.AUTO_UNLOCK, ("auto_unlock", True)),
        ("1,0,4242,0,0", ContextKind.AUTO_UNLOCK, ("auto_unlock", False)),
        ("2,172,0,0,0", ContextKind.NONE, ("trigger", Trigger.MQTT)),
        ("6,6,0,0,0", ContextKind.NONE, ("lock_action", LockAction.FULL_LOCK)),
    ],
)
def test_lock_action_events(payload: str, kind: ContextKind, check: tuple[str, object]) -> None:
    event = parse_message("nuki/3C8862ED/lockActionEvent", payload)
    assert isinstance(event, LockActionEvent)
    assert event.context_kind is kind
    assert getattr(event, check[0]) == check[1]
    assert event.encode() == payload
    assert event.description


def test_lock_action_event_descriptions() -> None:
    keypad = parse_message("nuki/3C8862ED/lockActionEvent", "3,0,54321,12345,1")
    assert isinstance(keypad, LockActionEvent)
    assert keypad.description == (
        "unlatch by system or Bluetooth (keypad code), auth id 54321, code id 12345"
    )
    button = parse_message("nuki/3C8862ED/lockActionEvent", "90,2,0,0,2")
    assert isinstance(button, LockActionEvent)
    assert button.without_action
    assert button.lock_action is None
    assert button.description == "button press without action by button (2 button presses)"
    unknown = parse_message("nuki/3C8862ED/lockActionEvent", "1,99,0,0,0")
    assert isinstance(unknown, LockActionEvent)
    assert unknown.trigger_description == "trigger 99"


def test_discovery_topics_and_clearing() -> None:
    assert (
        discovery_topic(0x398172F4, DiscoverySuffix.LOCK)
        == "homeassistant/lock/nuki_398172F4_lock/config"
    )
    message = parse_message("homeassistant/lock/nuki_398172F4_lock/config", CAPTURED_LOCK_CONFIG)
    assert isinstance(message, DiscoveryMessage)
    assert message.nuki_id == 0x398172F4
    assert message.known_suffix is DiscoverySuffix.LOCK
    assert message.config is not None
    assert message.config["uniq_id"] == "398172F4_lock"
    cleared = parse_message(
        "homeassistant/binary_sensor/nuki_398172F4_lock_battery_critical/config", b""
    )
    assert cleared == DiscoveryMessage(0x398172F4, "binary_sensor", "lock_battery_critical", None)
    # Other integrations' discovery topics are none of our business.
    assert parse_message("homeassistant/lock/zigbee_1234_lock/config", b"{}") is None
    assert parse_message("homeassistant/lock/nuki_398172F4_lock/config", b"[1]") is None


def test_discovery_lock_config_is_the_captured_one_byte_for_byte() -> None:
    configs = discovery_configs(0x398172F4, "Maison")
    assert configs[DiscoverySuffix.LOCK] == CAPTURED_LOCK_CONFIG


def test_other_discovery_configs_follow_the_captured_style() -> None:
    configs = discovery_configs(0x398172F4, "Maison")
    assert set(configs) == set(DiscoverySuffix)
    head = CAPTURED_LOCK_CONFIG[: CAPTURED_LOCK_CONFIG.index(',"name"')]
    for suffix, text in configs.items():
        assert text.startswith(head), suffix
        config = json.loads(text)
        assert config["uniq_id"] == f"398172F4_{suffix}"
        assert " " not in text.replace("Maison ", "").split('"name"')[0]
    battery = json.loads(configs[DiscoverySuffix.LOCK_BATTERY_CRITICAL])
    assert battery["stat_t"] == "~/batteryCritical"
    assert (battery["pl_on"], battery["pl_off"]) == ("true", "false")
    assert json.loads(configs[DiscoverySuffix.UNLATCH_BUTTON])["pl_prs"] == "3"


@pytest.mark.parametrize(
    ("topic_name", "payload"),
    [
        ("nuki/3C8862ED/state", b"abc"),
        ("nuki/3C8862ED/state", b"1.5"),
        ("nuki/3C8862ED/state", b"-1"),
        ("nuki/3C8862ED/state", b"\xff\xfe"),
        ("nuki/3C8862ED/state", b""),
        ("nuki/3C8862ED/batteryChargeState", b"250"),
        # Past Python's 4300-digit limit int() raises rather than returning a number.
        ("nuki/3C8862ED/state", b"1" * 1_000_000),
        ("nuki/3C8862ED/batteryChargeState", b"9" * 5_000),
        ("nuki/3C8862ED/doorsensorState", b"0" * 5_000 + b"2"),
        ("nuki/3C8862ED/batteryCritical", b"maybe"),
        ("nuki/3C8862ED/connected", b"1"),
        ("nuki/3C8862ED/timestamp", b"yesterday"),
        ("nuki/3C8862ED/commandResponse", b"0x"),
        ("nuki/3C8862ED/commandResponse", b"300"),
        ("nuki/3C8862ED/lockActionEvent", b"1,2,3"),
        ("nuki/3C8862ED/lockActionEvent", b"1,2,3,4,x"),
        ("nuki/3C8862ED/lockAction", b"9"),
        ("nuki/3C8862ED/somethingNew", b"1"),
        ("nuki/NOTHEX/state", b"1"),
        ("nuki/0x1F/state", b"1"),
        ("nuki/3C8862ED/state/extra", b"1"),
        ("other/3C8862ED/state", b"1"),
        ("homeassistant/lock/nuki_398172F4_lock/config", b"{not json"),
    ],
)
def test_garbage_is_ignored_with_a_debug_log(
    topic_name: str, payload: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="nukilocal.mqtt.protocol"):
        assert parse_message(topic_name, payload) is None
    assert any(r.levelno == logging.DEBUG for r in caplog.records)


_TOPIC_NAMES = [str(t) for t in Topic] + ["bogus", ""]


@given(
    hex_part=st.one_of(st.text(max_size=10), st.sampled_from(["3C8862ED", "1", "ABCDEF12"])),
    name=st.one_of(st.sampled_from(_TOPIC_NAMES), st.text(max_size=12)),
    payload=st.one_of(st.binary(max_size=40), st.text(max_size=40).map(str.encode)),
)
def test_parser_never_raises(hex_part: str, name: str, payload: bytes) -> None:
    message = parse_message(f"nuki/{hex_part}/{name}", payload)
    if isinstance(message, LockUpdate):
        # Whatever it accepted must fold into a lock without error.
        apply_message({}, message)


@given(topic_name=st.text(max_size=60), payload=st.binary(max_size=60))
def test_parser_never_raises_on_any_topic(topic_name: str, payload: bytes) -> None:
    parse_message(topic_name, payload)


@given(
    hex_id=st.text(alphabet="0123456789ABCDEF", min_size=1, max_size=8),
    suffix=st.text(max_size=20),
    payload=st.binary(max_size=60),
)
def test_discovery_parser_never_raises(hex_id: str, suffix: str, payload: bytes) -> None:
    parse_message(f"homeassistant/sensor/nuki_{hex_id}_{suffix}/config", payload)


def test_debug_mode_password() -> None:
    # sha256("secret")
    assert mosquitto_password("secret") == (
        "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
    )
