"""Which devices a stand-in bridge has, and how to describe them in a file.

:func:`load_config` reads a JSON object; every key is optional::

    {
      "token": "abc123def456",          // API token (6 to 20 characters)
      "host": "127.0.0.1", "port": 8080,
      "bridgeType": 1,                  // 1 hardware, 2 software
      "hardwareId": 1013065235, "serverId": 1754925342,
      "timeFactor": 1.0,                // 0.01 runs every duration 100 times faster
      "radio": "exclusive",             // or "parallel": see nukilocal.sim.radio
      "devices": [
        {"nukiId": 1015571181, "deviceType": 4, "name": "Front door",
         "firmwareVersion": "4.2.6", "state": 1,
         "batteryChargeState": 96, "batteryCritical": false, "batteryCharging": false,
         "keypad": true, "keypadBatteryCritical": false,
         "doorsensorState": 2, "lockNGoSeconds": 20},
        {"nukiId": 930999314, "deviceType": 2, "name": "Building entrance",
         "state": 1, "mode": 2, "continuousState": 3, "rtoTimeoutSeconds": 1200}
      ]
    }

(Comments are for this description only; the file is plain JSON.) Without
``devices`` the bridge gets :func:`default_devices`. ``deviceType`` 2 makes an
opener, anything else a smart lock; ``doorsensorState`` present means the lock
has a door sensor; a ``batteryChargeState`` of ``null`` means the device does
not report a level (openers default to that).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..const import BridgeType, DeviceType, DoorSensorState, LockState, Mode, OpenerState
from .devices import LOCK_N_GO_WAIT_SECONDS, RTO_TIMEOUT_SECONDS, SimDevice, SimOpener, SimSmartLock
from .radio import DEFAULT_RADIO, RadioMode, radio_mode

DEFAULT_TOKEN = "abc123def456"
DEFAULT_HARDWARE_ID = 1013065235
DEFAULT_SERVER_ID = 1754925342


def default_devices() -> list[SimDevice]:
    """Two locks of different generations and an opener, like a typical home."""
    return [
        SimSmartLock(
            1015571181,
            "Front door",
            device_type=DeviceType.SMARTLOCK_3,
            firmware_version="4.2.6",
            state=LockState.LOCKED,
            battery_level=96,
            keypad=True,
            door_sensor=DoorSensorState.DOOR_CLOSED,
            rssi=-55,
        ),
        SimSmartLock(
            437991291,
            "Back door",
            device_type=DeviceType.SMARTLOCK,
            firmware_version="1.12.6",
            state=LockState.UNLOCKED,
            battery_level=64,
            rssi=-71,
        ),
        SimOpener(
            930999314,
            "Building entrance",
            firmware_version="1.8.4",
            rssi=-59,
        ),
    ]


@dataclass(slots=True, kw_only=True)
class BridgeConfig:
    """Everything :class:`~nukilocal.sim.bridge.BridgeSimulator` needs to start."""

    token: str = DEFAULT_TOKEN
    host: str = "127.0.0.1"
    port: int = 8080
    bridge_type: BridgeType = BridgeType.HARDWARE
    hardware_id: int = DEFAULT_HARDWARE_ID
    server_id: int = DEFAULT_SERVER_ID
    time_factor: float = 1.0
    radio: RadioMode = DEFAULT_RADIO
    devices: list[SimDevice] = field(default_factory=default_devices)


def _opt_bool(data: dict[str, Any], key: str) -> bool | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ValueError(f"{key} must be true or false")
    return value


def device_from_dict(data: dict[str, Any]) -> SimDevice:
    """One entry of the ``devices`` list (see the module description)."""
    if not isinstance(data, dict):
        raise ValueError("a device is a JSON object")
    try:
        nuki_id = int(data["nukiId"])
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError("every device needs an integer nukiId") from err
    device_type = DeviceType(int(data.get("deviceType", DeviceType.SMARTLOCK_3)))
    name = str(data.get("name") or f"Nuki {nuki_id:X}")
    common: dict[str, Any] = {
        "firmware_version": str(data.get("firmwareVersion", "3.0.0")),
        "battery_critical": _opt_bool(data, "batteryCritical"),
        "battery_charging": bool(data.get("batteryCharging", False)),
        "keypad": bool(data.get("keypad", "keypadBatteryCritical" in data)),
        "keypad_battery_critical": bool(data.get("keypadBatteryCritical", False)),
        "rssi": int(data.get("rssi", -60)),
    }
    if "doorsensorState" in data:
        common["door_sensor"] = DoorSensorState(int(data["doorsensorState"]))
    if device_type.is_opener:
        if "batteryChargeState" in data:
            common["battery_level"] = data["batteryChargeState"]
        rto = data.get("rtoTimeoutSeconds", RTO_TIMEOUT_SECONDS)
        return SimOpener(
            nuki_id,
            name,
            state=OpenerState(int(data.get("state", OpenerState.ONLINE))),
            mode=Mode(int(data.get("mode", Mode.DOOR))),
            continuous_state=OpenerState(int(data.get("continuousState", OpenerState.RTO_ACTIVE))),
            rto_timeout_seconds=None if rto is None else float(rto),
            **common,
        )
    level = data.get("batteryChargeState", 90)
    common["battery_level"] = None if level is None else int(level)
    return SimSmartLock(
        nuki_id,
        name,
        device_type=device_type,
        state=LockState(int(data.get("state", LockState.LOCKED))),
        lock_n_go_seconds=float(data.get("lockNGoSeconds", LOCK_N_GO_WAIT_SECONDS)),
        **common,
    )


def config_from_dict(data: dict[str, Any]) -> BridgeConfig:
    if not isinstance(data, dict):
        raise ValueError("the configuration is a JSON object")
    config = BridgeConfig()
    config.token = str(data.get("token", config.token))
    config.host = str(data.get("host", config.host))
    config.port = int(data.get("port", config.port))
    config.bridge_type = BridgeType(int(data.get("bridgeType", config.bridge_type)))
    config.hardware_id = int(data.get("hardwareId", config.hardware_id))
    config.server_id = int(data.get("serverId", config.server_id))
    config.time_factor = float(data.get("timeFactor", config.time_factor))
    config.radio = radio_mode(str(data.get("radio", config.radio)))
    if "devices" in data:
        if not isinstance(data["devices"], list):
            raise ValueError("devices is a JSON array")
        config.devices = [device_from_dict(item) for item in data["devices"]]
    return config


def load_config(path: str | Path) -> BridgeConfig:
    """Read a bridge description; raises ``ValueError`` on a malformed file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON: {err}") from err
    return config_from_dict(data)
