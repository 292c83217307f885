"""A lock's state as its retained topics build it up, and the other way round (no I/O).

:mod:`.protocol` re-exports every name here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..const import DeviceType
from ..models import DeviceState, format_timestamp, hex_id
from .topics import PAYLOAD_FALSE, PAYLOAD_TRUE, RETAINED_TOPICS, Topic


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


def apply_message(locks: dict[int, MqttLock], message: object) -> MqttLock | None:
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
