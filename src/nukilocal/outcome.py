"""What a device's state says about an action sent to it: done, failed, or still on its way.

A bridge answers an action sent with ``nowait=1`` as soon as it accepted it;
the result comes later, as the device's new state (by callback or ``/list``).
:class:`ActionProgress` reads those states for one action.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .const import LockAction, LockState, Mode, OpenerAction, OpenerState
from .models import DeviceState

# The states each action ends in when it worked.
_LOCK_GOALS: dict[LockAction, frozenset[LockState]] = {
    LockAction.LOCK: frozenset({LockState.LOCKED}),
    LockAction.FULL_LOCK: frozenset({LockState.LOCKED}),
    LockAction.UNLOCK: frozenset({LockState.UNLOCKED}),
    LockAction.UNLATCH: frozenset({LockState.UNLATCHED, LockState.UNLOCKED}),
    # Lock 'n' go reports its result after the unlock; the relock follows on its own.
    LockAction.LOCK_N_GO: frozenset({LockState.UNLOCKED_LOCK_N_GO}),
    LockAction.LOCK_N_GO_UNLATCH: frozenset({LockState.UNLATCHED, LockState.UNLOCKED_LOCK_N_GO}),
}
_OPENER_GOALS: dict[OpenerAction, frozenset[OpenerState]] = {
    OpenerAction.ACTIVATE_RTO: frozenset({OpenerState.RTO_ACTIVE}),
    OpenerAction.DEACTIVATE_RTO: frozenset({OpenerState.ONLINE}),
    OpenerAction.ELECTRIC_STRIKE_ACTUATION: frozenset({OpenerState.OPEN}),
}
_OPENER_MODES: dict[OpenerAction, Mode] = {
    OpenerAction.ACTIVATE_CONTINUOUS_MODE: Mode.CONTINUOUS,
    OpenerAction.DEACTIVATE_CONTINUOUS_MODE: Mode.DOOR,
}
# The lock's motor could not finish: the action failed.
_LOCK_FAILED = frozenset({LockState.MOTOR_BLOCKED})


def reached(action: LockAction | OpenerAction, state: DeviceState) -> bool:
    """Whether ``state`` is where ``action`` leads when it worked."""
    if state.is_opener:
        opener_action = OpenerAction(action)
        if opener_action in _OPENER_MODES:
            return state.mode == _OPENER_MODES[opener_action]
        if opener_action is OpenerAction.ACTIVATE_RTO and state.continuous_mode:
            # In continuous mode every ring opens: ring to open is as good as on.
            return True
        return state.state in _OPENER_GOALS.get(opener_action, frozenset())
    return state.state in _LOCK_GOALS.get(LockAction(action), frozenset())


def failed(state: DeviceState) -> bool:
    """Whether ``state`` says the device could not carry out an action (a jammed bolt)."""
    return not state.is_opener and state.state in _LOCK_FAILED


@dataclass(slots=True)
class ActionProgress:
    """Reads the states a device reports after an action was accepted.

    The action is done when the device reports the state it leads to *after*
    it showed a move: a transitional state, or a state or mode other than the
    one before the action. So a report of the old state (a door sensor change
    before the motor started, a ``/list`` on its way before) is not mistaken
    for the result.
    """

    action: LockAction | OpenerAction
    before: DeviceState
    moved: bool = field(default=False)

    def report(self, state: DeviceState) -> bool | None:
        """True: done; False: failed; None: not yet."""
        if failed(state):
            return False
        if (
            state.is_locking
            or state.is_unlocking
            or state.is_opening
            or (state.state, state.mode) != (self.before.state, self.before.mode)
        ):
            self.moved = True
        if self.moved and reached(self.action, state):
            return True
        return None

    @property
    def already_there(self) -> bool:
        """The device was where the action leads before it was sent (it may not report a move)."""
        return reached(self.action, self.before)
