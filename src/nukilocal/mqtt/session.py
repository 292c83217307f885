"""One lock's MQTT conversation without I/O: :class:`MqttLockSession`.

Both MQTT transports, the library's :class:`~.client.MqttLockClient` and the
Home Assistant integration's, are shells around a session: they subscribe,
publish, and hold a future for the outstanding answer and its timeout. What a
message means for the lock is decided here, once:

- Every message folds into the lock's :class:`~.protocol.MqttLock`.
- One command at a time: the lock runs one, and its ``commandResponse`` names
  no command. The command is outstanding from before it is published (the
  answer can overtake the publish's acknowledgement) until answered, failed or
  timed out; a second one is refused until then.
- A retained ``commandResponse`` belongs to some old command, never to ours; a
  retained ``lockActionEvent`` happened at some unknown time: both are ignored.
- The outstanding command fails, outcome unknown, when the lock goes offline
  (its last will) or the connection to the broker drops. It is never re-sent:
  a lost answer does not mean a lost command, and unlatching twice opens the
  door twice.
- A dropped broker connection makes the lock's ``connected`` unknown (``None``)
  until the retained topic arrives again.
- The lock's own Home Assistant discovery configs are tracked under
  :attr:`~.protocol.DiscoveryMessage.key` (``<component>/<suffix>``).

No clock, no futures, no asyncio: every method returns at once and says what
happened in a :class:`SessionUpdate`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Final

from ..const import LockAction
from ..exceptions import NukiConnectionError, NukiOutcomeUnknownError
from ..models import hex_id
from .commands import (
    DEFAULT_COMMAND_TIMEOUT,
    Command,
    command_timeout_error,
    encode_lock_action,
    encode_simple,
)
from .events import LockActionEvent
from .protocol import (
    CommandResult,
    DiscoveryMessage,
    LockUpdate,
    Message,
    MqttLock,
    normalize_payload,
    parse_message,
)

_LOGGER = logging.getLogger(__name__)

REASON_OFFLINE: Final = "the lock went offline before it answered"
REASON_BROKER_LOST: Final = "the connection to the MQTT broker dropped before the lock answered"


@dataclass(frozen=True, slots=True)
class PendingFailure:
    """The outstanding command has to fail: its outcome is unknown, and why."""

    command: Command
    reason: str

    @property
    def error(self) -> NukiOutcomeUnknownError:
        return NukiOutcomeUnknownError(
            f"{self.reason}; {self.command.topic} {self.command.payload} not re-sent"
        )


@dataclass(frozen=True, slots=True)
class SessionUpdate:
    """What one message (or event of the connection) meant; empty when nothing."""

    old: MqttLock | None = None
    """The lock before, when it changed."""
    new: MqttLock | None = None
    """The lock after, when it changed."""
    event: LockActionEvent | None = None
    """A live ``lockActionEvent`` to pass on."""
    answer: CommandResult | None = None
    """The ``commandResponse`` to the outstanding command (which is no longer outstanding)."""
    discovery_changed: bool = False
    """The lock's own discovery configs were added, changed or cleared."""
    failed: PendingFailure | None = None
    """The outstanding command that has to fail now."""

    @property
    def lock_changed(self) -> bool:
        return self.new is not None


NOTHING: Final = SessionUpdate()


