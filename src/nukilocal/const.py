"""Every coded value of Nuki's local APIs, defined once.

The bridge stand-in, the MQTT stand-in, the clients and the Home Assistant
integration all import these tables; none of them repeats a number.

Devices in the field send values no document lists. Every enum here keeps such
a value as a pseudo-member named ``UNKNOWN_<value>`` instead of raising, so a
new firmware never makes a device disappear.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Self

DEFAULT_PORT = 8080
TOKEN_MIN_LENGTH = 6
TOKEN_MAX_LENGTH = 20
CALLBACK_URL_MAX_LENGTH = 254
MAX_CALLBACKS = 3
# Hashed and encrypted tokens are accepted for this long, and only once.
TOKEN_VALIDITY_SECONDS = 60
# An opener keeps ringactionState true for this long after a ring.
RING_ACTION_SECONDS = 30
# The bridge's /auth call waits this long for the button to be pressed.
AUTH_BUTTON_SECONDS = 30


class _TolerantIntEnum(IntEnum):
    """An IntEnum that keeps values it does not know instead of raising."""

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        member = int.__new__(cls, value)
        member._name_ = f"UNKNOWN_{value}"
        member._value_ = value
        return member

    @property
    def is_known(self) -> bool:
        return self._name_ in type(self).__members__


class DeviceType(_TolerantIntEnum):
    SMARTLOCK = 0
    OPENER = 2
    SMARTDOOR = 3
    SMARTLOCK_3 = 4
    # Reported by some Ultra / 4th generation Pro set-ups.
    SMARTLOCK_ULTRA = 5

    @property
    def is_opener(self) -> bool:
        return self is DeviceType.OPENER

    @property
    def is_lock(self) -> bool:
        """Everything that is not an opener behaves like a smart lock."""
        return self is not DeviceType.OPENER

    @property
    def model(self) -> str:
        return _MODELS.get(self, "Smart Lock")


_MODELS = {
    DeviceType.SMARTLOCK: "Smart Lock 1.0/2.0",
    DeviceType.OPENER: "Opener",
    DeviceType.SMARTDOOR: "Smart Door",
    DeviceType.SMARTLOCK_3: "Smart Lock 3.0/4th generation",
    DeviceType.SMARTLOCK_ULTRA: "Smart Lock Ultra",
}


class LockState(_TolerantIntEnum):
    """State ids of smart locks and smart doors."""

    UNCALIBRATED = 0
    LOCKED = 1
    UNLOCKING = 2
    UNLOCKED = 3
    LOCKING = 4
    UNLATCHED = 5
    UNLOCKED_LOCK_N_GO = 6
    UNLATCHING = 7
    CALIBRATION = 252
    BOOT_RUN = 253
    MOTOR_BLOCKED = 254
    UNDEFINED = 255


class OpenerState(_TolerantIntEnum):
    """State ids of openers (the same numbers mean other things than for locks)."""

    UNTRAINED = 0
    ONLINE = 1
    RTO_ACTIVE = 3
    OPEN = 5
    OPENING = 7
    BOOT_RUN = 253
    UNDEFINED = 255


class Mode(_TolerantIntEnum):
    DOOR = 2
    CONTINUOUS = 3


class LockAction(_TolerantIntEnum):
    UNLOCK = 1
    LOCK = 2
    UNLATCH = 3
    LOCK_N_GO = 4
    LOCK_N_GO_UNLATCH = 5
    # MQTT API only.
    FULL_LOCK = 6


class OpenerAction(_TolerantIntEnum):
    ACTIVATE_RTO = 1
    DEACTIVATE_RTO = 2
    ELECTRIC_STRIKE_ACTUATION = 3
    ACTIVATE_CONTINUOUS_MODE = 4
    DEACTIVATE_CONTINUOUS_MODE = 5


class DoorSensorState(_TolerantIntEnum):
    # The lock has no door sensor (reported by several peers; not in the bridge's table).
    UNAVAILABLE = 0
    DEACTIVATED = 1
    DOOR_CLOSED = 2
    DOOR_OPENED = 3
    DOOR_STATE_UNKNOWN = 4
    CALIBRATING = 5
    UNCALIBRATED = 16
    TAMPERED = 240
    UNKNOWN = 255


class BridgeType(_TolerantIntEnum):
    HARDWARE = 1
    SOFTWARE = 2


class TokenMode(StrEnum):
    """How the API token travels to the bridge."""

    ENCRYPTED = "encrypted"
    HASHED = "hashed"
    PLAIN = "plain"

    @property
    def depends_on_clock(self) -> bool:
        return self is not TokenMode.PLAIN


class Trigger(_TolerantIntEnum):
    """Who or what started a lock action (MQTT ``lockActionEvent``)."""

    SYSTEM = 0
    # "(reserved)" in the MQTT specification's table (the Bluetooth API calls it manual).
    RESERVED = 1
    BUTTON = 2
    AUTOMATIC = 3
    AUTO_LOCK = 6
    HOMEKIT = 171
    MQTT = 172


class CommandResponse(_TolerantIntEnum):
    """MQTT ``commandResponse`` codes (Bluetooth API error codes)."""

    SUCCESS = 0x00
    NOT_AUTHORIZED = 0x20
    REMOTE_NOT_ALLOWED = 0x26
    TIME_NOT_ALLOWED = 0x27
    AUTO_UNLOCK_TOO_RECENT = 0x40
    POSITION_UNKNOWN = 0x41
    MOTOR_BLOCKED = 0x42
    CLUTCH_FAILURE = 0x43
    MOTOR_TIMEOUT = 0x44
    BUSY = 0x45
    CANCELED = 0x46
    NOT_CALIBRATED = 0x47
    MOTOR_POSITION_LIMIT = 0x48
    MOTOR_LOW_VOLTAGE = 0x49
    VOLTAGE_TOO_LOW = 0x4C
    FIRMWARE_UPDATE_NEEDED = 0x4D
    BAD_CRC = 0xFD
    BAD_LENGTH = 0xFE
    UNKNOWN_ERROR = 0xFF


class KeypadSource(_TolerantIntEnum):
    """How a keypad action was authorised (MQTT ``lockActionEvent`` context)."""

    BACK_KEY = 0
    CODE = 1
    FINGERPRINT = 2


class EventAction(_TolerantIntEnum):
    """Action ids that only ``lockActionEvent`` reports: a press that moved nothing."""

    FOB_WITHOUT_ACTION = 80
    BUTTON_WITHOUT_ACTION = 90
