"""Back to Home Assistant's built-in nuki integration after this one used the entry.

The built-in integration (``homeassistant.components.nuki``, on ``pynuki``) and
this one share the domain; the harness loads ours. These tests make Home
Assistant's loader take the built-in one for a while, as it does once
``custom_components/nuki`` is removed: a bridge entry goes built-in -> ours ->
built-in against the bridge stand-in on a real socket, callbacks included.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Generator
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant import config_entries, loader
from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN
from homeassistant.components.lock import LockState as HaLockState
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    EVENT_HOMEASSISTANT_FINAL_WRITE,
    EVENT_HOMEASSISTANT_STOP,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pynuki import NukiBridge
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nuki.config_flow import NukiConfigFlow
from custom_components.nuki.const import (
    CONF_ENCRYPT_TOKEN,
    CONF_TOKEN_MODE,
    CONF_WEBHOOK_ID,
    DOMAIN,
)
from nukilocal.const import TokenMode
from nukilocal.models import hex_id
from nukilocal.sim.bridge import BridgeSimulator

from .conftest import FRONT_DOOR, OPENER, SetupIntegration, builtin_entry, entry_data

# pynuki 1.7 (the harness's) on Python 3.12+; the built-in's library, not ours.
pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")

FRONT = "lock.front_door"
ENTRANCE = "lock.building_entrance"

# A config flow class registers itself for its domain when its module is first
# imported; the built-in's must not displace ours for the tests that follow.
with patch.dict(config_entries.HANDLERS):
    BUILTIN_FLOW = importlib.import_module(f"homeassistant.components.{DOMAIN}.config_flow")
BUILTIN = importlib.import_module(f"homeassistant.components.{DOMAIN}")


@pytest.fixture(autouse=True)
def quick_pynuki(monkeypatch: pytest.MonkeyPatch) -> None:
    """pynuki 1.7 pauses 0.5 s between two requests to a bridge; the stand-in needs none."""
    if "min_request_gap" in inspect.signature(NukiBridge).parameters:
        monkeypatch.setattr(
            BUILTIN,
            "NukiBridge",
            functools.partial(NukiBridge, min_request_gap=0.005),
        )


@pytest.fixture(autouse=True)
def restore_flow_handlers() -> Generator[None]:
    """The tests switch the domain's config flow between both integrations."""
    with patch.dict(config_entries.HANDLERS, {DOMAIN: NukiConfigFlow}):
        yield


def use_integration(hass: HomeAssistant, *, builtin: bool) -> None:
    """Make the loader hand out the built-in integration, or ours again.

    The loader caches the integration of a domain, its modules and the list of
    custom integrations in ``hass.data``: without them it looks everything up
    anew, as after a restart, and an empty list of custom integrations is what
    a removed ``custom_components/nuki`` looks like. The domain stays in
    ``hass.config.components``: the built-in releases the harness runs have no
    ``async_setup`` that would have to run again.
    """
    hass.data[loader.DATA_INTEGRATIONS].pop(DOMAIN, None)
    for cache in (hass.data[loader.DATA_COMPONENTS], hass.data[loader.DATA_MISSING_PLATFORMS]):
        for name in [name for name in cache if name.split(".")[0] == DOMAIN]:
            del cache[name]
    # What either left in hass.data under the domain (the built-in of 2025.4 an
    # empty dict) would not survive a restart either.
    hass.data.pop(DOMAIN, None)
    if builtin:
        hass.data[loader.DATA_CUSTOM_COMPONENTS] = {}
        config_entries.HANDLERS[DOMAIN] = BUILTIN_FLOW.NukiConfigFlow
    else:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
        config_entries.HANDLERS[DOMAIN] = NukiConfigFlow


async def set_up(hass: HomeAssistant, entry: MockConfigEntry, *, builtin: bool) -> None:
    """Set the entry up with the integration the loader hands out now.

    An entry keeps the integration of its first set-up for everything it does
    later (after a restart it is a new entry object): once the domain is set
    up, the entry is handed the integration, under its set-up lock as Home
    Assistant's config entries manager does it.
    """
    use_integration(hass, builtin=builtin)
    integration = await loader.async_get_integration(hass, DOMAIN)
    if DOMAIN in hass.config.components:
        async with entry.setup_lock:
            await entry.async_setup(hass, integration=integration)
    else:
        assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert integration.is_built_in is builtin
    package = "homeassistant.components" if builtin else "custom_components"
    modules = {
        type(entity).__module__
        for entity in hass.data[LOCK_DOMAIN].entities
        if entity.platform is not None and entity.platform.platform_name == DOMAIN
    }
    assert modules == {f"{package}.{DOMAIN}.lock"}


