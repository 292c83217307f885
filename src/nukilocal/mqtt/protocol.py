"""Nuki's MQTT API without I/O: topic names, message parsing and command encoding.

Everything here is a pure function of its arguments. The client, the Wi-Fi lock
stand-in and the Home Assistant integration share this module, so a topic name,
a payload format or a code's meaning is written down exactly once.

:func:`parse_message` never raises: a broker carries whatever anyone publishes,
and one bad retained message must not take down a client. Anything it cannot
read is dropped with a debug log line.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Final

from ..const import (
    CommandResponse,
    DeviceType,
    EventAction,
    KeypadSource,
    LockAction,
    Trigger,
)
from ..exceptions import NukiCommandRefusedError, NukiOutcomeUnknownError
from ..models import DeviceState, format_timestamp, hex_id, id_from_hex

_LOGGER = logging.getLogger(__name__)

TOPIC_ROOT: Final = "nuki"
SUBSCRIBE_ALL: Final = f"{TOPIC_ROOT}/#"
DISCOVERY_PREFIX: Final = "homeassistant"
DISCOVERY_SUBSCRIBE: Final = f"{DISCOVERY_PREFIX}/+/+/config"
# The lock publishes retained state at QoS 0; commands go at QoS 2 so that a
# lock action is delivered exactly once.
COMMAND_QOS: Final = 2
COMMAND_EXPIRY_SECONDS: Final = 10
DEFAULT_PORT: Final = 1883
# Username of the v1.4 beta debug mode; the password was derived from the Wi-Fi password.
DEBUG_MODE_USERNAME: Final = "nuki"
# The Nuki app limits broker username and password to this length.
CREDENTIAL_MAX_LENGTH: Final = 32
PAYLOAD_TRUE: Final = "true"
PAYLOAD_FALSE: Final = "false"


class Topic(StrEnum):
    """The last level of ``nuki/<HEX>/<topic>``."""

    DEVICE_TYPE = "deviceType"
    NAME = "name"
    FIRMWARE = "firmware"
    MODE = "mode"
    STATE = "state"
    BATTERY_CRITICAL = "batteryCritical"
    BATTERY_CHARGING = "batteryCharging"
    BATTERY_CHARGE_STATE = "batteryChargeState"
    KEYPAD_BATTERY_CRITICAL = "keypadBatteryCritical"
    DOOR_SENSOR_STATE = "doorsensorState"
    DOOR_SENSOR_BATTERY_CRITICAL = "doorsensorBatteryCritical"
    SERVER_CONNECTED = "serverConnected"
    TIMESTAMP = "timestamp"
    CONNECTED = "connected"
    # Commands, published by clients.
    LOCK_ACTION = "lockAction"
    LOCK = "lock"
    UNLOCK = "unlock"
    # Published by the lock, not retained.
    COMMAND_RESPONSE = "commandResponse"
    LOCK_ACTION_EVENT = "lockActionEvent"


# Topics whose payload is one field of a bridge state object: their names are
# the bridge's JSON keys, so DeviceState.from_dict reads both APIs alike.
STATE_TOPICS: Final = frozenset(
    {
        Topic.MODE,
        Topic.STATE,
        Topic.BATTERY_CRITICAL,
        Topic.BATTERY_CHARGING,
        Topic.BATTERY_CHARGE_STATE,
        Topic.KEYPAD_BATTERY_CRITICAL,
        Topic.DOOR_SENSOR_STATE,
        Topic.DOOR_SENSOR_BATTERY_CRITICAL,
        Topic.TIMESTAMP,
    }
)
COMMAND_TOPICS: Final = frozenset({Topic.LOCK_ACTION, Topic.LOCK, Topic.UNLOCK})
# What the lock publishes retained, in the order it publishes them on connect.
RETAINED_TOPICS: Final = (
    Topic.DEVICE_TYPE,
    Topic.NAME,
    Topic.FIRMWARE,
    Topic.MODE,
    Topic.STATE,
    Topic.BATTERY_CRITICAL,
    Topic.BATTERY_CHARGING,
    Topic.BATTERY_CHARGE_STATE,
    Topic.KEYPAD_BATTERY_CRITICAL,
    Topic.DOOR_SENSOR_STATE,
    Topic.DOOR_SENSOR_BATTERY_CRITICAL,
    Topic.SERVER_CONNECTED,
    Topic.TIMESTAMP,
    Topic.CONNECTED,
)


def topic(nuki_id: int, name: Topic | str) -> str:
    return f"{TOPIC_ROOT}/{hex_id(nuki_id)}/{name}"


def lock_filter(nuki_id: int) -> str:
    """Subscription filter for everything about one lock."""
    return f"{TOPIC_ROOT}/{hex_id(nuki_id)}/#"


def client_id_for(nuki_id: int) -> str:
    """The MQTT client id a lock connects with: its BLE name, ``Nuki_<HEX>``."""
    return f"Nuki_{hex_id(nuki_id)}"


def mosquitto_password(wifi_password: str) -> str:
    """v1.4 debug-mode password: lower-case hex SHA-256 of the Wi-Fi password."""
    return hashlib.sha256(wifi_password.encode()).hexdigest()


# --- Commands -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Command:
    """A command message: where it goes and what it says."""

    topic: str
    payload: str
    action: LockAction | None
    """``None`` for the simple ``lock``/``unlock`` commands the firmware interprets."""


def encode_lock_action(nuki_id: int, action: LockAction | int) -> Command:
    """``lockAction`` with action 1 to 6; anything else is a ``ValueError``."""
    if isinstance(action, bool) or not isinstance(action, int):
        raise ValueError(f"lock action must be an integer, not {action!r}")
    member = LockAction(action)
    if not member.is_known:
        raise ValueError(f"unknown lock action {action}")
    return Command(topic(nuki_id, Topic.LOCK_ACTION), str(int(member)), member)


def encode_simple(nuki_id: int, *, lock: bool) -> Command:
    """The firmware's own ``lock`` or ``unlock`` action."""
    name = Topic.LOCK if lock else Topic.UNLOCK
    return Command(topic(nuki_id, name), PAYLOAD_TRUE, None)


