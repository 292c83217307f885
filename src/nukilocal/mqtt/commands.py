"""Commands to a lock and the meaning of its ``commandResponse`` codes (no I/O).

:mod:`.protocol` re-exports every name here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ..const import CommandResponse, LockAction
from ..exceptions import NukiCommandRefusedError, NukiOutcomeUnknownError
from ..models import hex_id
from .topics import PAYLOAD_TRUE, Topic, topic

# A lock answers a command after its motor stopped: unlatching from locked takes
# about 3 s, a full lock 4 s. Beyond this the outcome is unknown.
DEFAULT_COMMAND_TIMEOUT: Final = 30.0


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
