"""Nuki: locks and openers behind bridges (HTTP callbacks) and Wi-Fi locks on MQTT.

Two kinds of config entries share this domain: a bridge entry (host, token)
and a Wi-Fi lock entry (``lock_id``). Each runs one transport (bridge.py,
mqtt_lock.py); a device reached both ways is one device hub (hub.py, hubs.py).
docs/architecture.md has the picture.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components import mqtt, webhook
from homeassistant.const import (
    CONF_HOST,
    CONF_PORT,
    CONF_TOKEN,
    EVENT_HOMEASSISTANT_STOP,
    Platform,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryNotReady,
    HomeAssistantError,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from nukilocal.client import (
    DEFAULT_ACTION_TIMEOUT,
    DEFAULT_BUSY_BACKOFF,
    DEFAULT_REQUEST_INTERVAL,
    DEFAULT_REQUEST_TIMEOUT,
    BridgeClient,
)
from nukilocal.const import DEFAULT_PORT
from nukilocal.exceptions import NukiAuthError, NukiError
from nukilocal.models import BridgeInfo, id_from_hex

from .bridge import BridgeTransport, auth_failed
from .const import CONF_LOCK_ID, CONF_WEBHOOK_ID, DOMAIN
from .entry_data import is_lock_entry, token_mode
from .hubs import async_get_data
from .identity import bridge_device_info, device_identifiers
from .migration import async_adopt_builtin_entry, async_hand_back_unique_ids
from .mqtt_lock import MqttLockTransport
from .runtime import NukiConfigEntry, NukiRuntime
from .services import async_setup_services

# The lock first: its entities register first and so write their state first
# when a callback changes a device, ahead of the sensors of the same device.
PLATFORMS = [
    Platform.LOCK,
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.SENSOR,
    Platform.SWITCH,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

# Pause between two requests to one bridge; bursts can hang a real bridge.
BRIDGE_REQUEST_INTERVAL = DEFAULT_REQUEST_INTERVAL
# First wait before a request the bridge answered with 503 is tried again.
BRIDGE_BUSY_BACKOFF = DEFAULT_BUSY_BACKOFF
# How long a request, and a lock action waiting for the motor, may take.
BRIDGE_REQUEST_TIMEOUT = DEFAULT_REQUEST_TIMEOUT
BRIDGE_ACTION_TIMEOUT = DEFAULT_ACTION_TIMEOUT


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    async_setup_services(hass)

    @callback
    def _hand_back_on_stop(_: Event) -> None:
        # Also entries that are retrying or failed: their set-up migrated the
        # ids before it gave up. Saved by the registry's final write, so the
        # built-in finds its entities if custom_components/nuki is gone next start.
        for entry in hass.config_entries.async_entries(DOMAIN):
            if not is_lock_entry(entry):
                async_hand_back_unique_ids(hass, entry)

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _hand_back_on_stop)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: NukiConfigEntry) -> bool:
    if is_lock_entry(entry):
        entry.runtime_data = NukiRuntime(mqtt=await _async_start_lock(hass, entry))
    else:
        async_adopt_builtin_entry(hass, entry)
        entry.runtime_data = NukiRuntime(bridge=await _async_start_bridge(hass, entry))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


def bridge_client(hass: HomeAssistant, data: dict[str, Any]) -> BridgeClient:
    """The client of a bridge entry's data: one request at a time, paced."""
    return BridgeClient(
        data[CONF_HOST],
        data.get(CONF_PORT, DEFAULT_PORT),
        data[CONF_TOKEN],
        token_mode=token_mode(data),
        session=async_get_clientsession(hass),
        request_interval=BRIDGE_REQUEST_INTERVAL,
        busy_backoff=BRIDGE_BUSY_BACKOFF,
        request_timeout=BRIDGE_REQUEST_TIMEOUT,
        action_timeout=BRIDGE_ACTION_TIMEOUT,
    )


async def _async_read_info(entry: NukiConfigEntry, client: BridgeClient) -> BridgeInfo:
    try:
        info = await client.info()
    except NukiAuthError as err:
        raise auth_failed(err) from err
    except NukiError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect_setup",
            translation_placeholders={"host": entry.data[CONF_HOST], "error": str(err)},
        ) from err
    if isinstance(entry.unique_id, str) and entry.unique_id.upper() != info.bridge_id:
        # Another bridge answers at this address (DHCP gave it the old one's IP).
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="wrong_bridge",
            translation_placeholders={
                "host": entry.data[CONF_HOST],
                "expected": entry.unique_id,
                "found": info.bridge_id,
            },
        )
    return info


async def _async_start_bridge(hass: HomeAssistant, entry: NukiConfigEntry) -> BridgeTransport:
    client = bridge_client(hass, dict(entry.data))
    info = await _async_read_info(entry, client)
    transport = BridgeTransport(hass, entry, client, info, entry.data[CONF_WEBHOOK_ID])
    await transport.async_config_entry_first_refresh()

    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **bridge_device_info(transport.bridge_id, info)
    )
    data = async_get_data(hass)
    data.async_remove_stale_devices(entry.entry_id, transport)

    webhook.async_register(
        hass,
        DOMAIN,
        entry.title,
        transport.webhook_id,
        transport.async_handle_webhook,
        local_only=True,
        allowed_methods=["POST"],
    )
    entry.async_on_unload(lambda: webhook.async_unregister(hass, transport.webhook_id))
    await transport.push.async_setup()

    async def _remove_callback_on_stop(_: Event) -> None:
        # A bridge calling a dead address may stop notifying its other clients.
        await transport.push.async_remove()

    entry.async_on_unload(
        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _remove_callback_on_stop)
    )
    entry.async_on_unload(data.async_attach_bridge(entry.entry_id, transport))
    return transport


async def _async_start_lock(hass: HomeAssistant, entry: NukiConfigEntry) -> MqttLockTransport:
    if not await mqtt.async_wait_for_mqtt_client(hass):
        raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="mqtt_not_available")
    transport = MqttLockTransport(hass, entry.entry_id, id_from_hex(entry.data[CONF_LOCK_ID]))
    try:
        await transport.async_start()
    except HomeAssistantError as err:
        transport.async_stop()
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="mqtt_subscribe_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    async_get_data(hass).async_attach_mqtt(entry.entry_id, transport)
    return transport


async def async_unload_entry(hass: HomeAssistant, entry: NukiConfigEntry) -> bool:
    unload_ok = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if not unload_ok:
        return False
    # Only now: the other entry of a shared lock may create its entities again.
    data = async_get_data(hass)
    data.async_detach_entry(entry.entry_id)
    runtime = entry.runtime_data
    if runtime.mqtt is not None:
        runtime.mqtt.async_stop()
    if runtime.bridge is not None:
        # Devices another entry still reaches (a Wi-Fi lock's) keep their
        # entities with this integration: that entry creates them again.
        still_running = {hub.unique_id_base for hub in data.hubs.values()}
        async_hand_back_unique_ids(hass, entry, keep=still_running)
        await runtime.bridge.push.async_remove()
    return True


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: NukiConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    """Only devices the bridge no longer lists may be deleted by hand."""
    runtime: NukiRuntime | None = getattr(entry, "runtime_data", None)
    transport = runtime.bridge if runtime is not None else None
    if transport is None or transport.data is None:
        # A Wi-Fi lock entry is its device: removing the entry removes it.
        return False
    current = {(DOMAIN, transport.bridge_id)}
    for key in transport.data:
        current |= device_identifiers(key)
    return not device_entry.identifiers & current
