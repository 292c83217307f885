"""Switches and buttons in a real Home Assistant, over its WebSocket API, against the stand-ins."""

from __future__ import annotations

from typing import Any

from demo.hass import HassWebSocket
from demo.stack import BACK_DOOR, OPENER
from nukilocal.const import LockState, Mode, OpenerState
from nukilocal.sim.control import SimControlClient

from .support import Entities, bring_to, state_of, states_until


async def device_state(world: SimControlClient, nuki_id: int) -> dict[str, Any]:
    """The stand-in's own state of a device (what the hardware would be doing)."""
    for device in await world.devices():
        if device["nukiId"] == nuki_id:
            state: dict[str, Any] = device["state"]
            return state
    raise AssertionError(f"the stand-in has no device {nuki_id}")


async def test_opener_switches_move_the_opener_and_come_back(
    ws: HassWebSocket, entities: Entities, world: SimControlClient
) -> None:
    opener = entities.entity_id(OPENER)
    ring_to_open = entities.entity_id(f"{OPENER}_ring_to_open")
    continuous = entities.entity_id(f"{OPENER}_continuous_mode")
    changes = await ws.subscribe_events("state_changed")
    await bring_to(ws, changes, opener, "locked", "lock")
    assert await state_of(ws, ring_to_open) == "off"
    assert await state_of(ws, continuous) == "off"
    posted = (await world.stats())["callbacksPosted"]

    # The switches show what the opener reports, never what was asked for.
    await ws.call_service("switch", "turn_on", entity_id=ring_to_open)
    assert await states_until(changes, ring_to_open, "on") == ["on"]
    assert (await device_state(world, OPENER))["state"] == OpenerState.RTO_ACTIVE
    assert await state_of(ws, opener) == "unlocked"
    await ws.call_service("switch", "turn_off", entity_id=ring_to_open)
    assert await states_until(changes, ring_to_open, "off") == ["off"]
    assert (await device_state(world, OPENER))["state"] == OpenerState.ONLINE

    await ws.call_service("switch", "turn_on", entity_id=continuous)
    assert await states_until(changes, continuous, "on") == ["on"]
    assert (await device_state(world, OPENER))["mode"] == Mode.CONTINUOUS
    assert await state_of(ws, ring_to_open) == "off"
    assert await state_of(ws, opener) == "unlocked"
    await ws.call_service("switch", "turn_off", entity_id=continuous)
    assert await states_until(changes, continuous, "off") == ["off"]
    assert (await device_state(world, OPENER))["mode"] == Mode.DOOR
    # The lock entity writes its state first, in the same update.
    assert await state_of(ws, opener) == "locked"
    # The bridge pushed each change back by callback.
    assert (await world.stats())["callbacksPosted"] >= posted + 4


async def test_buttons_move_the_devices(
    ws: HassWebSocket, entities: Entities, world: SimControlClient
) -> None:
    opener = entities.entity_id(OPENER)
    back = entities.entity_id(BACK_DOOR)
    changes = await ws.subscribe_events("state_changed")
    await bring_to(ws, changes, opener, "locked", "lock")
    await bring_to(ws, changes, back, "unlocked", "unlock")
    actions = (await world.stats())["requests"].get("/lockAction", 0)

    await ws.call_service("button", "press", entity_id=entities.entity_id(f"{OPENER}_open"))
    seen = await states_until(changes, opener, "locked")
    assert seen[0] == "opening"
    assert "open" in seen

    await ws.call_service("button", "press", entity_id=entities.entity_id(f"{BACK_DOOR}_unlatch"))
    seen = await states_until(changes, back, "unlocked")
    assert seen[0] == "opening"
    assert "open" in seen
    assert (await device_state(world, BACK_DOOR))["state"] == LockState.UNLOCKED
    assert (await world.stats())["requests"]["/lockAction"] == actions + 2
