"""What differs between the Home Assistant releases this integration supports (2025.4 on).

Home Assistant 2026.8 gave every device a single config entry: identifiers are
unique per entry, not across entries, ``async_get_device`` is deprecated, and a
device names its hub by registry id (``via_device_id``) instead of by identifier.
Earlier releases have only the older calls. Each helper here takes the newer way
where it exists, so no deprecated call is made on either end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .const import DOMAIN

# Registries of 2026.8 and later look devices up per config entry.
_GET_DEVICES = cast(
    Callable[..., list[dr.DeviceEntry]] | None,
    getattr(dr.DeviceRegistry, "async_get_devices", None),
)
_GET_BY_IDENTIFIER = cast(
    Callable[..., dr.DeviceEntry | None] | None,
    getattr(dr.DeviceRegistry, "async_get_device_by_identifier", None),
)
PER_ENTRY_DEVICES = _GET_DEVICES is not None and _GET_BY_IDENTIFIER is not None


def devices_with_identifier(hass: HomeAssistant, identifier: str) -> list[dr.DeviceEntry]:
    """Every device registered with ``(nuki, identifier)``, whichever entry holds it."""
    registry = dr.async_get(hass)
    wanted = {(DOMAIN, identifier)}
    if _GET_DEVICES is not None:
        return _GET_DEVICES(registry, identifiers=wanted)
    device = registry.async_get_device(identifiers=wanted)
    return [] if device is None else [device]


def entry_device(hass: HomeAssistant, identifier: str, entry_id: str) -> dr.DeviceEntry | None:
    """The device ``entry_id`` registered with ``(nuki, identifier)``."""
    registry = dr.async_get(hass)
    if _GET_BY_IDENTIFIER is not None:
        return _GET_BY_IDENTIFIER(registry, (DOMAIN, identifier), entry_id)
    device = registry.async_get_device(identifiers={(DOMAIN, identifier)})
    if device is None or entry_id not in device.config_entries:
        return None
    return device


def via_bridge(hass: HomeAssistant, bridge_id: str, bridge_entry_id: str) -> dict[str, Any]:
    """The device info fields that link a device to the bridge it is reached through."""
    if not PER_ENTRY_DEVICES:
        return {"via_device": (DOMAIN, bridge_id)}
    bridge = entry_device(hass, bridge_id, bridge_entry_id)
    return {} if bridge is None else {"via_device_id": bridge.id}


def move_device(hass: HomeAssistant, identifier: str, from_entry: str, to_entry: str) -> None:
    """Hand the device ``from_entry`` registered to ``to_entry`` (2026.8 and later)."""
    device = entry_device(hass, identifier, from_entry)
    if device is None:
        return
    update: Callable[..., Any] = dr.async_get(hass).async_update_device
    update(device.id, new_config_entry_id=to_entry)
