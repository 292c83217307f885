"""Wi-Fi lock entries: unload and reload leave nothing behind; diagnostics; full lock elsewhere."""

from __future__ import annotations

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nuki.const import DOMAIN
from custom_components.nuki.diagnostics import async_get_config_entry_diagnostics
from custom_components.nuki.hubs import async_get_data
from nukilocal.const import LockState
from nukilocal.sim.bridge import BridgeSimulator
from nukilocal.sim.devices import SimSmartLock
from nukilocal.sim.wifilock import WifiLockSimulator

from ..conftest import FRONT_DOOR
from ..devices import one_device
from .conftest import LOCK, LOCK_HEX, LOCK_ID, LOCK_NAME, wait_for_hub, wait_for_state


async def test_unload_and_reload(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    sim_lock: SimSmartLock,
    wifilock: WifiLockSimulator,
) -> None:
    transport = init_lock.runtime_data.mqtt
    assert await hass.config_entries.async_unload(init_lock.entry_id)
    await hass.async_block_till_done()
    assert init_lock.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get(LOCK).state == STATE_UNAVAILABLE
    assert async_get_data(hass).hubs == {}

    # Unsubscribed: the lock moving reaches nobody.
    seen_before = transport.lock
    sim_lock.set_state(LockState.UNLOCKED)
    await sim_lock.wait_for(lambda lock: lock.state is LockState.UNLOCKED, timeout=5)
    await hass.async_block_till_done()
    assert transport.lock is seen_before

    assert await hass.config_entries.async_setup(init_lock.entry_id)
    await hass.async_block_till_done()
    await wait_for_state(hass, LOCK, "unlocked")
    assert len(hass.states.async_entity_ids("lock")) == 1


async def test_rename_in_the_app_reaches_the_device_at_once(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    sim_lock: SimSmartLock,
    device_registry: dr.DeviceRegistry,
) -> None:
    device = one_device(hass, LOCK_HEX)
    assert device is not None
    assert device.name == LOCK_NAME
    sim_lock.set_identity(name="Chalet", firmware_version="4.3.0")
    await wait_for_hub(hass, lambda hub: hub.firmware == "4.3.0" and hub.name == "Chalet")
    device = one_device(hass, LOCK_HEX)
    assert device is not None
    assert (device.name, device.sw_version) == ("Chalet", "4.3.0")
    state = hass.states.get(LOCK)
    assert state is not None
    assert state.attributes["friendly_name"] == "Chalet"


async def test_diagnostics(
    hass: HomeAssistant, init_lock: MockConfigEntry, mqtt_entry: MockConfigEntry
) -> None:
    diagnostics = await async_get_config_entry_diagnostics(hass, init_lock)
    assert diagnostics["entry"]["data"] == {"lock_id": LOCK_HEX}
    lock = diagnostics["mqtt_lock"]
    assert lock["nuki_id"] == LOCK_ID
    assert lock["name"] == "Maison"
    assert lock["connected"] is True
    assert lock["state"]["state"] == LockState.LOCKED
    assert diagnostics["device"]["command_transport"] == "mqtt"
    assert diagnostics["device"]["owner_is_this_entry"] is True
    assert diagnostics["transport"]["broker_connected"] is True
    # The broker's address and credentials belong to the MQTT entry, not here.
    text = str(diagnostics)
    assert str(mqtt_entry.data["port"]) not in text
    assert mqtt.DOMAIN not in diagnostics["entry"]["data"]


async def test_full_lock_ignored_without_mqtt(
    hass: HomeAssistant, init_integration: MockConfigEntry, bridge: BridgeSimulator
) -> None:
    """Bridge-only locks and openers: nothing is sent, nothing fails."""
    for entity_id in ("lock.front_door", "lock.building_entrance"):
        await hass.services.async_call(DOMAIN, "full_lock", {"entity_id": entity_id}, blocking=True)
    assert bridge.stats.requests["/lockAction"] == 0
    assert bridge.device(FRONT_DOOR).state_id == LockState.LOCKED
