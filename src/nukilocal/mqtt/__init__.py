"""Nuki's MQTT API (Smart Lock 3.0 Pro and 4th generation over Wi-Fi, newer locks over Thread).

:mod:`.protocol` (topics and payloads) and :mod:`.session` (one lock's
conversation: state, the outstanding command, events) are sans-I/O and need
only the base install. :class:`MqttLockClient` and :func:`parse_broker_url`
live in :mod:`.client`, which needs aiomqtt (``pip install 'nukilocal[mqtt]'``)
and is imported on first use of those names, so that
``import nukilocal.mqtt.protocol`` works without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .protocol import (
    ACTION_NAMES,
    DEFAULT_COMMAND_TIMEOUT,
    CommandRequest,
    CommandResponseInfo,
    CommandResult,
    ContextKind,
    DiscoveryMessage,
    DiscoverySuffix,
    LockActionEvent,
    LockUpdate,
    Message,
    MqttLock,
    Topic,
    check_command_response,
    command_timeout_error,
    describe_command_response,
    discovery_topic,
    encode_lock_action,
    encode_simple,
    normalize_payload,
    parse_lock_action_event,
    parse_lock_id,
    parse_message,
    topic,
)
from .session import MqttLockSession, PendingFailure, SessionUpdate

if TYPE_CHECKING:
    from .client import MqttLockClient, parse_broker_url

_FROM_CLIENT = frozenset({"MqttLockClient", "parse_broker_url"})


def __getattr__(name: str) -> Any:
    """``MqttLockClient`` and ``parse_broker_url``, imported from :mod:`.client` when asked for."""
    if name in _FROM_CLIENT:
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ACTION_NAMES",
    "DEFAULT_COMMAND_TIMEOUT",
    "CommandRequest",
    "CommandResponseInfo",
    "CommandResult",
    "ContextKind",
    "DiscoveryMessage",
    "DiscoverySuffix",
    "LockActionEvent",
    "LockUpdate",
    "Message",
    "MqttLock",
    "MqttLockClient",
    "MqttLockSession",
    "PendingFailure",
    "SessionUpdate",
    "Topic",
    "check_command_response",
    "command_timeout_error",
    "describe_command_response",
    "discovery_topic",
    "encode_lock_action",
    "encode_simple",
    "normalize_payload",
    "parse_broker_url",
    "parse_lock_action_event",
    "parse_lock_id",
    "parse_message",
    "topic",
]
