"""Nuki's MQTT API without I/O: reading every message a broker may carry.

Everything here is a pure function of its arguments. The client, the Wi-Fi lock
stand-in and the Home Assistant integration share this module, so a topic name,
a payload format or a code's meaning is written down exactly once. Topic names
live in :mod:`.topics`, commands and their answers in :mod:`.commands`, the
``lockActionEvent`` model in :mod:`.events`, the lock state the messages build
up in :mod:`.state`; every name of those is re-exported here, so
``from nukilocal.mqtt.protocol import ...`` reaches all of them.

:func:`parse_message` never raises: a broker carries whatever anyone publishes,
and one bad retained message must not take down a client. Anything it cannot
read is dropped with a debug log line.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from ..const import CommandResponse, DeviceType, LockAction
from ..models import DeviceState, id_from_hex
from .commands import COMMAND_RESPONSE_MESSAGES as COMMAND_RESPONSE_MESSAGES
from .commands import DEFAULT_COMMAND_TIMEOUT as DEFAULT_COMMAND_TIMEOUT
from .commands import Command as Command
from .commands import CommandResponseInfo as CommandResponseInfo
from .commands import check_command_response as check_command_response
from .commands import command_timeout_error as command_timeout_error
from .commands import describe_command_response as describe_command_response
from .commands import encode_command_response as encode_command_response
from .commands import encode_lock_action as encode_lock_action
from .commands import encode_simple as encode_simple
from .events import ACTION_NAMES as ACTION_NAMES
from .events import LOCK_ACTION_IDS as LOCK_ACTION_IDS
from .events import TRIGGER_DESCRIPTIONS as TRIGGER_DESCRIPTIONS
from .events import UNKNOWN_ACTION_NAME as UNKNOWN_ACTION_NAME
from .events import ContextKind as ContextKind
from .events import LockActionEvent as LockActionEvent
from .events import parse_lock_action_event as parse_lock_action_event
from .state import LockUpdate as LockUpdate
from .state import MqttLock as MqttLock
from .state import apply_message as apply_message
from .state import encode_bool as encode_bool
from .state import encode_state as encode_state
from .topics import COMMAND_EXPIRY_SECONDS as COMMAND_EXPIRY_SECONDS
from .topics import COMMAND_PUBLISH_QOS as COMMAND_PUBLISH_QOS
from .topics import COMMAND_QOS as COMMAND_QOS
from .topics import COMMAND_TOPICS as COMMAND_TOPICS
from .topics import CREDENTIAL_MAX_LENGTH as CREDENTIAL_MAX_LENGTH
from .topics import DEBUG_MODE_USERNAME as DEBUG_MODE_USERNAME
from .topics import DEFAULT_PORT as DEFAULT_PORT
from .topics import DISCOVERY_COMPONENTS as DISCOVERY_COMPONENTS
from .topics import DISCOVERY_PREFIX as DISCOVERY_PREFIX
from .topics import DISCOVERY_SUBSCRIBE as DISCOVERY_SUBSCRIBE
from .topics import PAYLOAD_FALSE as PAYLOAD_FALSE
from .topics import PAYLOAD_TRUE as PAYLOAD_TRUE
from .topics import RETAINED_TOPICS as RETAINED_TOPICS
from .topics import STATE_TOPICS as STATE_TOPICS
from .topics import SUBSCRIBE_ALL as SUBSCRIBE_ALL
from .topics import TOPIC_ROOT as TOPIC_ROOT
from .topics import DiscoverySuffix as DiscoverySuffix
from .topics import Topic as Topic
from .topics import client_id_for as client_id_for
from .topics import discovery_topic as discovery_topic
from .topics import lock_filter as lock_filter
from .topics import mosquitto_password as mosquitto_password
from .topics import topic as topic

_LOGGER = logging.getLogger(__name__)


# --- Parsed messages ------------------------------------------------------------


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
    def key(self) -> str:
        """``<component>/<suffix>``: how one lock's configs are told apart (e.g. ``lock/lock``)."""
        return f"{self.component}/{self.suffix}"

    @property
    def known_suffix(self) -> DiscoverySuffix | None:
        try:
            return DiscoverySuffix(self.suffix)
        except ValueError:
            return None


type Message = LockUpdate | CommandResult | CommandRequest | LockActionEvent | DiscoveryMessage


def normalize_payload(payload: object) -> bytes | str:
    """A received payload as :func:`parse_message` takes it, whatever the client library gave.

    aiomqtt hands over ``bytes``, ``bytearray``, ``str``, numbers or ``None``
    (an empty message); Home Assistant ``bytes`` or ``str``.
    """
    if payload is None:
        return b""
    if isinstance(payload, bytes | str):
        return payload
    if isinstance(payload, bytearray | memoryview):
        return bytes(payload)
    return str(payload)


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
            if number is None or number not in LOCK_ACTION_IDS:
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
