"""Nuki: locks and openers behind bridges (HTTP callbacks) and Wi-Fi locks on MQTT.

Two kinds of config entries share this domain: a bridge entry (host, token)
and a Wi-Fi lock entry (``lock_id``). A lock reached both ways is one device;
hub.py explains how both entries share it.
"""

from __future__ import annotations

import logging
from collections.abc import Container
from typing import Any

from homeassistant.components import mqtt, webhook
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    CONF_HOST,
    CONF_PORT,
    CONF_TOKEN,
    EVENT_HOMEASSISTANT_STOP,
    Platform,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from nukilocal.client import (
    DEFAULT_ACTION_TIMEOUT,
    DEFAULT_BUSY_BACKOFF,
    DEFAULT_REQUEST_INTERVAL,
    DEFAULT_REQUEST_TIMEOUT,
    BridgeClient,
)
from nukilocal.const import TokenMode
from nukilocal.exceptions import NukiAuthError, NukiError
from nukilocal.models import hex_id, id_from_hex

from .const import (
    CONF_ENCRYPT_TOKEN,
    CONF_LOCK_ID,
    CONF_TOKEN_MODE,
    CONF_WEBHOOK_ID,
    DEFAULT_PORT,
    DOMAIN,
)
from .coordinator import NukiConfigEntry, NukiCoordinator, device_identifiers
from .entity import bridge_device_info
from .hub import HubKey, async_get_data, hub_key
from .mqtt_lock import MqttLockTransport
from .services import async_setup_services

_LOGGER = logging.getLogger(__name__)

# The lock first: its entities register first and so write their state first
# when a callback changes a device, ahead of the sensors of the same device.
PLATFORMS = [Platform.LOCK, Platform.BINARY_SENSOR, Platform.EVENT, Platform.SENSOR]
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
                _async_hand_back_unique_ids(hass, entry)

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _hand_back_on_stop)
    return True


def token_mode(data: dict[str, Any]) -> TokenMode:
    """Entries of the built-in integration only know encrypt_token (default on)."""
    if CONF_TOKEN_MODE in data:
        return TokenMode(data[CONF_TOKEN_MODE])
    return TokenMode.ENCRYPTED if data.get(CONF_ENCRYPT_TOKEN, True) else TokenMode.PLAIN


def is_lock_entry(entry: ConfigEntry[Any]) -> bool:
    """A Wi-Fi lock reached by MQTT, not a bridge."""
    return CONF_LOCK_ID in entry.data


async def async_setup_entry(hass: HomeAssistant, entry: NukiConfigEntry) -> bool:
    if is_lock_entry(entry):
        return await _async_setup_lock_entry(hass, entry)
    _async_adopt_builtin_entry(hass, entry)

    client = BridgeClient(
        entry.data[CONF_HOST],
        entry.data.get(CONF_PORT, DEFAULT_PORT),
        entry.data[CONF_TOKEN],
        token_mode=token_mode(dict(entry.data)),
        session=async_get_clientsession(hass),
        request_interval=BRIDGE_REQUEST_INTERVAL,
        busy_backoff=BRIDGE_BUSY_BACKOFF,
        request_timeout=BRIDGE_REQUEST_TIMEOUT,
        action_timeout=BRIDGE_ACTION_TIMEOUT,
    )
    try:
        info = await client.info()
    except NukiAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="invalid_auth",
            translation_placeholders={"error": str(err)},
        ) from err
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

    coordinator = NukiCoordinator(hass, entry, client, info, entry.data[CONF_WEBHOOK_ID])
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator

    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **bridge_device_info(coordinator)
    )
    coordinator.async_remove_stale_devices(coordinator.data)

    webhook.async_register(
        hass,
        DOMAIN,
        entry.title,
        coordinator.webhook_id,
        coordinator.async_handle_webhook,
        local_only=True,
        allowed_methods=["POST"],
    )
    entry.async_on_unload(lambda: webhook.async_unregister(hass, coordinator.webhook_id))
    await coordinator.async_setup_push()

    async def _remove_callback_on_stop(_: Event) -> None:
        # A bridge calling a dead address may stop notifying its other clients.
        await coordinator.async_remove_callback()

    entry.async_on_unload(
        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _remove_callback_on_stop)
    )

    _async_attach_bridge_devices(hass, entry, coordinator)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


@callback
def _async_attach_bridge_devices(
    hass: HomeAssistant, entry: NukiConfigEntry, coordinator: NukiCoordinator
) -> None:
    """Give every device the bridge lists to its hub, now and as the list changes."""
    data = async_get_data(hass)
    attached: set[HubKey] = set()

    @callback
    def sync() -> None:
        if coordinator.data is None:
            return
        listed = {hub_key(key[0], key[1]): key for key in coordinator.data}
        for key in listed.keys() - attached:
            attached.add(key)
            data.async_attach_bridge(entry.entry_id, coordinator, listed[key])
        if gone := attached - listed.keys():
            attached.difference_update(gone)
            data.async_detach_entry(entry.entry_id, bridge_keys=gone)

    sync()
    entry.async_on_unload(coordinator.async_add_listener(sync))