# --- commandResponse ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommandResponseInfo:
    code: CommandResponse
    name: str
    message: str

    @property
    def success(self) -> bool:
        return self.code == CommandResponse.SUCCESS


COMMAND_RESPONSE_MESSAGES: Final[dict[CommandResponse, str]] = {
    CommandResponse.SUCCESS: "Command carried out",
    CommandResponse.NOT_AUTHORIZED: "Not authorised",
    CommandResponse.REMOTE_NOT_ALLOWED: "Remote access is not allowed for this user",
    CommandResponse.TIME_NOT_ALLOWED: "Not allowed at this time",
    CommandResponse.AUTO_UNLOCK_TOO_RECENT: "Auto unlock happened too recently",
    CommandResponse.POSITION_UNKNOWN: "Bolt position unknown",
    CommandResponse.MOTOR_BLOCKED: "Motor blocked",
    CommandResponse.CLUTCH_FAILURE: "Clutch failure",
    CommandResponse.MOTOR_TIMEOUT: "Motor timeout",
    CommandResponse.BUSY: "Lock busy with another action",
    CommandResponse.CANCELED: "Action canceled",
    CommandResponse.NOT_CALIBRATED: "Lock not calibrated",
    CommandResponse.MOTOR_POSITION_LIMIT: "Motor position limit reached",
    CommandResponse.MOTOR_LOW_VOLTAGE: "Motor voltage too low",
    CommandResponse.VOLTAGE_TOO_LOW: "Battery voltage too low",
    CommandResponse.FIRMWARE_UPDATE_NEEDED: "Firmware update needed",
    CommandResponse.BAD_CRC: "Bad CRC",
    CommandResponse.BAD_LENGTH: "Bad length",
    CommandResponse.UNKNOWN_ERROR: "Unknown error",
}


def describe_command_response(code: CommandResponse | int) -> CommandResponseInfo:
    """Name and human message of a code; unknown codes keep their number."""
    member = CommandResponse(code)
    message = COMMAND_RESPONSE_MESSAGES.get(member)
    if message is None:
        message = f"Error code 0x{int(member):02X}"
    return CommandResponseInfo(member, member.name.lower(), message)


