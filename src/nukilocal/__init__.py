"""Asyncio library for Nuki's local APIs: the Bridge HTTP API and the MQTT API.

The base install (aiohttp, PyNaCl) is what this package and the bridge client
need; the MQTT client, the command line and the stand-ins' broker are extras
(``nukilocal[mqtt]``, ``nukilocal[cli]``, ``nukilocal[sim]``, ``nukilocal[broker]``).
"""

# The one place the version is stated: pyproject.toml reads it from here, and the
# Home Assistant manifest's "version" and "nukilocal==" requirement must equal it
# (tests/lib/test_release.py checks that they do).
__version__ = "0.1.0"

from .auth import Token
from .client import ActionResult, BridgeClient, callback_url_problem
from .const import (
    BridgeType,
    CommandResponse,
    DeviceType,
    DoorSensorState,
    LockAction,
    LockState,
    Mode,
    OpenerAction,
    OpenerState,
    TokenMode,
    Trigger,
)
from .discovery import discover_bridges, parse_bridge_hostname
from .exceptions import (
    NukiAuthError,
    NukiBadRequestError,
    NukiBridgeBusyError,
    NukiCallbackSlotsFullError,
    NukiCommandRefusedError,
    NukiConnectionError,
    NukiError,
    NukiInvalidResponseError,
    NukiOutcomeUnknownError,
    NukiTimeoutError,
    NukiUnknownDeviceError,
)
from .models import (
    BridgeInfo,
    CallbackEntry,
    CallbackUpdate,
    Device,
    DeviceKey,
    DeviceState,
    DiscoveredBridge,
    ScanResult,
    hex_id,
    id_from_hex,
)

__all__ = [
    "ActionResult",
    "BridgeClient",
    "BridgeInfo",
    "BridgeType",
    "CallbackEntry",
    "CallbackUpdate",
    "CommandResponse",
    "Device",
    "DeviceKey",
    "DeviceState",
    "DeviceType",
    "DiscoveredBridge",
    "DoorSensorState",
    "LockAction",
    "LockState",
    "Mode",
    "NukiAuthError",
    "NukiBadRequestError",
    "NukiBridgeBusyError",
    "NukiCallbackSlotsFullError",
    "NukiCommandRefusedError",
    "NukiConnectionError",
    "NukiError",
    "NukiInvalidResponseError",
    "NukiOutcomeUnknownError",
    "NukiTimeoutError",
    "NukiUnknownDeviceError",
    "OpenerAction",
    "OpenerState",
    "ScanResult",
    "Token",
    "TokenMode",
    "Trigger",
    "callback_url_problem",
    "discover_bridges",
    "hex_id",
    "id_from_hex",
    "parse_bridge_hostname",
]
