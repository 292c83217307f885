"""Reading an accepted action's result from the states the device reports."""

from __future__ import annotations

import pytest

from nukilocal.const import DeviceType, LockAction, LockState, Mode, OpenerAction, OpenerState
from nukilocal.models import DeviceState
from nukilocal.outcome import ActionProgress, failed, reached


def lock(state: LockState) -> DeviceState:
    return DeviceState(device_type=DeviceType.SMARTLOCK_3, state=state, mode=Mode.DOOR)


def opener(state: OpenerState, mode: Mode = Mode.DOOR) -> DeviceState:
    return DeviceState(device_type=DeviceType.OPENER, state=state, mode=mode)


@pytest.mark.parametrize(
    ("action", "states", "expected"),
    [
        (LockAction.UNLOCK, [LockState.UNLOCKING, LockState.UNLOCKED], True),
        (LockAction.LOCK, [LockState.LOCKING, LockState.LOCKED], True),
        (LockAction.UNLATCH, [LockState.UNLATCHING, LockState.UNLATCHED], True),
        (LockAction.LOCK_N_GO, [LockState.UNLOCKING, LockState.UNLOCKED_LOCK_N_GO], True),
        (LockAction.LOCK, [LockState.LOCKING, LockState.MOTOR_BLOCKED], False),
        # Still on its way: no result yet.
        (LockAction.UNLOCK, [LockState.UNLOCKING], None),
    ],
)
def test_lock_actions(action: LockAction, states: list[LockState], expected: bool | None) -> None:
    progress = ActionProgress(
        action, lock(LockState.LOCKED if action != LockAction.LOCK else LockState.UNLOCKED)
    )
    results = [progress.report(lock(state)) for state in states]
    assert results[-1] is expected
    assert all(result is None for result in results[:-1])


def test_the_old_state_reported_again_is_not_the_result() -> None:
    """Unlatching an unlocked lock: a report of "unlocked" before the motor moved is no result."""
    progress = ActionProgress(LockAction.UNLATCH, lock(LockState.UNLOCKED))
    assert progress.already_there
    assert progress.report(lock(LockState.UNLOCKED)) is None
    assert progress.report(lock(LockState.UNLATCHING)) is None
    assert progress.report(lock(LockState.UNLATCHED)) is True


@pytest.mark.parametrize(
    ("action", "before", "after", "expected"),
    [
        (
            OpenerAction.ACTIVATE_RTO,
            opener(OpenerState.ONLINE),
            opener(OpenerState.RTO_ACTIVE),
            True,
        ),
        (
            OpenerAction.DEACTIVATE_RTO,
            opener(OpenerState.RTO_ACTIVE),
            opener(OpenerState.ONLINE),
            True,
        ),
        (
            OpenerAction.ACTIVATE_CONTINUOUS_MODE,
            opener(OpenerState.ONLINE),
            opener(OpenerState.ONLINE, Mode.CONTINUOUS),
            True,
        ),
        (
            OpenerAction.DEACTIVATE_CONTINUOUS_MODE,
            opener(OpenerState.ONLINE, Mode.CONTINUOUS),
            opener(OpenerState.ONLINE),
            True,
        ),
        (
            OpenerAction.ELECTRIC_STRIKE_ACTUATION,
            opener(OpenerState.ONLINE),
            opener(OpenerState.OPEN),
            True,
        ),
        (OpenerAction.ACTIVATE_RTO, opener(OpenerState.ONLINE), opener(OpenerState.OPEN), None),
    ],
)
def test_opener_actions(
    action: OpenerAction, before: DeviceState, after: DeviceState, expected: bool | None
) -> None:
    assert ActionProgress(action, before).report(after) is expected


def test_ring_to_open_counts_as_on_in_continuous_mode() -> None:
    assert reached(OpenerAction.ACTIVATE_RTO, opener(OpenerState.ONLINE, Mode.CONTINUOUS))
    assert not reached(OpenerAction.ACTIVATE_RTO, opener(OpenerState.ONLINE))


def test_only_a_jammed_lock_fails() -> None:
    assert failed(lock(LockState.MOTOR_BLOCKED))
    assert not failed(lock(LockState.UNDEFINED))
    # The same number means something else for an opener.
    assert not failed(opener(OpenerState.UNDEFINED))
