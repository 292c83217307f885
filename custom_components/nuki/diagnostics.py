"""Diagnostics: what the bridge or the Wi-Fi lock reports and how updates reach Home Assistant."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_TOKEN
from homeassistant.core import HomeAssistant

from nukilocal.const import DeviceType

from .const import CONF_WEBHOOK_ID
from .coordinator import NukiConfigEntry
from .hub import async_get_data, hub_key
from .mqtt_lock import MqttLockTransport

# The callback URL contains the webhook id, which is as good as a password.
TO_REDACT = {CONF_TOKEN, CONF_WEBHOOK_ID, "callback_url"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: NukiConfigEntry
) -> dict[str, Any]:
    if isinstance(entry.runtime_data, MqttLockTransport):
        return _lock_diagnostics(hass, entry, entry.runtime_data)
    coordinator = entry.runtime_data
    info = asdict(coordinator.info)
    return {
        "entry": async_redact_data(
            {"data": dict(entry.data), "version": entry.version, "minor": entry.minor_version},
            TO_REDACT,
        ),
        "bridge": info,
        "push": async_redact_data(
            {
                "callback_url": coordinator.callback_url,
                "push_active": coordinator.push_active,
                # Listed by the bridge, yet changes arrive only through polls.
                "callbacks_undelivered": coordinator.callbacks_undelivered,
                "callbacks_received": coordinator.callbacks_received,
                "callbacks_rejected": coordinator.callbacks_rejected,
                "last_callback": coordinator.last_callback,
                "polls": coordinator.polls,
                "poll_interval_seconds": coordinator.update_interval.total_seconds()
                if coordinator.update_interval
                else None,
                "last_update_success": coordinator.last_update_success,
            },
            TO_REDACT,
        ),
        "devices": [
            {
                "nuki_id": device.nuki_id,
                "device_type": device.device_type,
                "name": device.name,
                "firmware_version": device.firmware_version,
                "state": asdict(device.state),
                "pending": coordinator.pending.get(key) is not None,
            }
            for key, device in (coordinator.data or {}).items()
        ],
    }


def _lock_diagnostics(
    hass: HomeAssistant, entry: NukiConfigEntry, transport: MqttLockTransport
) -> dict[str, Any]:
    """A Wi-Fi lock entry holds no secret: the broker's credentials are MQTT's own."""
    lock = transport.lock
    hub = async_get_data(hass).hubs.get(hub_key(lock.nuki_id, DeviceType.SMARTLOCK_3))
    return {
        "entry": {"data": dict(entry.data), "version": entry.version, "minor": entry.minor_version},
        "mqtt_lock": {
            "nuki_id": lock.nuki_id,
            "name": lock.name,
            "firmware": lock.firmware,
            "connected": lock.connected,
            "server_connected": lock.server_connected,
            "state": asdict(lock.state),
        },
        "transport": transport.diagnostics(),
        "device": None
        if hub is None
        else {
            "state": asdict(hub.state),
            "owner_is_this_entry": hub.owner == entry.entry_id,
            "bridge": hub.bridge.coordinator.bridge_id if hub.bridge is not None else None,
            "command_transport": hub.command_transport,
            "transition": hub.transition,
        },
    }
