"""Set-up, unload, reload and device handling against the bridge stand-in."""

from __future__ import annotations

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nuki.const import DOMAIN
from nukilocal.models import hex_id
from nukilocal.sim.bridge import BridgeSimulator
from nukilocal.sim.devices import SimSmartLock

from .conftest import BACK_DOOR, FRONT_DOOR, OPENER, WEBHOOK_ID, SetupIntegration, entry_data
from .devices import one_device
from .helpers import poll


async def test_setup_unload_reload(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    push_url: str,
    init_integration_push: MockConfigEntry,
) -> None:
    entry = init_integration_push
    assert hass.states.get("lock.front_door").state == "locked"
    assert WEBHOOK_ID in hass.data["webhook"]
    assert len(bridge.callback_urls) == 1

    # Reloading twice: no "handler already defined", one callback at the bridge.
    for _ in range(2):
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert bridge.callback_urls == [f"{push_url}/api/webhook/{WEBHOOK_ID}"]

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert WEBHOOK_ID not in hass.data["webhook"]
    assert bridge.callback_urls == []
    assert hass.states.get("lock.front_door").state == "unavailable"


async def test_remove_entry_removes_callback(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    assert bridge.callback_urls
    await hass.config_entries.async_remove(init_integration_push.entry_id)
    await hass.async_block_till_done()
    assert bridge.callback_urls == []


async def test_bridge_down_not_ready(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
) -> None:
    await bridge.stop()
    await setup_integration(mock_config_entry, ConfigEntryState.SETUP_RETRY)
    assert "Cannot reach the Nuki Bridge" in mock_config_entry.reason
    assert WEBHOOK_ID not in hass.data.get("webhook", {})


async def test_garbled_answer_not_ready(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
) -> None:
    """A cut-off /info answer: retry later, nothing half set up."""
    bridge.faults.truncated = 1
    await setup_integration(mock_config_entry, ConfigEntryState.SETUP_RETRY)
    assert WEBHOOK_ID not in hass.data.get("webhook", {})


async def test_wrong_token_starts_reauth(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    setup_integration: SetupIntegration,
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=hex_id(bridge.hardware_id),
        data=entry_data(bridge, token="wrongtoken"),
    )
    await setup_integration(entry, ConfigEntryState.SETUP_ERROR)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == ["reauth"]


async def test_other_bridge_at_address_not_ready(
    hass: HomeAssistant, bridge: BridgeSimulator, setup_integration: SetupIntegration
) -> None:
    entry = MockConfigEntry(domain=DOMAIN, unique_id="ABCDEF01", data=entry_data(bridge))
    await setup_integration(entry, ConfigEntryState.SETUP_RETRY)
    assert "not the configured bridge ABCDEF01" in entry.reason


async def test_devices_linked_to_bridge(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    bridge: BridgeSimulator,
    device_registry: dr.DeviceRegistry,
) -> None:
    bridge_device = one_device(hass, hex_id(bridge.hardware_id))
    assert bridge_device is not None
    assert bridge_device.name == "Nuki Bridge 3C622613"
    assert bridge_device.model == "Hardware Bridge"
    assert bridge_device.sw_version == "2.17.0"
    for nuki_id in (FRONT_DOOR, BACK_DOOR, OPENER):
        device = one_device(hass, hex_id(nuki_id))
        assert device is not None
        assert device.via_device_id == bridge_device.id


async def test_renamed_and_updated_device_follows_without_reload(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    front = one_device(hass, hex_id(FRONT_DOOR))
    assert front is not None
    assert (front.name, front.sw_version) == ("Front door", "4.2.6")
    bridge.device(FRONT_DOOR).set_identity(name="Porch", firmware_version="4.3.0")
    bridge.device(BACK_DOOR).set_identity(name="Cellar")
    back = one_device(hass, hex_id(BACK_DOOR))
    assert back is not None
    # A name given in Home Assistant wins over the Nuki app's.
    device_registry.async_update_device(back.id, name_by_user="Garden gate")
    await poll(hass)
    front = one_device(hass, hex_id(FRONT_DOOR))
    back = one_device(hass, hex_id(BACK_DOOR))
    assert front is not None
    assert back is not None
    assert (front.name, front.sw_version) == ("Porch", "4.3.0")
    assert (back.name, back.name_by_user) == ("Cellar", "Garden gate")
    # Entity ids stay; the names shown follow the device.
    assert hass.states.get("lock.front_door").attributes["friendly_name"] == "Porch"
    assert hass.states.get("lock.back_door").attributes["friendly_name"] == "Garden gate"
    assert hass.states.get("sensor.front_door_battery").attributes["friendly_name"] == (
        "Porch Battery"
    )


async def test_new_and_stale_devices(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    hass_ws_client,
) -> None:
    bridge.add_device(SimSmartLock(123456789, "Garage", battery_level=50))
    await poll(hass)
    assert hass.states.get("lock.garage").state == "locked"
    assert hass.states.get("sensor.garage_battery").state == "50"

    # A device the bridge still lists cannot be deleted by hand.
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    garage = one_device(hass, hex_id(123456789))
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": init_integration.entry_id,
            "device_id": garage.id,
        }
    )
    assert not (await client.receive_json())["success"]

    bridge.remove_device(BACK_DOOR)
    await poll(hass)
    assert one_device(hass, hex_id(BACK_DOOR)) is None
    assert entity_registry.async_get_entity_id("lock", DOMAIN, str(BACK_DOOR)) is None
    assert hass.states.get("lock.back_door") is None
    assert hass.states.get("lock.front_door").state == "locked"


@pytest.mark.usefixtures("no_local_url")
async def test_stale_device_removed_at_setup(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
    device_registry: dr.DeviceRegistry,
) -> None:
    mock_config_entry.add_to_hass(hass)
    device_registry.async_get_or_create(
        config_entry_id=mock_config_entry.entry_id, identifiers={(DOMAIN, "DEADBEEF")}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert one_device(hass, "DEADBEEF") is None
    assert one_device(hass, hex_id(FRONT_DOOR)) is not None
