"""nuki.lock_n_go and nuki.set_continuous_mode on every product."""

from __future__ import annotations

import logging

import pytest
import voluptuous as vol
from homeassistant.components.lock import LockState as HaLockState
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nuki.const import DOMAIN
from nukilocal.const import LockState, Mode, OpenerState
from nukilocal.sim.bridge import BridgeSimulator

from .conftest import BACK_DOOR, FRONT_DOOR, OPENER


async def test_lock_n_go(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    lock = bridge.lock(FRONT_DOOR)
    lock.lock_n_go_seconds = 0.5  # scaled: a few milliseconds
    actions: list[str] = []
    lock.add_listener(lambda d: actions.append(d.state_name))
    await hass.services.async_call(
        DOMAIN, "lock_n_go", {ATTR_ENTITY_ID: "lock.front_door"}, blocking=True
    )
    await lock.wait_for_state(LockState.LOCKED, timeout=5)
    assert "unlocked (lock 'n' go)" in actions
    assert "unlatched" not in actions
    await bridge.drain_callbacks()
    await hass.async_block_till_done()
    assert hass.states.get("lock.front_door").state == HaLockState.LOCKED


async def test_lock_n_go_with_unlatch(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    lock = bridge.lock(BACK_DOOR)
    lock.lock_n_go_seconds = 0.5
    actions: list[str] = []
    lock.add_listener(lambda d: actions.append(d.state_name))
    await hass.services.async_call(
        DOMAIN,
        "lock_n_go",
        {ATTR_ENTITY_ID: "lock.back_door", "unlatch": True},
        blocking=True,
    )
    await lock.wait_for_state(LockState.LOCKED, timeout=5)
    assert "unlatched" in actions


async def test_lock_n_go_ignored_by_opener(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = bridge.stats.total_requests
    with caplog.at_level(logging.DEBUG, "custom_components.nuki"):
        await hass.services.async_call(
            DOMAIN, "lock_n_go", {ATTR_ENTITY_ID: "lock.building_entrance"}, blocking=True
        )
    assert bridge.stats.total_requests == before
    assert "lock 'n' go is for smart locks only" in caplog.text


@pytest.mark.parametrize("field", ["enabled", "enable"])
async def test_set_continuous_mode(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration_push: MockConfigEntry,
    field: str,
) -> None:
    """Both spellings work: ``enable`` is the built-in integration's."""
    opener = bridge.opener(OPENER)
    await hass.services.async_call(
        DOMAIN,
        "set_continuous_mode",
        {ATTR_ENTITY_ID: "lock.building_entrance", field: True},
        blocking=True,
    )
    assert opener.mode is Mode.CONTINUOUS
    await bridge.drain_callbacks()
    await hass.async_block_till_done()
    assert hass.states.get("lock.building_entrance").state == HaLockState.UNLOCKED

    await hass.services.async_call(
        DOMAIN,
        "set_continuous_mode",
        {ATTR_ENTITY_ID: "lock.building_entrance", field: False},
        blocking=True,
    )
    assert opener.mode is Mode.DOOR
    assert opener.state is OpenerState.ONLINE
    await bridge.drain_callbacks()
    await hass.async_block_till_done()
    assert hass.states.get("lock.building_entrance").state == HaLockState.LOCKED


async def test_set_continuous_mode_needs_a_value(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration: MockConfigEntry
) -> None:
    with pytest.raises(vol.Invalid):
        await hass.services.async_call(
            DOMAIN,
            "set_continuous_mode",
            {ATTR_ENTITY_ID: "lock.building_entrance"},
            blocking=True,
        )
    with pytest.raises(vol.Invalid):
        await hass.services.async_call(
            DOMAIN,
            "set_continuous_mode",
            {ATTR_ENTITY_ID: "lock.building_entrance", "enabled": True, "enable": False},
            blocking=True,
        )


@pytest.mark.parametrize("entity_id", ["lock.front_door", "lock.back_door"])
async def test_set_continuous_mode_ignored_by_locks(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    entity_id: str,
) -> None:
    before = bridge.stats.total_requests
    with caplog.at_level(logging.DEBUG, "custom_components.nuki"):
        await hass.services.async_call(
            DOMAIN,
            "set_continuous_mode",
            {ATTR_ENTITY_ID: entity_id, "enabled": True},
            blocking=True,
        )
    assert bridge.stats.total_requests == before
    assert "continuous mode is for openers only" in caplog.text