def check_command_response(
    nuki_id: int, command: Command, code: CommandResponse | int
) -> CommandResponseInfo:
    """The outcome of ``command`` as the lock answered it.

    Success returns the code's description; any other code raises
    :class:`NukiCommandRefusedError` carrying the code, so every transport
    reports a refusal the same way.
    """
    info = describe_command_response(code)
    if not info.success:
        raise NukiCommandRefusedError(
            f"lock {hex_id(nuki_id)} refused {command.topic} {command.payload}: "
            f"{info.message} (0x{int(info.code):02X})",
            code=info.code,
        )
    return info


def command_timeout_error(
    nuki_id: int, command: Command, timeout: float
) -> NukiOutcomeUnknownError:
    """The error for a command whose ``commandResponse`` never came.

    A lock answers only after its motor stopped, and a lost answer does not
    mean a lost command: the caller must not send it again.
    """
    return NukiOutcomeUnknownError(
        f"lock {hex_id(nuki_id)} did not answer {command.topic} {command.payload}"
        f" within {timeout:g} s; not re-sent"
    )


def encode_command_response(code: CommandResponse | int) -> str:
    """Decimal, like every other number the lock publishes.

    **Uncertain**: whether firmware sends ``69`` or ``0x45`` for 0x45;
    :func:`parse_message` accepts both.
    """
    return str(int(code))


# --- lockActionEvent ------------------------------------------------------------

TRIGGER_DESCRIPTIONS: Final[dict[Trigger, str]] = {
    Trigger.SYSTEM: "system or Bluetooth",
    Trigger.MANUAL: "manual",
    Trigger.BUTTON: "button",
    Trigger.AUTOMATIC: "automatic",
    Trigger.AUTO_LOCK: "auto lock",
    Trigger.HOMEKIT: "HomeKit or Matter",
    Trigger.MQTT: "MQTT",
}

_ACTION_DESCRIPTIONS: Final[dict[int, str]] = {
    LockAction.UNLOCK: "unlock",
    LockAction.LOCK: "lock",
    LockAction.UNLATCH: "unlatch",
    LockAction.LOCK_N_GO: "lock 'n' go",
    LockAction.LOCK_N_GO_UNLATCH: "lock 'n' go with unlatch",
    LockAction.FULL_LOCK: "full lock",
    EventAction.FOB_WITHOUT_ACTION: "fob press without action",
    EventAction.BUTTON_WITHOUT_ACTION: "button press without action",
}


class ContextKind(StrEnum):
    """What the fifth field of a ``lockActionEvent`` means for this event."""

    NONE = "none"
    AUTO_UNLOCK = "auto_unlock"
    PRESSES = "presses"
    KEYPAD_SOURCE = "keypad_source"


