"""A smart lock and an opener with the same nukiId on one bridge.

A nukiId is unique only together with the device type. The built-in
integration gives both the same unique ids and device identifier; here the
one that holds them keeps them (the smart lock when nobody does yet), and the
other gets ids with its type added, for good: whatever the order of /list,
and when the second device is paired later.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest
from homeassistant.components.lock import LockState as HaLockState
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.nuki.const import DOMAIN
from nukilocal.const import DeviceType, OpenerState
from nukilocal.models import hex_id
from nukilocal.sim.bridge import BridgeSimulator
from nukilocal.sim.devices import SimDevice, SimOpener, SimSmartLock
from tests.support.bridge import bridge_standin

from .conftest import SetupIntegration, bridge_entry
from .devices import one_device
from .helpers import call, push_poll

SHARED = 305419896  # 0x12345678
HEX = hex_id(SHARED)
GATE_LOCK = "lock.garden_gate"
INTERCOM = "lock.intercom"


def garden_gate() -> SimSmartLock:
    return SimSmartLock(SHARED, "Garden gate", device_type=DeviceType.SMARTLOCK_3)


def intercom() -> SimOpener:
    return SimOpener(SHARED, "Intercom")


async def start(devices: list[SimDevice]) -> BridgeSimulator:
    sim = bridge_standin(devices=devices)
    await sim.start()
    return sim


@pytest.fixture
async def stopper(hass: HomeAssistant) -> AsyncGenerator[list[BridgeSimulator]]:
    """Stand-ins to stop at the end, after the entries took their callbacks off them."""
    started: list[BridgeSimulator] = []
    yield started
    for entry in hass.config_entries.async_entries(DOMAIN):
        await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    for sim in started:
        await sim.stop()


def identifier(unique_id_base: str) -> str:
    """The device identifier that goes with a lock entity's unique id."""
    return HEX + unique_id_base.removeprefix(str(SHARED))


def assert_split(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    *,
    lock_base: str,
    opener_base: str,
) -> None:
    """Two devices, two lock entities; each entity on its own device."""
    lock_device = one_device(hass, identifier(lock_base))
    opener_device = one_device(hass, identifier(opener_base))
    assert lock_device is not None
    assert opener_device is not None
    assert lock_device.id != opener_device.id
    assert lock_device.model == "Smart Lock 3.0/4th generation"
    assert opener_device.model == "Opener"
    gate = entity_registry.async_get(GATE_LOCK)
    door = entity_registry.async_get(INTERCOM)
    assert gate is not None
    assert door is not None
    assert (gate.unique_id, gate.device_id) == (lock_base, lock_device.id)
    assert (door.unique_id, door.device_id) == (opener_base, opener_device.id)
    ring = entity_registry.async_get_entity_id("binary_sensor", DOMAIN, f"{opener_base}_ringaction")
    assert ring == "binary_sensor.intercom_ring_action"


@pytest.mark.parametrize("opener_first", [False, True])
async def test_lock_keeps_the_plain_ids(
    hass: HomeAssistant,
    socket_enabled: None,
    push_url: str,
    stopper: list[BridgeSimulator],
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    opener_first: bool,
) -> None:
    devices: list[SimDevice] = [garden_gate(), intercom()]
    if opener_first:
        devices.reverse()
    sim = await start(devices)
    stopper.append(sim)
    entry = await setup_integration(bridge_entry(sim))
    assert_split(
        hass,
        entity_registry,
        device_registry,
        lock_base=str(SHARED),
        opener_base=f"{SHARED}_opener",
    )
    # Each entity commands its own device.
    await call(hass, "unlock", INTERCOM)
    assert sim.opener(SHARED).state is OpenerState.RTO_ACTIVE
    assert hass.states.get(GATE_LOCK).state == HaLockState.LOCKED
    await call(hass, "unlock", GATE_LOCK)
    await sim.drain_callbacks()
    await hass.async_block_till_done()
    assert hass.states.get(GATE_LOCK).state == HaLockState.UNLOCKED
    assert hass.states.get(INTERCOM).state == HaLockState.UNLOCKED

    # A ring names the opener's entity, once.
    rings = async_capture_events(hass, "nuki_event")
    sim.opener(SHARED).ring()
    await sim.drain_callbacks()
    await hass.async_block_till_done()
    assert [e.data for e in rings] == [{"type": "ring", "entity_id": INTERCOM}]

    # A reload, and /list in the other order: nothing moves.
    sim.remove_device(SHARED, DeviceType.SMARTLOCK_3)
    sim.add_device(garden_gate())
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert_split(
        hass,
        entity_registry,
        device_registry,
        lock_base=str(SHARED),
        opener_base=f"{SHARED}_opener",
    )


async def test_paired_later_the_newcomer_is_qualified(
    hass: HomeAssistant,
    socket_enabled: None,
    push_url: str,
    stopper: list[BridgeSimulator],
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The opener had the plain ids alone; a lock with its number must not take them."""
    sim = await start([intercom()])
    stopper.append(sim)
    entry = await setup_integration(bridge_entry(sim))
    door = entity_registry.async_get(INTERCOM)
    assert door is not None
    assert door.unique_id == str(SHARED)

    sim.add_device(garden_gate())
    await push_poll(hass)
    assert_split(
        hass,
        entity_registry,
        device_registry,
        lock_base=f"{SHARED}_smartlock",
        opener_base=str(SHARED),
    )
    await call(hass, "unlock", INTERCOM)
    assert sim.opener(SHARED).state is OpenerState.RTO_ACTIVE
    assert sim.device(SHARED, DeviceType.SMARTLOCK_3).state_name == "locked"

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert_split(
        hass,
        entity_registry,
        device_registry,
        lock_base=f"{SHARED}_smartlock",
        opener_base=str(SHARED),
    )
