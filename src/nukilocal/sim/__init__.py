"""Device stand-ins: a Nuki Bridge over HTTP and the state machines behind it."""

from .bridge import BridgeFaults, BridgeSimulator, BridgeStats
from .clock import SimClock
from .config import BridgeConfig, default_devices, device_from_dict, load_config
from .control import SimControlClient
from .devices import (
    ActionEvent,
    SimDevice,
    SimOpener,
    SimSmartLock,
)

__all__ = [
    "ActionEvent",
    "BridgeConfig",
    "BridgeFaults",
    "BridgeSimulator",
    "BridgeStats",
    "SimClock",
    "SimControlClient",
    "SimDevice",
    "SimOpener",
    "SimSmartLock",
    "default_devices",
    "device_from_dict",
    "load_config",
]