async def _async_setup_lock_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
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
    entry.runtime_data = transport
    async_get_data(hass).async_attach_mqtt(entry.entry_id, transport)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: NukiConfigEntry) -> bool:
    unload_ok = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if not unload_ok:
        return False
    # Only now: the other entry of a shared lock may create its entities again.
    async_get_data(hass).async_detach_entry(entry.entry_id)
    runtime = entry.runtime_data
    if isinstance(runtime, MqttLockTransport):
        runtime.async_stop()
    else:
        # Devices another entry still reaches (a Wi-Fi lock's) keep their
        # entities with this integration: that entry creates them again.
        still_running = {hub.unique_id_base for hub in async_get_data(hass).hubs.values()}
        _async_hand_back_unique_ids(hass, entry, keep=still_running)
        await runtime.async_remove_callback()
    return True


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: NukiConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    """Only devices the bridge no longer lists may be deleted by hand."""
    coordinator: NukiCoordinator | MqttLockTransport | None = getattr(entry, "runtime_data", None)
    if not isinstance(coordinator, NukiCoordinator) or coordinator.data is None:
        # A Wi-Fi lock entry is its device: removing the entry removes it.
        return False
    current = {(DOMAIN, coordinator.bridge_id)}
    for device in coordinator.data.values():
        current |= device_identifiers(device.nuki_id, device.device_type)
    return not device_entry.identifiers & current


@callback
def _async_adopt_builtin_entry(hass: HomeAssistant, entry: NukiConfigEntry) -> None:
    """Take over an entry exactly as the built-in integration left it.

    Idempotent, so it runs on every set-up: the built-in's entries have the
    same version as ours and never pass through async_migrate_entry, and
    ``_async_hand_back_unique_ids`` restores the built-in's lock ids whenever
    this integration lets go of the entry.
    """
    updates: dict[str, Any] = {}
    if isinstance(entry.unique_id, int) and not isinstance(entry.unique_id, bool):
        updates["unique_id"] = hex_id(entry.unique_id)
        if entry.title == str(entry.unique_id):
            updates["title"] = updates["unique_id"]
    if not entry.data.get(CONF_WEBHOOK_ID):
        # The built-in used the entry id: guessable, so a new one.
        updates["data"] = {**entry.data, CONF_WEBHOOK_ID: webhook.async_generate_id()}
    if updates:
        hass.config_entries.async_update_entry(entry, **updates)

    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if isinstance(entity.unique_id, str):
            continue
        new_id = str(entity.unique_id)
        if registry.async_get_entity_id(entity.domain, DOMAIN, new_id):
            _LOGGER.info("Removing %s: its string twin already exists", entity.entity_id)
            registry.async_remove(entity.entity_id)
            continue
        _LOGGER.debug("Migrating unique id of %s to %r", entity.entity_id, new_id)
        registry.async_update_entity(entity.entity_id, new_unique_id=new_id)


class _NonStringUniqueIdFilter(logging.Filter):
    """Drops the entity registry's complaint about the int ids handed back on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "non string unique_id" not in str(record.msg)


@callback
def _async_hand_back_unique_ids(
    hass: HomeAssistant, entry: ConfigEntry[Any], *, keep: Container[str] = ()
) -> None:
    """Leave the entry's lock entities with the built-in integration's unique ids.

    The built-in registers a lock or opener under its nukiId as an int, and the
    entity registry tells ``1015571181`` from ``"1015571181"``: after
    ``_async_adopt_builtin_entry`` turned them into strings, the built-in would
    create a second entity next to each (``lock.front_door_2``) and leave the
    user's one unavailable. So whenever this integration stops running the
    entry (unload, Home Assistant stopping) the ints come back; its next set-up
    makes them strings again. Other entities' ids are strings in both.
    Unique ids in ``keep`` stay as they are.
    """
    registry = er.async_get(hass)
    quiet = _NonStringUniqueIdFilter()
    registry_logger = logging.getLogger(er.__name__)
    registry_logger.addFilter(quiet)
    try:
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
            unique_id = entity.unique_id
            if (
                entity.domain != Platform.LOCK
                or entity.platform != DOMAIN
                or not isinstance(unique_id, str)
                or not (unique_id.isascii() and unique_id.isdigit())
                or unique_id in keep
            ):
                continue
            nuki_id = int(unique_id)
            if registry.async_get_entity_id(entity.domain, DOMAIN, nuki_id):  # type: ignore[arg-type]
                continue
            _LOGGER.debug("Handing back unique id %r of %s", nuki_id, entity.entity_id)
            registry.async_update_entity(entity.entity_id, new_unique_id=nuki_id)  # type: ignore[arg-type]
    finally:
        registry_logger.removeFilter(quiet)
