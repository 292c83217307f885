"""Device stand-ins: a Nuki Bridge over HTTP and the state machines behind it."""

from .clock import SimClock
from .config import BridgeConfig, default_devices, load_config
from .devices import (
    ActionEvent,
    SimDevice,
    SimOpener,
    SimSmartLock,
)

__all__ = [
    "ActionEvent",
    "BridgeConfig",
    "SimClock",
    "SimDevice",
    "SimOpener",
    "SimSmartLock",
    "default_devices",
    "load_config",
]