@dataclass(frozen=True, slots=True, kw_only=True)
class LockActionEvent:
    """Who did what to a lock: ``action,trigger,authId,codeId,context``.

    The context field means different things depending on the source; the
    reading here follows the MQTT API specification. A keypad event is
    recognised by a code id, so a keypad back-key press (code id 0) reads as a
    plain Bluetooth action: the payload does not tell them apart.
    """

    nuki_id: int
    action: int
    trigger: Trigger
    auth_id: int
    code_id: int
    context: int

    @property
    def lock_action(self) -> LockAction | None:
        """The action proper; ``None`` for a press without action (80, 90)."""
        return LockAction(self.action) if self.action in _LOCK_ACTIONS else None

    @property
    def without_action(self) -> bool:
        return self.action in (EventAction.FOB_WITHOUT_ACTION, EventAction.BUTTON_WITHOUT_ACTION)

    @property
    def context_kind(self) -> ContextKind:
        if self.without_action or self.trigger == Trigger.BUTTON:
            return ContextKind.PRESSES
        if self.code_id:
            return ContextKind.KEYPAD_SOURCE
        if self.trigger == Trigger.SYSTEM and self.action == LockAction.UNLOCK:
            return ContextKind.AUTO_UNLOCK
        return ContextKind.NONE

    @property
    def presses(self) -> int | None:
        return self.context if self.context_kind is ContextKind.PRESSES else None

    @property
    def keypad_source(self) -> KeypadSource | None:
        if self.context_kind is ContextKind.KEYPAD_SOURCE:
            return KeypadSource(self.context)
        return None

    @property
    def auto_unlock(self) -> bool | None:
        if self.context_kind is ContextKind.AUTO_UNLOCK:
            return self.context == 1
        return None

    @property
    def action_name(self) -> str:
        """A stable snake_case name of the action, e.g. ``unlatch`` or ``button_without_action``."""
        if self.action in _LOCK_ACTIONS:
            return LockAction(self.action).name.lower()
        if self.without_action:
            return EventAction(self.action).name.lower()
        return UNKNOWN_ACTION_NAME

    @property
    def trigger_name(self) -> str:
        """``button``, ``auto_lock``, ``mqtt`` ...; ``unknown_<n>`` for undocumented triggers."""
        return self.trigger.name.lower()

    @property
    def action_description(self) -> str:
        return _ACTION_DESCRIPTIONS.get(self.action, f"action {self.action}")

    @property
    def trigger_description(self) -> str:
        return TRIGGER_DESCRIPTIONS.get(self.trigger, f"trigger {int(self.trigger)}")

    @property
    def context_description(self) -> str:
        kind = self.context_kind
        if kind is ContextKind.PRESSES:
            device = "fob" if self.action == EventAction.FOB_WITHOUT_ACTION else "button"
            return f"{self.context} {device} press{'es' if self.context != 1 else ''}"
        if kind is ContextKind.KEYPAD_SOURCE:
            source = KeypadSource(self.context)
            names = {
                KeypadSource.BACK_KEY: "keypad back key",
                KeypadSource.CODE: "keypad code",
                KeypadSource.FINGERPRINT: "keypad fingerprint",
            }
            return names.get(source, f"keypad source {self.context}")
        if kind is ContextKind.AUTO_UNLOCK:
            return "auto unlock" if self.context == 1 else "not auto unlock"
        return str(self.context)

    @property
    def description(self) -> str:
        text = f"{self.action_description} by {self.trigger_description}"
        if self.context_kind is not ContextKind.NONE:
            text += f" ({self.context_description})"
        if self.auth_id:
            text += f", auth id {self.auth_id}"
        if self.code_id:
            text += f", code id {self.code_id}"
        return text

    def encode(self) -> str:
        return f"{self.action},{int(self.trigger)},{self.auth_id},{self.code_id},{self.context}"


_LOCK_ACTIONS: Final = frozenset(int(a) for a in LockAction)
UNKNOWN_ACTION_NAME: Final = "unknown"
# Every value LockActionEvent.action_name can take, for declaring event types up front.
ACTION_NAMES: Final = (
    *(a.name.lower() for a in LockAction),
    *(a.name.lower() for a in EventAction),
    UNKNOWN_ACTION_NAME,
)


def parse_lock_action_event(nuki_id: int, payload: str) -> LockActionEvent | None:
    parts = payload.split(",")
    if len(parts) != 5:
        return None
    try:
        action, trigger, auth_id, code_id, context = (int(p.strip()) for p in parts)
    except ValueError:
        return None
    if min(action, trigger, auth_id, code_id, context) < 0:
        return None
    return LockActionEvent(
        nuki_id=nuki_id,
        action=action,
        trigger=Trigger(trigger),
        auth_id=auth_id,
        code_id=code_id,
        context=context,
    )


# --- Home Assistant discovery published by the lock ----------------------------


class DiscoverySuffix(StrEnum):
    """The entities a lock announces itself, as ``nuki_<HEX>_<suffix>``."""

    LOCK = "lock"
    LOCK_BATTERY_CRITICAL = "lock_battery_critical"
    BATTERY_PERCENT = "battery_percent"
    BATTERY_CHARGING = "battery_charging"
    DOOR_SENSOR = "door_sensor"
    DOOR_SENSOR_BATTERY_CRITICAL = "door_sensor_battery_critical"
    KEYPAD_BATTERY_CRITICAL = "keypad_battery_critical"
    UNLATCH_BUTTON = "unlatch_button"
    LOCKNGO_BUTTON = "lockngo_button"
    LOCK_N_GO_UNLATCH = "lock_n_go_unlatch"


