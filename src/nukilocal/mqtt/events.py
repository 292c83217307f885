"""``lockActionEvent``: who did what to a lock, and the names of its fields (no I/O).

:mod:`.protocol` re-exports every name here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from ..const import EventAction, KeypadSource, LockAction, Trigger

TRIGGER_DESCRIPTIONS: Final[dict[Trigger, str]] = {
    Trigger.SYSTEM: "system or Bluetooth",
    Trigger.RESERVED: "(reserved)",
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
        return LockAction(self.action) if self.action in LOCK_ACTION_IDS else None

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
        if self.action in LOCK_ACTION_IDS:
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

    def attributes(self) -> dict[str, object]:
        """Who did what, with names a person can read (event data of automations)."""
        source = self.keypad_source
        return {
            "action": self.action_name,
            "trigger": self.trigger_name,
            "auth_id": self.auth_id,
            "code_id": self.code_id,
            "context": self.context,
            "presses": self.presses,
            "keypad_source": source.name.lower() if source is not None else None,
            "auto_unlock": self.auto_unlock,
            "description": self.description,
        }

    def encode(self) -> str:
        return f"{self.action},{int(self.trigger)},{self.auth_id},{self.code_id},{self.context}"


LOCK_ACTION_IDS: Final = frozenset(int(a) for a in LockAction)
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
