"""Device stand-ins: a Nuki Bridge over HTTP and the state machines behind it."""

from .answers import Handler
from .bridge import ApiCall, BridgeFaults, BridgeSimulator, BridgeStats, Interceptor, Stage
from .callbacks import CallbackDelivery, CallbackInterceptor
from .clock import SimClock
from .config import BridgeConfig, default_devices, device_from_dict, load_config
from .control_client import SimControlClient
from .devices import (
    ActionEvent,
    SimDevice,
    SimOpener,
    SimSmartLock,
)
from .model import BridgeModel
from .radio import DEFAULT_RADIO, RADIO_MODES, RadioMode

__all__ = [
    "DEFAULT_RADIO",
    "RADIO_MODES",
    "ActionEvent",
    "ApiCall",
    "BridgeConfig",
    "BridgeFaults",
    "BridgeModel",
    "BridgeSimulator",
    "BridgeStats",
    "CallbackDelivery",
    "CallbackInterceptor",
    "Handler",
    "Interceptor",
    "RadioMode",
    "SimClock",
    "SimControlClient",
    "SimDevice",
    "SimOpener",
    "SimSmartLock",
    "Stage",
    "default_devices",
    "device_from_dict",
    "load_config",
]