async def unload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload the entry with the integration it was last set up with (see :func:`set_up`)."""
    integration = await loader.async_get_integration(hass, DOMAIN)
    async with entry.setup_lock:
        assert await entry.async_unload(hass, integration=integration)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED


async def turn_knob(hass: HomeAssistant, bridge: BridgeSimulator, *, lock: bool) -> None:
    """Turn the front door's knob; the bridge's callback is all that tells Home Assistant."""
    requests = bridge.stats.total_requests
    bridge.lock(FRONT_DOOR).turn_knob(lock=lock)
    await bridge.drain_callbacks()
    await hass.async_block_till_done()
    assert bridge.stats.total_requests == requests


def registered_ids(registry: er.EntityRegistry, entry: MockConfigEntry) -> dict[str, str]:
    """Entity id -> registry id (which automations by device or entity id hold)."""
    return {
        entity.entity_id: entity.id
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id)
    }


async def test_builtin_after_this_integration(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    push_url: str,
    entity_registry: er.EntityRegistry,
) -> None:
    """Built-in -> ours -> built-in: the built-in gets its entities back, working."""
    entry = builtin_entry(bridge)
    entry.add_to_hass(hass)
    builtin_callback = f"{push_url}/api/webhook/{entry.entry_id}"

    # The built-in integration, as the user had it before.
    await set_up(hass, entry, builtin=True)
    builtin_entities = registered_ids(entity_registry, entry)
    lock_entry = entity_registry.async_get(FRONT)
    assert lock_entry is not None
    assert lock_entry.unique_id == FRONT_DOOR
    assert entity_registry.async_get(ENTRANCE).unique_id == OPENER
    assert hass.states.get(FRONT).state == HaLockState.LOCKED
    assert bridge.callback_urls == [builtin_callback]
    await unload(hass, entry)
    assert bridge.callback_urls == []

    # This integration takes the entry and its entities over.
    await set_up(hass, entry, builtin=False)
    assert entity_registry.async_get(FRONT).id == lock_entry.id
    assert hass.states.get(FRONT).state == HaLockState.LOCKED
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    assert bridge.callback_urls == [f"{push_url}/api/webhook/{webhook_id}"]
    await turn_knob(hass, bridge, lock=False)
    assert hass.states.get(FRONT).state == HaLockState.UNLOCKED
    ours = registered_ids(entity_registry, entry)
    assert builtin_entities.items() <= ours.items()
    await unload(hass, entry)
    assert bridge.callback_urls == []

    # Back to the built-in integration with the same entry.
    await set_up(hass, entry, builtin=True)
    assert entry.data[CONF_ENCRYPT_TOKEN] is True
    assert bridge.callback_urls == [builtin_callback]
    # The same registry entries and ids, no twins (lock.front_door_2) next to them.
    assert registered_ids(entity_registry, entry) == ours
    for entity_id, unique_id in ((FRONT, FRONT_DOOR), (ENTRANCE, OPENER)):
        assert entity_registry.async_get(entity_id).unique_id == unique_id
    assert entity_registry.async_get(FRONT).device_id == lock_entry.device_id
    # Every entity the built-in had works again; only this integration's extras
    # (bridge, events, keypad, ...) wait, unavailable, for its return.
    for entity_id in builtin_entities:
        state = hass.states.get(entity_id)
        assert state is None or state.state != STATE_UNAVAILABLE, entity_id
    assert hass.states.get(FRONT).state == HaLockState.UNLOCKED

    # And it follows the bridge's callbacks.
    await turn_knob(hass, bridge, lock=True)
    assert hass.states.get(FRONT).state == HaLockState.LOCKED
    await unload(hass, entry)
    assert bridge.callback_urls == []


async def test_builtin_after_entry_of_this_integration(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    push_url: str,
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
) -> None:
    """An entry this integration created (hashed token) works with the built-in too."""
    bridge_id = hex_id(bridge.hardware_id)
    data = entry_data(bridge, **{CONF_ENCRYPT_TOKEN: False, CONF_TOKEN_MODE: "hashed"})
    entry = MockConfigEntry(domain=DOMAIN, title=bridge_id, unique_id=bridge_id, data=data)
    await setup_integration(entry)
    assert entity_registry.async_get(FRONT).unique_id == str(FRONT_DOOR)
    await unload(hass, entry)

    await set_up(hass, entry, builtin=True)
    assert entity_registry.async_get(FRONT).unique_id == FRONT_DOOR
    assert hass.states.get(f"{FRONT}_2") is None
    assert hass.states.get(FRONT).state == HaLockState.LOCKED
    await turn_knob(hass, bridge, lock=False)
    assert hass.states.get(FRONT).state == HaLockState.UNLOCKED
    await unload(hass, entry)

    # The built-in kept what it does not read; this integration takes it back.
    assert entry.data[CONF_TOKEN_MODE] == "hashed"
    assert entry.data[CONF_WEBHOOK_ID] == data[CONF_WEBHOOK_ID]
    await set_up(hass, entry, builtin=False)
    assert entry.runtime_data.bridge.client.token_mode is TokenMode.HASHED
    assert entity_registry.async_get(FRONT).unique_id == str(FRONT_DOOR)
    assert hass.states.get(f"{FRONT}_2") is None
    assert hass.states.get(FRONT).state == HaLockState.UNLOCKED


async def test_ids_handed_back_when_home_assistant_stops(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    push_url: str,
    hass_storage: dict[str, Any],
    setup_integration: SetupIntegration,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Removing custom_components/nuki and restarting unloads nothing: what Home
    Assistant saves when it stops is what the built-in integration reads next."""
    entry = await setup_integration(mock_config_entry)
    assert entity_registry.async_get(FRONT).unique_id == str(FRONT_DOOR)

    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert bridge.callback_urls == []
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    saved = {
        entity["entity_id"]: entity["unique_id"]
        for entity in hass_storage[er.STORAGE_KEY]["data"]["entities"]
    }
    assert saved[FRONT] == FRONT_DOOR
    assert saved[ENTRANCE] == OPENER
    assert saved["sensor.front_door_battery"] == f"{FRONT_DOOR}_battery_level"
    # On purpose: not reported as a bug of this integration.
    assert "non string unique_id" not in caplog.text


async def test_ids_handed_back_when_set_up_is_retrying(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    """Set-up migrated the ids, then found the bridge unreachable: stopping hands them back."""
    entry = builtin_entry(bridge)
    entry.add_to_hass(hass)
    entity_registry.async_get_or_create(
        "lock", DOMAIN, FRONT_DOOR, config_entry=entry, suggested_object_id="front_door"
    )
    await bridge.stop()
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entity_registry.async_get(FRONT).unique_id == str(FRONT_DOOR)

    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert entity_registry.async_get(FRONT).unique_id == FRONT_DOOR