DISCOVERY_COMPONENTS: Final[dict[DiscoverySuffix, str]] = {
    DiscoverySuffix.LOCK: "lock",
    DiscoverySuffix.LOCK_BATTERY_CRITICAL: "binary_sensor",
    DiscoverySuffix.BATTERY_PERCENT: "sensor",
    DiscoverySuffix.BATTERY_CHARGING: "binary_sensor",
    DiscoverySuffix.DOOR_SENSOR: "binary_sensor",
    DiscoverySuffix.DOOR_SENSOR_BATTERY_CRITICAL: "binary_sensor",
    DiscoverySuffix.KEYPAD_BATTERY_CRITICAL: "binary_sensor",
    DiscoverySuffix.UNLATCH_BUTTON: "button",
    DiscoverySuffix.LOCKNGO_BUTTON: "button",
    DiscoverySuffix.LOCK_N_GO_UNLATCH: "button",
}


def discovery_topic(nuki_id: int, suffix: DiscoverySuffix, component: str | None = None) -> str:
    component = component or DISCOVERY_COMPONENTS[suffix]
    return f"{DISCOVERY_PREFIX}/{component}/nuki_{hex_id(nuki_id)}_{suffix}/config"


# --- Parsed messages ------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LockUpdate:
    """One retained topic of one lock: a state field or an MQTT-only fact."""

    nuki_id: int
    topic: Topic
    state: DeviceState | None = None
    device_type: DeviceType | None = None
    name: str | None = None
    firmware: str | None = None
    connected: bool | None = None
    server_connected: bool | None = None


@dataclass(frozen=True, slots=True)
class CommandResult:
    """A ``commandResponse``: the outcome of the lock's last command."""

    nuki_id: int
    code: CommandResponse

    @property
    def info(self) -> CommandResponseInfo:
        return describe_command_response(self.code)


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """A command someone published to a lock (the stand-in acts on these)."""

    nuki_id: int
    topic: Topic
    action: LockAction | None
    """``None`` for the simple ``lock``/``unlock`` commands."""


@dataclass(frozen=True, slots=True)
class DiscoveryMessage:
    """A lock's own Home Assistant discovery config; ``config`` None means cleared."""

    nuki_id: int
    component: str
    suffix: str
    config: dict[str, Any] | None

    @property
    def known_suffix(self) -> DiscoverySuffix | None:
        try:
            return DiscoverySuffix(self.suffix)
        except ValueError:
            return None


type Message = LockUpdate | CommandResult | CommandRequest | LockActionEvent | DiscoveryMessage


def parse_message(topic_name: str, payload: bytes | bytearray | str) -> Message | None:
    """Read one MQTT message; ``None`` (with a debug log) for anything unreadable."""
    try:
        text = payload if isinstance(payload, str) else bytes(payload).decode("utf-8")
    except UnicodeDecodeError:
        _LOGGER.debug("Ignoring %s: payload is not UTF-8", topic_name)
        return None
    levels = topic_name.split("/")
    if len(levels) == 4 and levels[0] == DISCOVERY_PREFIX and levels[3] == "config":
        return _parse_discovery(topic_name, levels[1], levels[2], text)
    if len(levels) != 3 or levels[0] != TOPIC_ROOT:
        _LOGGER.debug("Ignoring %s: not a Nuki lock topic", topic_name)
        return None
    nuki_id = _parse_hex_id(levels[1])
    if nuki_id is None:
        _LOGGER.debug("Ignoring %s: %r is not a hexadecimal Nuki id", topic_name, levels[1])
        return None
    try:
        name = Topic(levels[2])
    except ValueError:
        _LOGGER.debug("Ignoring %s: unknown topic", topic_name)
        return None
    if not text:
        # An empty retained message is how a topic gets cleared; nothing to learn.
        _LOGGER.debug("Ignoring %s: empty payload", topic_name)
        return None
    result = _parse_lock_topic(nuki_id, name, text)
    if result is None:
        _LOGGER.debug("Ignoring %s: unreadable payload %r", topic_name, text[:64])
    return result


def parse_lock_id(text: str) -> int | None:
    """A lock id as topics and the Nuki app write it (``3C8862ED``); ``None`` if it is not one."""
    return _parse_hex_id(text.strip())


