"""A Smart Lock paired with a bridge and on MQTT: one device, one set of entities.

The same :class:`SimSmartLock` sits in the bridge stand-in and behind the Wi-Fi
stand-in, as a real lock does. Commands go over MQTT while the lock is
connected there and over the bridge when it is not.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest
from homeassistant.components.lock import LockState as HaLockState
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nuki.compat import PER_ENTRY_DEVICES
from custom_components.nuki.const import DOMAIN
from custom_components.nuki.hubs import async_get_data
from nukilocal.models import hex_id
from nukilocal.sim.bridge import BridgeSimulator
from nukilocal.sim.devices import SimSmartLock
from nukilocal.sim.wifilock import WifiLockSimulator
from tests.support.bridge import bridge_standin

from ..conftest import bridge_entry
from ..devices import entries_of, one_device
from ..helpers import push_poll
from .conftest import (
    LOCK,
    LOCK_ACTION_EVENT,
    LOCK_HEX,
    LOCK_ID,
    LOCK_NAME,
    LockFactory,
    record_states,
    wait_for_hub,
    wait_for_state,
)

LOCK_ACTION = "/lockAction"
DOOR_SENSOR_BATTERY = f"binary_sensor.{LOCK_NAME.lower()}_door_sensor_battery"
BLUETOOTH_SIGNAL = f"{LOCK_ID}_bluetooth_signal"


@pytest.fixture
async def shared_bridge(
    socket_enabled: None, sim_lock: SimSmartLock
) -> AsyncGenerator[BridgeSimulator]:
    async with bridge_standin(devices=[sim_lock]) as sim:
        yield sim


@pytest.fixture
async def setup_bridge(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    push_url: str,
    shared_bridge: BridgeSimulator,
) -> AsyncGenerator[LockFactory]:
    """Bridge entries with push; MQTT is set up first (the test HTTP server freezes routes)."""
    entries: list[MockConfigEntry] = []

    async def setup() -> MockConfigEntry:
        entry = bridge_entry(shared_bridge)
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        entries.append(entry)
        return entry

    yield setup
    # While the stand-in still answers: the entry takes its callback off it.
    for entry in entries:
        if entry.state is ConfigEntryState.LOADED:
            assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def nuki_entities(registry: er.EntityRegistry) -> list[er.RegistryEntry]:
    return [e for e in registry.entities.values() if e.platform == DOMAIN]


def assert_one_set(hass: HomeAssistant, registry: er.EntityRegistry, owner: str) -> None:
    """Every entity of the lock exists once, under its usual id, owned by ``owner``."""
    lock_entities = [
        e for e in nuki_entities(registry) if e.unique_id.split("_")[0] == str(LOCK_ID)
    ]
    unique_ids = [e.unique_id for e in lock_entities]
    assert len(unique_ids) == len(set(unique_ids))
    # The bridge's Bluetooth signal of the lock is the owner's while a bridge
    # reaches the lock; otherwise it stays where it was, unavailable.
    reached = async_get_data(hass).hubs[(LOCK_ID, False)].bridge is not None
    owned = [e for e in lock_entities if reached or e.unique_id != BLUETOOTH_SIGNAL]
    assert {e.config_entry_id for e in owned} == {owner}
    assert hass.states.async_entity_ids("lock") == [LOCK]
    assert registry.async_get_entity_id("lock", DOMAIN, str(LOCK_ID)) == LOCK
    assert registry.async_get_entity_id("event", DOMAIN, f"{LOCK_ID}_lock_action") == (
        LOCK_ACTION_EVENT
    )
    assert not [e for e in lock_entities if e.entity_id.endswith("_2")]


async def test_bridge_first_then_mqtt(
    hass: HomeAssistant,
    shared_bridge: BridgeSimulator,
    wifilock: WifiLockSimulator,
    sim_lock: SimSmartLock,
    setup_bridge: LockFactory,
    setup_lock: LockFactory,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    bridge_entry = await setup_bridge()
    assert hass.states.get(LOCK).state == HaLockState.LOCKED
    # Bridge only: no lock action events, full lock ignored.
    assert hass.states.get(LOCK_ACTION_EVENT) is None
    lock_entry = await setup_lock()
    await wait_for_state(hass, LOCK_ACTION_EVENT, "unknown")
    assert_one_set(hass, entity_registry, bridge_entry.entry_id)

    device = one_device(hass, LOCK_HEX)
    assert device is not None
    # One device: linked to both entries, or since Home Assistant 2026.8 (a
    # device belongs to one entry) the first one's, which holds the entities.
    if PER_ENTRY_DEVICES:
        assert entries_of(device) == {bridge_entry.entry_id}
    else:
        assert entries_of(device) == {bridge_entry.entry_id, lock_entry.entry_id}
    bridge_device = one_device(hass, hex_id(shared_bridge.hardware_id))
    assert device.via_device_id == bridge_device.id
    assert len(dr.async_entries_for_config_entry(device_registry, lock_entry.entry_id)) == (
        0 if PER_ENTRY_DEVICES else 1
    )

    # MQTT connected: the command goes there, the bridge sees none.
    with record_states(hass, LOCK) as seen:
        await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
        await sim_lock.wait_for(lambda lock: not lock.busy, timeout=5)
        await wait_for_state(hass, LOCK, HaLockState.UNLOCKED)
        # The bridge's callbacks of the same moves arrive later; they change nothing.
        posted = shared_bridge.stats.callbacks_posted
        await shared_bridge.drain_callbacks()
        await hass.async_block_till_done()
    assert seen == [HaLockState.UNLOCKING, HaLockState.UNLOCKED]
    # The bridge did report the moves (unlocking, unlocked) by callback.
    assert posted >= 2
    assert wifilock.commands_received == 1
    assert shared_bridge.stats.requests[LOCK_ACTION] == 0

    # MQTT gone (last will): still available through the bridge, commands go there.
    assert hass.states.get(DOOR_SENSOR_BATTERY).state == "off"
    wifilock.go_offline()
    await wait_for_hub(hass, lambda hub: not hub.mqtt_connected)
    assert hass.states.get(LOCK).state == HaLockState.UNLOCKED
    # What only MQTT reports has no source now: unavailable, not stale.
    for entity_id in (LOCK_ACTION_EVENT, DOOR_SENSOR_BATTERY):
        assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
    assert hass.states.get(f"binary_sensor.{LOCK_NAME.lower()}_battery_critical").state == "off"
    await hass.services.async_call("lock", "lock", {"entity_id": LOCK}, blocking=True)
    await wait_for_state(hass, LOCK, HaLockState.LOCKED)
    assert shared_bridge.stats.requests[LOCK_ACTION] == 1
    assert wifilock.commands_received == 1

    # Full lock needs MQTT: refused with a clear error while it is down.
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(DOMAIN, "full_lock", {"entity_id": LOCK}, blocking=True)
    assert caught.value.translation_key == "mqtt_not_connected"

    # Back on MQTT: commands go there again.
    wifilock.go_online()
    await wait_for_hub(hass, lambda hub: hub.mqtt_connected)
    assert hass.states.get(DOOR_SENSOR_BATTERY).state == "off"
    assert hass.states.get(LOCK_ACTION_EVENT).state != STATE_UNAVAILABLE
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    await wait_for_state(hass, LOCK, HaLockState.UNLOCKED)
    assert wifilock.commands_received == 2
    assert shared_bridge.stats.requests[LOCK_ACTION] == 1


async def test_mqtt_first_then_bridge(
    hass: HomeAssistant,
    shared_bridge: BridgeSimulator,
    wifilock: WifiLockSimulator,
    setup_bridge: LockFactory,
    setup_lock: LockFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    lock_entry = await setup_lock()
    before = {e.unique_id: e.entity_id for e in nuki_entities(entity_registry)}
    bridge_entry = await setup_bridge()
    assert_one_set(hass, entity_registry, lock_entry.entry_id)
    after = {e.unique_id: e.entity_id for e in nuki_entities(entity_registry)}
    # The bridge added only its own entities, and the lock's Bluetooth signal
    # it reports (an entity of the lock: the owner's).
    assert {k: v for k, v in after.items() if k in before} == before
    assert {
        e.config_entry_id
        for e in nuki_entities(entity_registry)
        if e.unique_id not in before and e.unique_id != BLUETOOTH_SIGNAL
    } == {bridge_entry.entry_id}
    signal = entity_registry.async_get_entity_id("sensor", DOMAIN, BLUETOOTH_SIGNAL)
    assert signal is not None
    assert entity_registry.async_get(signal).config_entry_id == lock_entry.entry_id
    assert hass.states.get(LOCK).state == HaLockState.LOCKED


async def test_owner_unloads_other_takes_over(
    hass: HomeAssistant,
    shared_bridge: BridgeSimulator,
    wifilock: WifiLockSimulator,
    setup_bridge: LockFactory,
    setup_lock: LockFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    bridge_entry = await setup_bridge()
    lock_entry = await setup_lock()
    await wait_for_state(hass, LOCK_ACTION_EVENT, "unknown")
    ids = {e.unique_id: e.entity_id for e in nuki_entities(entity_registry)}

    assert await hass.config_entries.async_unload(bridge_entry.entry_id)
    await hass.async_block_till_done()
    # Same entity ids, now the Wi-Fi lock entry's, and live over MQTT.
    assert_one_set(hass, entity_registry, lock_entry.entry_id)
    assert hass.states.get(LOCK).state == HaLockState.LOCKED
    # All but the bridge's Bluetooth signal of the lock: no bridge reaches it now
    # (Home Assistant 2026.8 and later remove it with the device's old entry).
    left = {e.unique_id: e.entity_id for e in nuki_entities(entity_registry)}
    assert left | {BLUETOOTH_SIGNAL: ids[BLUETOOTH_SIGNAL]} == ids

    assert await hass.config_entries.async_setup(bridge_entry.entry_id)
    await hass.async_block_till_done()
    assert_one_set(hass, entity_registry, lock_entry.entry_id)

    # Reload of the owner: entities come back, under the same ids, without leftovers.
    assert await hass.config_entries.async_reload(lock_entry.entry_id)
    await hass.async_block_till_done()
    assert_one_set(hass, entity_registry, bridge_entry.entry_id)
    assert {e.unique_id: e.entity_id for e in nuki_entities(entity_registry)} == ids
    await wait_for_state(hass, LOCK, HaLockState.LOCKED)

    for entry in (bridge_entry, lock_entry):
        assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert async_get_data(hass).hubs == {}
    assert hass.states.get(LOCK).state == STATE_UNAVAILABLE


async def test_bridge_unpairs_the_lock_mqtt_keeps_it(
    hass: HomeAssistant,
    shared_bridge: BridgeSimulator,
    wifilock: WifiLockSimulator,
    sim_lock: SimSmartLock,
    setup_bridge: LockFactory,
    setup_lock: LockFactory,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The bridge stops listing a lock that is still on MQTT: same entities, now MQTT's."""
    bridge_entry = await setup_bridge()
    lock_entry = await setup_lock()
    await wait_for_state(hass, LOCK_ACTION_EVENT, "unknown")
    ids = {e.unique_id: e.entity_id for e in nuki_entities(entity_registry)}
    lock_ids = {k: v for k, v in ids.items() if k.split("_")[0] == str(LOCK_ID)}

    shared_bridge.remove_device(LOCK_ID)
    await push_poll(hass)

    device = one_device(hass, LOCK_HEX)
    assert device is not None
    assert entries_of(device) == {lock_entry.entry_id}
    assert_one_set(hass, entity_registry, lock_entry.entry_id)
    after = {e.unique_id: e.entity_id for e in nuki_entities(entity_registry)}
    # Every entity of the lock is still there under its id (MQTT reports all
    # that the bridge did for this lock), but the bridge's Bluetooth signal of it.
    del lock_ids[BLUETOOTH_SIGNAL]
    assert {k: v for k, v in after.items() if k in lock_ids} == lock_ids
    assert BLUETOOTH_SIGNAL not in after
    assert hass.states.get(LOCK).state == HaLockState.LOCKED
    sim_lock.turn_knob(lock=False)
    await wait_for_state(hass, LOCK, HaLockState.UNLOCKED)
    assert bridge_entry.state is ConfigEntryState.LOADED
