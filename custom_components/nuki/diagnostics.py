"""Diagnostics: what the bridge or the Wi-Fi lock reports and how updates reach Home Assistant."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_TOKEN
from homeassistant.core import HomeAssistant

from nukilocal.models import DeviceKey

from .bridge import BridgeTransport
from .const import CONF_WEBHOOK_ID
from .hubs import async_get_data
from .mqtt_lock import MqttLockTransport
from .runtime import NukiConfigEntry

# The callback URL contains the webhook id, which is as good as a password.
TO_REDACT = {CONF_TOKEN, CONF_WEBHOOK_ID, "callback_url"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: NukiConfigEntry
) -> dict[str, Any]:
    runtime = entry.runtime_data
    if runtime.mqtt is not None:
        return _lock_diagnostics(hass, entry, runtime.mqtt)
    assert runtime.bridge is not None
    return _bridge_diagnostics(hass, entry, runtime.bridge)


def _bridge_diagnostics(
    hass: HomeAssistant, entry: NukiConfigEntry, transport: BridgeTransport
) -> dict[str, Any]:
    push = transport.push.health
    hubs = async_get_data(hass).hubs
    return {
        "entry": async_redact_data(
            {"data": dict(entry.data), "version": entry.version, "minor": entry.minor_version},
            TO_REDACT,
        ),
        "bridge": asdict(transport.info),
        "push": async_redact_data(
            {
                "callback_url": push.url,
                "push_active": push.active,
                # Listed by the bridge, yet changes arrive only through polls.
                "callbacks_undelivered": push.undelivered,
                "callbacks_received": push.received,
                "callbacks_rejected": push.rejected,
                "last_callback": push.last_callback,
                "polls": transport.polls,
                "poll_interval_seconds": transport.update_interval.total_seconds()
                if transport.update_interval
                else None,
                "last_update_success": transport.last_update_success,
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
                "pending": key in hubs and hubs[key].pending,
            }
            for key, device in (transport.data or {}).items()
        ],
    }


def _lock_diagnostics(
    hass: HomeAssistant, entry: NukiConfigEntry, transport: MqttLockTransport
) -> dict[str, Any]:
    """A Wi-Fi lock entry holds no secret: the broker's credentials are MQTT's own."""
    lock = transport.lock
    hub = async_get_data(hass).hubs.get(DeviceKey(lock.nuki_id, opener=False))
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
            "bridge": hub.bridge.transport.bridge_id if hub.bridge is not None else None,
            "command_transport": hub.command_transport,
            "transition": hub.transition,
        },
    }