def _parse_hex_id(text: str) -> int | None:
    # int(x, 16) would accept "0x1F", "1_F" and whitespace, none of which a lock publishes.
    if not text or len(text) > 8 or any(c not in "0123456789abcdefABCDEF" for c in text):
        return None
    return id_from_hex(text)


def _parse_int(text: str) -> int | None:
    """Decimal, or ``0x``-prefixed hexadecimal (how some write error codes)."""
    value = text.strip()
    try:
        if value[:2].lower() == "0x":
            return int(value[2:], 16) if value[2:].isalnum() else None
        digits = value.removeprefix("-")
        return int(value, 10) if digits.isascii() and digits.isdigit() else None
    except ValueError:
        return None


def _parse_bool(text: str) -> bool | None:
    lowered = text.strip().lower()
    if lowered == PAYLOAD_TRUE:
        return True
    if lowered == PAYLOAD_FALSE:
        return False
    return None


def _parse_lock_topic(nuki_id: int, name: Topic, text: str) -> Message | None:
    if name in STATE_TOPICS:
        if name is not Topic.TIMESTAMP and not _plausible_scalar(name, text):
            return None
        state = DeviceState.from_dict({str(name): text}, DeviceType.SMARTLOCK_3)
        if state == DeviceState(device_type=DeviceType.SMARTLOCK_3):
            return None
        return LockUpdate(nuki_id=nuki_id, topic=name, state=state)
    match name:
        case Topic.DEVICE_TYPE:
            number = _parse_int(text)
            if number is None or number < 0:
                return None
            return LockUpdate(nuki_id=nuki_id, topic=name, device_type=DeviceType(number))
        case Topic.NAME:
            return LockUpdate(nuki_id=nuki_id, topic=name, name=text)
        case Topic.FIRMWARE:
            return LockUpdate(nuki_id=nuki_id, topic=name, firmware=text.strip())
        case Topic.CONNECTED | Topic.SERVER_CONNECTED:
            flag = _parse_bool(text)
            if flag is None:
                return None
            if name is Topic.CONNECTED:
                return LockUpdate(nuki_id=nuki_id, topic=name, connected=flag)
            return LockUpdate(nuki_id=nuki_id, topic=name, server_connected=flag)
        case Topic.COMMAND_RESPONSE:
            code = _parse_int(text)
            if code is None or not 0 <= code <= 0xFF:
                return None
            return CommandResult(nuki_id, CommandResponse(code))
        case Topic.LOCK_ACTION_EVENT:
            return parse_lock_action_event(nuki_id, text)
        case Topic.LOCK_ACTION:
            number = _parse_int(text)
            if number is None or number not in _LOCK_ACTIONS:
                return None
            return CommandRequest(nuki_id, name, LockAction(number))
        case Topic.LOCK | Topic.UNLOCK:
            if _parse_bool(text) is not True:
                return None
            return CommandRequest(nuki_id, name, None)
    return None


def _plausible_scalar(name: Topic, text: str) -> bool:
    """Integers must be whole decimal numbers in range, booleans true/false only."""
    if name in (
        Topic.BATTERY_CRITICAL,
        Topic.BATTERY_CHARGING,
        Topic.KEYPAD_BATTERY_CRITICAL,
        Topic.DOOR_SENSOR_BATTERY_CRITICAL,
    ):
        return _parse_bool(text) is not None
    value = text.strip()
    if not value.isascii() or not value.isdigit():
        return False
    # Before int(), which raises past 4300 digits (leading zeros count too).
    if len(value) > 8:
        return False
    number = int(value)
    if name is Topic.BATTERY_CHARGE_STATE:
        return number <= 100
    return number <= 0xFF


