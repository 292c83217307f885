"""Data parsed once at the edge: bridge facts, devices and device states.

One parser, :meth:`DeviceState.from_dict`, reads ``/list`` ``lastKnownState``
objects, ``/lockState`` answers and callback bodies alike. It accepts every
variant real devices send (``Z`` or ``+00:00`` timestamps, strings for numbers
and booleans, ``stateName`` disagreeing with ``state``) and never raises on a
missing or unknown optional field.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple, Self

from .const import (
    BridgeType,
    DeviceType,
    DoorSensorState,
    LockState,
    Mode,
    OpenerState,
)
from .exceptions import NukiInvalidResponseError

_LOGGER = logging.getLogger(__name__)
_warned_missing_type: set[int] = set()


def hex_id(nuki_id: int) -> str:
    """The upper-case hexadecimal form MQTT topics and BLE names use (no padding)."""
    return f"{nuki_id:X}"


def id_from_hex(value: str) -> int:
    return int(value, 16)


def parse_timestamp(value: object) -> datetime | None:
    """Read ``2024-04-06T06:00:51+00:00`` or ``...Z``; naive times are UTC."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def format_timestamp(value: datetime) -> str:
    """The bridge's own format: seconds, explicit ``+00:00`` offset."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def _bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0 if value in (0, 1) else None
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
    return None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def parse_device_type(value: object, nuki_id: int | None = None) -> DeviceType:
    """A missing or unreadable ``deviceType`` means a smart lock of unknown model."""
    number = _int(value)
    if number is None:
        key = nuki_id if nuki_id is not None else -1
        if key not in _warned_missing_type:
            _warned_missing_type.add(key)
            _LOGGER.info(
                "Device %s has no usable deviceType (%r); treating it as a smart lock",
                nuki_id,
                value,
            )
        return DeviceType.SMARTLOCK
    return DeviceType(number)


class DeviceKey(NamedTuple):
    """Which device: a ``nukiId`` is unique only per kind (a lock and an opener may share one)."""

    nuki_id: int
    opener: bool

    @classmethod
    def of(cls, nuki_id: int, device_type: DeviceType) -> DeviceKey:
        return cls(nuki_id, device_type.is_opener)

    @property
    def hex_id(self) -> str:
        return hex_id(self.nuki_id)


# Opener states that say what the next ring does.
_OPENER_KNOWN_STATES = frozenset(
    {OpenerState.ONLINE, OpenerState.RTO_ACTIVE, OpenerState.OPEN, OpenerState.OPENING}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceState:
    """What a device reports about itself; ``None`` means "not reported"."""

    device_type: DeviceType = DeviceType.SMARTLOCK
    mode: Mode | None = None
    state: LockState | OpenerState | None = None
    state_name: str | None = None
    battery_critical: bool | None = None
    battery_charging: bool | None = None
    battery_charge_state: int | None = None
    keypad_battery_critical: bool | None = None
    door_sensor_state: DoorSensorState | None = None
    door_sensor_state_name: str | None = None
    door_sensor_battery_critical: bool | None = None
    ring_action_state: bool | None = None
    ring_action_timestamp: datetime | None = None
    timestamp: datetime | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any], device_type: DeviceType | None = None) -> Self:
        """Parse a state object; ``device_type`` wins over a ``deviceType`` inside."""
        if device_type is None:
            device_type = (
                parse_device_type(data["deviceType"], _int(data.get("nukiId")))
                if "deviceType" in data
                else DeviceType.SMARTLOCK
            )
        return cls(
            device_type=device_type,
            mode=_enum(Mode, data.get("mode")),
            state=_state(device_type, data.get("state")),
            state_name=_str(data.get("stateName")),
            battery_critical=_bool(data.get("batteryCritical")),
            battery_charging=_bool(data.get("batteryCharging")),
            battery_charge_state=_int(data.get("batteryChargeState")),
            keypad_battery_critical=_bool(data.get("keypadBatteryCritical")),
            door_sensor_state=_enum(DoorSensorState, data.get("doorsensorState")),
            door_sensor_state_name=_str(data.get("doorsensorStateName")),
            door_sensor_battery_critical=_bool(data.get("doorsensorBatteryCritical")),
            ring_action_state=_bool(data.get("ringactionState")),
            ring_action_timestamp=parse_timestamp(data.get("ringactionTimestamp")),
            timestamp=parse_timestamp(data.get("timestamp")),
        )

    def merged_with(self, newer: DeviceState) -> DeviceState:
        """This state with every field ``newer`` reports taken from ``newer``."""
        return replace(self, **newer.changes_since(None))

    def changes_since(self, old: DeviceState | None) -> dict[str, Any]:
        """The fields this state reports, and reports differently from ``old``.

        All it reports when ``old`` is None; never the device type.
        """
        return {
            f.name: value
            for f in fields(self)
            if f.name != "device_type"
            and (value := getattr(self, f.name)) is not None
            and (old is None or getattr(old, f.name) != value)
        }

    @property
    def is_opener(self) -> bool:
        return self.device_type.is_opener

    @property
    def is_jammed(self) -> bool:
        return not self.is_opener and self.state == LockState.MOTOR_BLOCKED

    @property
    def is_locked(self) -> bool:
        """Locks: bolt thrown. Openers: the next ring does not open the door.

        For an opener that is ring to open and continuous mode both off, in a
        state that says so (:attr:`opener_state_known`); the electric strike
        buzzing (open, opening) changes nothing about the next ring.
        """
        if self.is_opener:
            return self.opener_state_known and not self.ring_to_open_active
        return self.state == LockState.LOCKED

    @property
    def opener_state_known(self) -> bool:
        """Openers: whether the state tells what the next ring does (not booting, untrained)."""
        return self.is_opener and (self.continuous_mode or self.state in _OPENER_KNOWN_STATES)

    @property
    def is_locking(self) -> bool:
        return not self.is_opener and self.state == LockState.LOCKING

    @property
    def is_unlocking(self) -> bool:
        return not self.is_opener and self.state == LockState.UNLOCKING

    @property
    def is_open(self) -> bool:
        if self.is_opener:
            return self.state == OpenerState.OPEN
        return self.state == LockState.UNLATCHED

    @property
    def is_opening(self) -> bool:
        if self.is_opener:
            return self.state == OpenerState.OPENING
        return self.state == LockState.UNLATCHING

    @property
    def ring_to_open_active(self) -> bool:
        """Openers: the next ring opens the door (continuous mode counts too)."""
        return self.is_opener and (
            self.state == OpenerState.RTO_ACTIVE or self.mode == Mode.CONTINUOUS
        )

    @property
    def continuous_mode(self) -> bool:
        return self.mode == Mode.CONTINUOUS

    @property
    def ring_to_open(self) -> bool | None:
        """Openers: Ring to Open itself (the time-limited one) is on; continuous mode aside.

        In continuous mode some openers report state 3 (rto active), others 1:
        that mode is :attr:`continuous_mode`, not this, so this is False then
        whatever the firmware reports. ``None`` while the state does not tell:
        booting, untrained, not reported, and while the electric strike buzzes
        (opening, open: Ring to Open may or may not be on again afterwards).
        Always ``None`` for smart locks.
        """
        if not self.is_opener:
            return None
        if self.continuous_mode:
            return False
        if self.state in (OpenerState.ONLINE, OpenerState.RTO_ACTIVE):
            return self.state == OpenerState.RTO_ACTIVE
        return None

    @property
    def door_open(self) -> bool | None:
        """``None`` when there is no door sensor or it cannot tell."""
        if self.door_sensor_state == DoorSensorState.DOOR_OPENED:
            return True
        if self.door_sensor_state == DoorSensorState.DOOR_CLOSED:
            return False
        return None

    @property
    def has_door_sensor(self) -> bool:
        return self.door_sensor_state is not None and self.door_sensor_state not in (
            DoorSensorState.UNAVAILABLE,
            DoorSensorState.DEACTIVATED,
        )


def _enum[E: (Mode, DoorSensorState)](kind: type[E], value: object) -> E | None:
    number = _int(value)
    return None if number is None else kind(number)


def _state(device_type: DeviceType, value: object) -> LockState | OpenerState | None:
    number = _int(value)
    if number is None:
        return None
    return OpenerState(number) if device_type.is_opener else LockState(number)


@dataclass(frozen=True, slots=True, kw_only=True)
class Device:
    """A device paired with a bridge, as ``/list`` describes it."""

    nuki_id: int
    device_type: DeviceType
    name: str
    firmware_version: str | None = None
    state: DeviceState = field(default_factory=DeviceState)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        if not isinstance(data, dict):
            raise NukiInvalidResponseError("device entry is not an object")
        nuki_id = _int(data.get("nukiId"))
        if nuki_id is None:
            raise NukiInvalidResponseError("device entry has no nukiId")
        device_type = parse_device_type(data.get("deviceType"), nuki_id)
        raw_state = data.get("lastKnownState")
        state = (
            DeviceState.from_dict(raw_state, device_type)
            if isinstance(raw_state, dict)
            else DeviceState(device_type=device_type)
        )
        return cls(
            nuki_id=nuki_id,
            device_type=device_type,
            name=_str(data.get("name")) or f"Nuki {hex_id(nuki_id)}",
            firmware_version=_str(data.get("firmwareVersion")),
            state=state,
        )

    @property
    def hex_id(self) -> str:
        return hex_id(self.nuki_id)

    @property
    def key(self) -> DeviceKey:
        """A ``nukiId`` is unique only together with the kind of device."""
        return DeviceKey.of(self.nuki_id, self.device_type)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackUpdate:
    """The body of a bridge callback: which device, and its new state.

    ``device_type`` is None when the body has none (the software bridge sends
    none): only the device it belongs to can say how to read ``state`` then,
    see :meth:`state_of`.
    """

    nuki_id: int
    device_type: DeviceType | None
    body: Mapping[str, Any] = field(repr=False, compare=False)
    # The state as from_dict read it, and as which type: the usual reading, once.
    parsed: tuple[DeviceType, DeviceState] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: object) -> Self:
        if not isinstance(data, dict):
            raise NukiInvalidResponseError("callback body is not a JSON object")
        nuki_id = _int(data.get("nukiId"))
        if nuki_id is None:
            raise NukiInvalidResponseError("callback body has no usable nukiId")
        raw_type = _int(data.get("deviceType"))
        device_type = DeviceType(raw_type) if raw_type is not None else None
        # Unreadable fields are refused here, not when a device reads the state.
        read_as = device_type or DeviceType.SMARTLOCK
        state = DeviceState.from_dict(dict(data), read_as)
        return cls(nuki_id=nuki_id, device_type=device_type, body=data, parsed=(read_as, state))

    @property
    def state(self) -> DeviceState:
        """The new state, read as a smart lock's when the body names no type."""
        return self.state_of(self.device_type or DeviceType.SMARTLOCK)

    def state_of(self, device_type: DeviceType) -> DeviceState:
        """The new state of the device of ``device_type`` this callback is for."""
        if self.parsed is not None and self.parsed[0] is device_type:
            return self.parsed[1]
        return DeviceState.from_dict(dict(self.body), device_type)

    @property
    def key(self) -> DeviceKey | None:
        """None when the body does not say whether it is about an opener."""
        if self.device_type is None:
            return None
        return DeviceKey.of(self.nuki_id, self.device_type)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanResult:
    nuki_id: int
    device_type: DeviceType
    name: str | None
    rssi: int | None
    paired: bool | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        nuki_id = _int(data.get("nukiId"))
        if nuki_id is None:
            raise NukiInvalidResponseError("scan result has no nukiId")
        # Older documents call the field "type".
        raw_type = data["deviceType"] if "deviceType" in data else data.get("type")
        return cls(
            nuki_id=nuki_id,
            device_type=parse_device_type(raw_type, nuki_id),
            name=_str(data.get("name")),
            rssi=_int(data.get("rssi")),
            paired=_bool(data.get("paired")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeInfo:
    """``/info``: what the bridge says about itself."""

    bridge_type: BridgeType
    hardware_id: int | None
    server_id: int | None
    firmware_version: str | None
    wifi_firmware_version: str | None
    app_version: str | None
    uptime: int | None
    current_time: datetime | None
    wlan_connected: bool | None
    server_connected: bool | None
    scan_results: tuple[ScanResult, ...] = ()

    @classmethod
    def from_dict(cls, data: object) -> Self:
        if not isinstance(data, dict):
            raise NukiInvalidResponseError("/info answer is not a JSON object")
        ids = data.get("ids")
        ids = ids if isinstance(ids, dict) else {}
        hardware_id = _int(ids.get("hardwareId"))
        server_id = _int(ids.get("serverId"))
        # Software bridges have no hardware id; their server id identifies them.
        if hardware_id is None and server_id is None:
            raise NukiInvalidResponseError("/info answer has neither hardwareId nor serverId")
        versions = data.get("versions")
        versions = versions if isinstance(versions, dict) else {}
        scans = data.get("scanResults")
        results: list[ScanResult] = []
        for item in scans if isinstance(scans, list) else []:
            if isinstance(item, dict):
                try:
                    results.append(ScanResult.from_dict(item))
                except NukiInvalidResponseError:
                    _LOGGER.debug("Ignoring unreadable scan result %r", item)
        bridge_type = _int(data.get("bridgeType"))
        return cls(
            bridge_type=BridgeType(bridge_type if bridge_type is not None else 1),
            hardware_id=hardware_id,
            server_id=server_id,
            firmware_version=_str(versions.get("firmwareVersion")),
            wifi_firmware_version=_str(versions.get("wifiFirmwareVersion")),
            app_version=_str(versions.get("appVersion")),
            uptime=_int(data.get("uptime")),
            current_time=parse_timestamp(data.get("currentTime")),
            wlan_connected=_bool(data.get("wlanConnected")),
            server_connected=_bool(data.get("serverConnected")),
            scan_results=tuple(results),
        )

    @property
    def bridge_id(self) -> str:
        """The bridge id as users see it: upper-case hex of ``hardwareId``.

        A software bridge has none; its ``serverId`` stands in.
        """
        number = self.hardware_id if self.hardware_id is not None else self.server_id
        assert number is not None  # from_dict guarantees one of them
        return hex_id(number)

    @property
    def version(self) -> str | None:
        return self.firmware_version or self.app_version


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackEntry:
    callback_id: int
    url: str

    @classmethod
    def from_dict(cls, data: object) -> Self:
        if not isinstance(data, dict):
            raise NukiInvalidResponseError("callback entry is not an object")
        callback_id = _int(data.get("id"))
        url = _str(data.get("url"))
        if callback_id is None or url is None:
            raise NukiInvalidResponseError("callback entry lacks id or url")
        return cls(callback_id=callback_id, url=url)


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscoveredBridge:
    """An entry of Nuki's discovery service answer."""

    bridge_id: int
    host: str
    port: int
    date_updated: datetime | None

    @property
    def discovery_enabled(self) -> bool:
        """0.0.0.0 / port 0 means the bridge has its discovery switched off."""
        return self.host != "0.0.0.0" and self.port != 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        bridge_id = _int(data.get("bridgeId"))
        if bridge_id is None:
            raise NukiInvalidResponseError("discovered bridge has no bridgeId")
        return cls(
            bridge_id=bridge_id,
            host=_str(data.get("ip")) or "0.0.0.0",
            port=_int(data.get("port")) or 0,
            date_updated=parse_timestamp(data.get("dateUpdated")),
        )
