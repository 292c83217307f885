"""What a loaded config entry holds: the transport of a bridge entry or of a Wi-Fi lock entry."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .bridge import BridgeTransport
from .mqtt_lock import MqttLockTransport


@dataclass(slots=True)
class NukiRuntime:
    """Exactly one of the two is set: a bridge entry's or a Wi-Fi lock entry's transport."""

    bridge: BridgeTransport | None = None
    mqtt: MqttLockTransport | None = None


type NukiConfigEntry = ConfigEntry[NukiRuntime]