def _parse_discovery(topic_name: str, component: str, node: str, text: str) -> Message | None:
    prefix, _, rest = node.partition("_")
    hex_part, _, suffix = rest.partition("_")
    nuki_id = _parse_hex_id(hex_part)
    if prefix != "nuki" or nuki_id is None or not suffix:
        _LOGGER.debug("Ignoring %s: not a Nuki lock's discovery topic", topic_name)
        return None
    if not text:
        return DiscoveryMessage(nuki_id, component, suffix, None)
    try:
        config = json.loads(text)
    except ValueError:
        _LOGGER.debug("Ignoring %s: discovery config is not JSON", topic_name)
        return None
    if not isinstance(config, dict):
        _LOGGER.debug("Ignoring %s: discovery config is not an object", topic_name)
        return None
    return DiscoveryMessage(nuki_id, component, suffix, config)


# --- Lock state, as the messages build it up ------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttLock:
    """Everything a lock has published about itself so far."""

    nuki_id: int
    state: DeviceState = field(
        default_factory=lambda: DeviceState(device_type=DeviceType.SMARTLOCK_3)
    )
    name: str | None = None
    firmware: str | None = None
    connected: bool | None = None
    """The lock's own ``connected`` topic; ``None`` while unknown (e.g. broker lost)."""
    server_connected: bool | None = None
    device_type_reported: bool = False

    @property
    def hex_id(self) -> str:
        return hex_id(self.nuki_id)

    @property
    def device_type(self) -> DeviceType:
        return self.state.device_type

    @property
    def available(self) -> bool:
        return self.connected is True

    def apply(self, update: LockUpdate) -> MqttLock:
        """This lock with ``update`` applied; ``self`` when nothing changed."""
        if update.nuki_id != self.nuki_id:
            raise ValueError("update belongs to another lock")
        changes: dict[str, Any] = {}
        if update.state is not None:
            merged = self.state.merged_with(update.state)
            if merged != self.state:
                changes["state"] = merged
        if update.device_type is not None and (
            update.device_type != self.device_type or not self.device_type_reported
        ):
            changes["state"] = replace(
                changes.get("state", self.state), device_type=update.device_type
            )
            changes["device_type_reported"] = True
        for attr in ("name", "firmware", "connected", "server_connected"):
            value = getattr(update, attr)
            if value is not None and value != getattr(self, attr):
                changes[attr] = value
        return replace(self, **changes) if changes else self


def apply_message(locks: dict[int, MqttLock], message: Message) -> MqttLock | None:
    """Fold a parsed message into ``locks``; the lock's new value when it changed."""
    if not isinstance(message, LockUpdate):
        return None
    before = locks.get(message.nuki_id)
    current = before or MqttLock(nuki_id=message.nuki_id)
    after = current.apply(message)
    if after is before:
        return None
    locks[message.nuki_id] = after
    return after


def encode_state(lock: MqttLock) -> dict[Topic, str]:
    """The retained payloads a lock publishes for ``lock`` (for the stand-in)."""
    state = lock.state
    out: dict[Topic, str] = {Topic.DEVICE_TYPE: str(int(state.device_type))}
    if lock.name is not None:
        out[Topic.NAME] = lock.name
    if lock.firmware is not None:
        out[Topic.FIRMWARE] = lock.firmware
    numbers: dict[Topic, int | None] = {
        Topic.MODE: state.mode,
        Topic.STATE: state.state,
        Topic.BATTERY_CHARGE_STATE: state.battery_charge_state,
        Topic.DOOR_SENSOR_STATE: state.door_sensor_state,
    }
    flags: dict[Topic, bool | None] = {
        Topic.BATTERY_CRITICAL: state.battery_critical,
        Topic.BATTERY_CHARGING: state.battery_charging,
        Topic.KEYPAD_BATTERY_CRITICAL: state.keypad_battery_critical,
        Topic.DOOR_SENSOR_BATTERY_CRITICAL: state.door_sensor_battery_critical,
        Topic.SERVER_CONNECTED: lock.server_connected,
        Topic.CONNECTED: lock.connected,
    }
    for name, number in numbers.items():
        if number is not None:
            out[name] = str(int(number))
    for name, flag in flags.items():
        if flag is not None:
            out[name] = encode_bool(flag)
    if state.timestamp is not None:
        out[Topic.TIMESTAMP] = format_timestamp(state.timestamp)
    return dict(sorted(out.items(), key=lambda item: RETAINED_TOPICS.index(item[0])))


def encode_bool(value: bool) -> str:
    return PAYLOAD_TRUE if value else PAYLOAD_FALSE