class MqttLockSession:
    """One lock's state, outstanding command, discovery configs and counters.

    ``require_connected`` False lets a command go out while the lock's
    ``connected`` topic is unknown (a stand-alone client that may talk to a
    lock whose retained topics the broker lost); a lock known to be offline is
    refused either way.
    """

    def __init__(self, nuki_id: int, *, require_connected: bool = True) -> None:
        self.nuki_id = nuki_id
        self.hex_id = hex_id(nuki_id)
        self.lock = MqttLock(nuki_id=nuki_id)
        self.reported = False
        """Whether the lock has published anything about itself yet."""
        self.require_connected = require_connected
        self.commands_sent = 0
        self.commands_refused = 0
        """Answered with a code other than success."""
        self.commands_unanswered = 0
        """Timed out without an answer."""
        self.events_received = 0
        self._outstanding: Command | None = None
        self._discovery: dict[str, DiscoveryMessage] = {}

    @property
    def outstanding(self) -> Command | None:
        return self._outstanding

    @property
    def discovery(self) -> Mapping[str, DiscoveryMessage]:
        """The lock's own discovery configs by :attr:`~.protocol.DiscoveryMessage.key`."""
        return MappingProxyType(self._discovery)

    def discovery_configs(self) -> dict[str, dict[str, Any]]:
        """The configs themselves, by key."""
        return {key: m.config for key, m in self._discovery.items() if m.config is not None}

    # -- messages ----------------------------------------------------------------

    def receive(self, topic: str, payload: object, *, retained: bool) -> SessionUpdate:
        """Parse one received message and fold it in (see :meth:`apply`)."""
        message = parse_message(topic, normalize_payload(payload))
        return NOTHING if message is None else self.apply(message, retained=retained)

    def apply(self, message: Message, *, retained: bool = False) -> SessionUpdate:
        """Fold one parsed message in; messages about other locks are ignored."""
        if message.nuki_id != self.nuki_id:
            return NOTHING
        if isinstance(message, LockUpdate):
            return self._apply_update(message)
        if isinstance(message, CommandResult):
            return self._apply_answer(message, retained=retained)
        if isinstance(message, LockActionEvent):
            return self._apply_event(message, retained=retained)
        if isinstance(message, DiscoveryMessage):
            return self._apply_discovery(message)
        # A CommandRequest: a command (ours, echoed by the broker) on its way to the lock.
        return NOTHING

    def _apply_update(self, update: LockUpdate) -> SessionUpdate:
        self.reported = True
        old = self.lock
        new = old.apply(update)
        if new is old:
            return NOTHING
        self.lock = new
        failed = self.fail_command(REASON_OFFLINE) if new.connected is False else None
        return SessionUpdate(old=old, new=new, failed=failed)

    def _apply_answer(self, result: CommandResult, *, retained: bool) -> SessionUpdate:
        if retained or self._outstanding is None:
            _LOGGER.debug(
                "%scommandResponse %s of %s answers no command of ours",
                "Retained " if retained else "",
                result.code,
                self.hex_id,
            )
            return NOTHING
        self._outstanding = None
        if not result.info.success:
            self.commands_refused += 1
        return SessionUpdate(answer=result)

    def _apply_event(self, event: LockActionEvent, *, retained: bool) -> SessionUpdate:
        if retained:
            _LOGGER.debug("Ignoring retained lockActionEvent of %s", self.hex_id)
            return NOTHING
        self.events_received += 1
        return SessionUpdate(event=event)

    def _apply_discovery(self, message: DiscoveryMessage) -> SessionUpdate:
        key = message.key
        if message.config is None:
            changed = self._discovery.pop(key, None) is not None
        else:
            changed = self._discovery.get(key) != message
            self._discovery[key] = message
        return SessionUpdate(discovery_changed=True) if changed else NOTHING

    def connection_lost(self) -> SessionUpdate:
        """The broker connection dropped: ``connected`` unknown, the outstanding command fails."""
        failed = self.fail_command(REASON_BROKER_LOST)
        old = self.lock
        if old.connected is None:
            return SessionUpdate(failed=failed)
        self.lock = new = replace(old, connected=None)
        return SessionUpdate(old=old, new=new, failed=failed)

    # -- commands ----------------------------------------------------------------

    def begin_command(self, action: LockAction | int) -> Command:
        """``lockAction`` ``action``, outstanding from now; publish what this returns.

        Raises :class:`NukiConnectionError` when the lock is not known to be
        connected, ``RuntimeError`` while another command is outstanding (the
        shell queues commands), ``ValueError`` for an action the lock does not know.
        """
        return self.begin(encode_lock_action(self.nuki_id, action))

    def begin_simple_command(self, *, lock: bool) -> Command:
        """The firmware's own ``lock`` or ``unlock`` action, like :meth:`begin_command`."""
        return self.begin(encode_simple(self.nuki_id, lock=lock))

    def begin(self, command: Command) -> Command:
        """Make an encoded command outstanding, if it may be sent (see :meth:`begin_command`)."""
        what = f"{command.topic} {command.payload}"
        if self._outstanding is not None:
            raise RuntimeError(
                f"{self._outstanding.topic} {self._outstanding.payload} is still outstanding;"
                f" {what} must wait its turn"
            )
        connected = self.lock.connected
        if connected is False:
            raise NukiConnectionError(f"lock {self.hex_id} is offline; {what} not sent")
        if connected is None and self.require_connected:
            raise NukiConnectionError(
                f"lock {self.hex_id} is not connected to the MQTT broker; {what} not sent"
            )
        self._outstanding = command
        return command

    def command_published(self) -> None:
        """The shell handed the command to the broker (counted for diagnostics)."""
        self.commands_sent += 1

    def command_timed_out(
        self, command: Command, timeout: float = DEFAULT_COMMAND_TIMEOUT
    ) -> NukiOutcomeUnknownError:
        """No answer within ``timeout``: the error to raise; the command is over."""
        self.end_command(command)
        self.commands_unanswered += 1
        return command_timeout_error(self.nuki_id, command, timeout)

    def end_command(self, command: Command) -> None:
        """``command`` is over however it ended (harmless when it already is)."""
        if self._outstanding is command:
            self._outstanding = None

    def fail_command(self, reason: str) -> PendingFailure | None:
        """End the outstanding command, outcome unknown; ``None`` when there is none."""
        command, self._outstanding = self._outstanding, None
        return None if command is None else PendingFailure(command, reason)
