"""Sans-I/O helpers shared by every transport that waits for a ``commandResponse``."""

from __future__ import annotations

import pytest

from nukilocal.const import CommandResponse, EventAction, LockAction, Trigger
from nukilocal.exceptions import NukiCommandRefusedError, NukiOutcomeUnknownError
from nukilocal.mqtt.protocol import (
    ACTION_NAMES,
    LockActionEvent,
    check_command_response,
    command_timeout_error,
    encode_lock_action,
    parse_lock_action_event,
    parse_lock_id,
)
from tests.support.ids import LOCK_ID


def test_success_returns_the_description() -> None:
    command = encode_lock_action(LOCK_ID, LockAction.LOCK)
    info = check_command_response(LOCK_ID, command, 0)
    assert info.success
    assert info.name == "success"


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (CommandResponse.BUSY, "busy"),
        (CommandResponse.MOTOR_BLOCKED, "motor_blocked"),
        (CommandResponse.NOT_CALIBRATED, "not_calibrated"),
        (CommandResponse.REMOTE_NOT_ALLOWED, "remote_not_allowed"),
        (0x99, "unknown_153"),
    ],
)
def test_refusal_raises_with_the_code(code: int, name: str) -> None:
    command = encode_lock_action(LOCK_ID, LockAction.UNLATCH)
    with pytest.raises(NukiCommandRefusedError) as caught:
        check_command_response(LOCK_ID, command, code)
    assert caught.value.code == code
    assert caught.value.code is not None
    assert caught.value.code.name.lower() == name
    assert "3C8862ED" in caught.value.message
    assert f"0x{code:02X}" in caught.value.message


def test_timeout_error_says_not_resent() -> None:
    command = encode_lock_action(LOCK_ID, LockAction.UNLOCK)
    err = command_timeout_error(LOCK_ID, command, 2.5)
    assert isinstance(err, NukiOutcomeUnknownError)
    assert "not re-sent" in str(err)
    assert "2.5 s" in str(err)
    assert "nuki/3C8862ED/lockAction 1" in str(err)


@pytest.mark.parametrize(
    ("payload", "action", "trigger"),
    [
        ("3,0,54321,12345,1", "unlatch", "system"),
        ("4,2,0,0,0", "lock_n_go", "button"),
        ("90,2,0,0,2", "button_without_action", "button"),
        ("80,0,7,0,1", "fob_without_action", "system"),
        ("6,172,0,0,0", "full_lock", "mqtt"),
        # "(reserved)" in the MQTT specification's table, not "manual".
        ("1,1,0,0,0", "unlock", "reserved"),
        ("42,200,0,0,0", "unknown", "unknown_200"),
    ],
)
def test_event_names(payload: str, action: str, trigger: str) -> None:
    event = parse_lock_action_event(LOCK_ID, payload)
    assert isinstance(event, LockActionEvent)
    assert event.action_name == action
    assert event.trigger_name == trigger
    assert event.action_name in ACTION_NAMES


def test_trigger_1_is_reserved() -> None:
    event = parse_lock_action_event(LOCK_ID, "2,1,0,0,0")
    assert event is not None
    assert event.trigger is Trigger.RESERVED
    assert event.trigger_description == "(reserved)"
    assert event.description == "lock by (reserved)"


def test_action_names_cover_every_action() -> None:
    for action in (*LockAction, *EventAction):
        assert action.name.lower() in ACTION_NAMES
    assert Trigger.AUTO_LOCK.name.lower() == "auto_lock"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3C8862ED", 0x3C8862ED),
        (" 3c8862ed ", 0x3C8862ED),
        ("0x1F", None),
        ("", None),
        ("123456789", None),
        ("XYZ", None),
    ],
)
def test_parse_lock_id(text: str, expected: int | None) -> None:
    assert parse_lock_id(text) == expected
