"""Entries and registries exactly as Home Assistant's built-in nuki integration leaves them."""

from __future__ import annotations

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from custom_components.nuki.const import CONF_ENCRYPT_TOKEN, CONF_WEBHOOK_ID, DOMAIN
from nukilocal.const import TokenMode
from nukilocal.models import hex_id
from nukilocal.sim.bridge import BridgeSimulator

from .conftest import FRONT_DOOR, OPENER, SetupIntegration, builtin_entry
from .devices import one_device

# Registry entries of the built-in integration; the lock's unique id is an int.
BUILTIN_ENTITIES = [
    ("lock", FRONT_DOOR, "lock.haustur"),
    ("lock", OPENER, "lock.building_entrance"),
    ("binary_sensor", f"{FRONT_DOOR}_doorsensor", "binary_sensor.haustur"),
    ("binary_sensor", f"{FRONT_DOOR}_battery_critical", "binary_sensor.haustur_battery"),
    ("binary_sensor", f"{OPENER}_ringaction", "binary_sensor.building_entrance_ring_action"),
    ("sensor", f"{FRONT_DOOR}_battery_level", "sensor.haustur_battery"),
]


@pytest.mark.usefixtures("no_local_url")
async def test_builtin_entry_loads_unchanged_ids(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    entry = builtin_entry(bridge)
    entry.add_to_hass(hass)
    device = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, hex_id(FRONT_DOOR))},
        name="Front door",
    )
    for domain, unique_id, entity_id in BUILTIN_ENTITIES:
        entity_registry.async_get_or_create(
            domain,
            DOMAIN,
            unique_id,
            config_entry=entry,
            suggested_object_id=entity_id.split(".")[1],
            device_id=device.id if str(FRONT_DOOR) in str(unique_id) else None,
        )
    assert entity_registry.async_get("lock.haustur").unique_id == FRONT_DOOR

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    for _domain, unique_id, entity_id in BUILTIN_ENTITIES:
        registered = entity_registry.async_get(entity_id)
        assert registered is not None, entity_id
        assert registered.unique_id == str(unique_id)
        assert hass.states.get(entity_id).state != "unavailable", entity_id
    assert hass.states.get("lock.haustur").state == "locked"
    assert hass.states.get("binary_sensor.haustur").state == "off"
    assert hass.states.get("sensor.haustur_battery").state == "96"
    # No twins were created next to the migrated entities.
    assert hass.states.get("lock.front_door") is None
    assert one_device(hass, hex_id(FRONT_DOOR)).id == device.id

    webhook_id = entry.data[CONF_WEBHOOK_ID]
    assert len(webhook_id) == 64
    assert webhook_id != entry.entry_id
    assert entry.runtime_data.bridge.client.token_mode is TokenMode.ENCRYPTED

    # Idempotent: a reload keeps the same webhook id and ids.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.data[CONF_WEBHOOK_ID] == webhook_id
    assert entity_registry.async_get("lock.haustur").unique_id == str(FRONT_DOOR)


@pytest.mark.usefixtures("no_local_url")
async def test_plain_token_entry(
    hass: HomeAssistant, bridge: BridgeSimulator, setup_integration: SetupIntegration
) -> None:
    entry = builtin_entry(bridge)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_ENCRYPT_TOKEN: False})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.bridge.client.token_mode is TokenMode.PLAIN


@pytest.mark.usefixtures("no_local_url")
async def test_int_entry_unique_id_migrated(
    hass: HomeAssistant, bridge: BridgeSimulator, setup_integration: SetupIntegration
) -> None:
    """The oldest built-in entries stored the bridge id as an int, also as title."""
    entry = builtin_entry(bridge, unique_id=bridge.hardware_id, title=str(bridge.hardware_id))
    await setup_integration(entry)
    assert entry.unique_id == "3C622613"
    assert entry.title == "3C622613"


@pytest.mark.usefixtures("no_local_url")
async def test_int_and_str_twins(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
) -> None:
    """Should both exist, the string one wins and the int one is dropped."""
    entry = builtin_entry(bridge)
    entry.add_to_hass(hass)
    entity_registry.async_get_or_create(
        "lock", DOMAIN, FRONT_DOOR, config_entry=entry, suggested_object_id="old"
    )
    entity_registry.async_get_or_create(
        "lock", DOMAIN, str(FRONT_DOOR), config_entry=entry, suggested_object_id="new"
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entity_registry.async_get("lock.old") is None
    assert hass.states.get("lock.new").state == "locked"
