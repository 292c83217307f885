"""Device registry look-ups that read the same on every supported Home Assistant release."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from custom_components.nuki.compat import PER_ENTRY_DEVICES, devices_with_identifier


def one_device(hass: HomeAssistant, identifier: str) -> dr.DeviceEntry | None:
    """The device registered with ``(nuki, identifier)``; never more than one."""
    found = devices_with_identifier(hass, identifier)
    assert len(found) <= 1, found
    return found[0] if found else None


def entries_of(device: dr.DeviceEntry) -> set[str]:
    """The config entries a device belongs to: one since Home Assistant 2026.8."""
    if PER_ENTRY_DEVICES:
        return {device.config_entry_id}  # type: ignore[attr-defined]
    return set(device.config_entries)
