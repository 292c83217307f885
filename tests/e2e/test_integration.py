"""The integration in a real Home Assistant against the stand-ins, through HA's own APIs."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from demo.hass import HassClient, HassCommandError, HassWebSocket
from demo.stack import BACK_DOOR, FRONT_DOOR, OPENER, integration_supports_mqtt
from nukilocal.models import hex_id
from nukilocal.sim.control import SimControlClient

from .conftest import RunningStack
from .support import (
    DOMAIN,
    REFUSED_KEYS,
    Entities,
    bring_to,
    exception_templates,
    state_of,
    states,
    states_until,
    template_pattern,
)

needs_mqtt = pytest.mark.skipif(
    not integration_supports_mqtt(),
    reason="the integration does not take MQTT locks yet (no 'mqtt' key in its manifest)",
)


async def test_every_lock_and_opener_with_its_state(ws: HassWebSocket, entities: Entities) -> None:
    current = await states(ws)
    expected = {FRONT_DOOR: "locked", BACK_DOOR: "unlocked", OPENER: "locked"}
    locks = entities.of_domain("lock")
    assert set(locks) == {str(nuki_id) for nuki_id in expected}
    for nuki_id, state in expected.items():
        assert current[entities.entity_id(nuki_id)]["state"] == state
    assert current[entities.entity_id(f"{FRONT_DOOR}_doorsensor")]["state"] == "off"
    assert current[entities.entity_id(f"{FRONT_DOOR}_battery_level")]["state"] == "96"
    assert current[entities.entity_id(f"{OPENER}_ringaction")]["state"] == "off"

    devices = await ws.call("config/device_registry/list")
    ours = {
        identifier[1]: device
        for device in devices
        for identifier in device["identifiers"]
        if identifier[0] == DOMAIN
    }
    bridge = next(d for d in ours.values() if d["via_device_id"] is None)
    for nuki_id in expected:
        # One device per lock, even for the Front door that is on MQTT too.
        assert ours[hex_id(nuki_id)]["via_device_id"] == bridge["id"]


async def test_unlock_and_lock_pass_through_their_transitions(
    ws: HassWebSocket, entities: Entities
) -> None:
    front = entities.entity_id(FRONT_DOOR)
    changes = await ws.subscribe_events("state_changed")
    await bring_to(ws, changes, front, "locked", "lock")

    await ws.call_service("lock", "unlock", entity_id=front)
    assert await states_until(changes, front, "unlocked") == ["unlocking", "unlocked"]

    await ws.call_service("lock", "lock", entity_id=front)
    assert await states_until(changes, front, "locked") == ["locking", "locked"]


async def test_open_unlatches_and_settles_unlocked(ws: HassWebSocket, entities: Entities) -> None:
    back = entities.entity_id(BACK_DOOR)
    changes = await ws.subscribe_events("state_changed")
    await bring_to(ws, changes, back, "unlocked", "unlock")

    await ws.call_service("lock", "open", entity_id=back)
    seen = await states_until(changes, back, "unlocked")
    assert seen[0] == "opening"
    assert "open" in seen


async def test_opener_ring_to_open_and_buzzer(ws: HassWebSocket, entities: Entities) -> None:
    opener = entities.entity_id(OPENER)
    changes = await ws.subscribe_events("state_changed")
    await bring_to(ws, changes, opener, "locked", "lock")

    await ws.call_service("lock", "unlock", entity_id=opener)
    assert await states_until(changes, opener, "unlocked") == ["unlocking", "unlocked"]
    await ws.call_service("lock", "lock", entity_id=opener)
    assert await states_until(changes, opener, "locked") == ["locking", "locked"]

    await ws.call_service("lock", "open", entity_id=opener)
    seen = await states_until(changes, opener, "locked")
    assert seen[0] == "opening"
    assert "open" in seen


async def test_lock_n_go_unlocks_then_locks_again(ws: HassWebSocket, entities: Entities) -> None:
    back = entities.entity_id(BACK_DOOR)
    changes = await ws.subscribe_events("state_changed")
    await bring_to(ws, changes, back, "locked", "lock")

    await ws.call_service(DOMAIN, "lock_n_go", {"unlatch": False}, entity_id=back)
    seen = await states_until(changes, back, "unlocked")
    assert seen == ["unlocking", "unlocked"]
    # The lock relocks by itself after its lock 'n' go time.
    assert await states_until(changes, back, "locked") == ["locking", "locked"]


async def test_continuous_mode_on_the_opener(ws: HassWebSocket, entities: Entities) -> None:
    opener = entities.entity_id(OPENER)
    changes = await ws.subscribe_events("state_changed")
    await bring_to(ws, changes, opener, "locked", "lock")

    await ws.call_service(DOMAIN, "set_continuous_mode", {"enabled": True}, entity_id=opener)
    assert (await states_until(changes, opener, "unlocked"))[-1] == "unlocked"
    # The built-in integration's spelling still works.
    await ws.call_service(DOMAIN, "set_continuous_mode", {"enable": False}, entity_id=opener)
    assert (await states_until(changes, opener, "locked"))[-1] == "locked"


@needs_mqtt
async def test_full_lock_over_mqtt(ws: HassWebSocket, entities: Entities) -> None:
    front = entities.entity_id(FRONT_DOOR)
    changes = await ws.subscribe_events("state_changed")
    await bring_to(ws, changes, front, "unlocked", "unlock")

    await ws.call_service(DOMAIN, "full_lock", entity_id=front)
    assert await states_until(changes, front, "locked") == ["locking", "locked"]


async def test_a_ring_is_one_nuki_event(
    ws: HassWebSocket, entities: Entities, world: SimControlClient
) -> None:
    opener = entities.entity_id(OPENER)
    ring_action = entities.entity_id(f"{OPENER}_ringaction")
    rings = await ws.subscribe_events("nuki_event")
    changes = await ws.subscribe_events("state_changed")

    await world.ring(OPENER)
    event = await rings.next()
    assert event["data"] == {"type": "ring", "entity_id": opener}

    # The ring is over once the bridge reports ringactionState false again;
    # a poll of /list after that must not fire it a second time either.
    assert await states_until(changes, ring_action, "off", timeout=60) == ["on", "off"]
    await ws.call_service("homeassistant", "update_entity", entity_id=opener)
    assert rings.pending() == []


@needs_mqtt
async def test_keypad_unlock_on_the_wifi_lock_is_a_lock_action_event(
    ws: HassWebSocket,
    entities: Entities,
    running_stack: RunningStack,
    http: aiohttp.ClientSession,
) -> None:
    front = entities.entity_id(FRONT_DOOR)
    doorbell = f"{FRONT_DOOR}_doorbell"
    action_events = {
        entity_id
        for unique_id, entity_id in entities.of_domain("event").items()
        if unique_id.startswith(f"{FRONT_DOOR}_") and unique_id != doorbell
    }
    assert action_events, "no lock action event entity for the Front door"
    changes = await ws.subscribe_events("state_changed")
    await bring_to(ws, changes, front, "locked", "lock")

    # Only the Wi-Fi lock has a keypad that reports who it was: code 4711.
    async with http.get(
        f"{running_stack.bridge_url}/demo/keypad",
        params={
            "nukiId": FRONT_DOOR,
            "action": 1,
            "authId": 54321,
            "codeId": 4711,
            "source": 1,
            "token": running_stack.bridge_token,
        },
    ) as response:
        assert response.status == 200
    reported: dict[str, Any] | None = None
    front_states: list[str] = []
    while reported is None or front_states[-1:] != ["unlocked"]:
        data = (await changes.next())["data"]
        if data["new_state"] is None:
            continue
        if data["entity_id"] in action_events:
            reported = data["new_state"]["attributes"]
        elif data["entity_id"] == front:
            front_states.append(data["new_state"]["state"])
    assert "4711" in str(reported)
    assert "54321" in str(reported)


@needs_mqtt
async def test_a_keypad_code_triggers_an_automation(
    ws: HassWebSocket,
    hass: HassClient,
    entities: Entities,
    running_stack: RunningStack,
    http: aiohttp.ClientSession,
) -> None:
    """What a user builds: "when the door is unlocked with keypad code 4711, do ..."."""
    fired = "nuki_e2e_unlocked_by_code"
    automation_id = "automation.front_door_unlocked_with_code_4711"
    loaded = await ws.subscribe_events("state_changed")
    await hass.post(
        "/api/config/automation/config/nuki_e2e_keypad_code",
        {
            "alias": "Front door unlocked with code 4711",
            "triggers": [
                {
                    "trigger": "event",
                    "event_type": "nuki_event",
                    "event_data": {"type": "lock_action", "code_id": 4711},
                }
            ],
            "actions": [
                {
                    "event": fired,
                    "event_data": {
                        "lock": "{{ trigger.event.data.entity_id }}",
                        "code": "{{ trigger.event.data.code_id }}",
                    },
                }
            ],
        },
    )
    # Saving reloads the automations; the new one appears as an entity.
    while True:
        data = (await loaded.next())["data"]
        if data["entity_id"] == automation_id and data["new_state"]:
            assert data["new_state"]["state"] == "on"
            break
    await loaded.unsubscribe()
    front = entities.entity_id(FRONT_DOOR)
    changes = await ws.subscribe_events("state_changed")
    await bring_to(ws, changes, front, "locked", "lock")
    automations = await ws.subscribe_events(fired)
    for code in (1234, 4711):  # another code must not trigger it
        async with http.get(
            f"{running_stack.bridge_url}/demo/keypad",
            params={
                "nukiId": FRONT_DOOR,
                "action": 1,
                "authId": 54321,
                "codeId": code,
                "source": 1,
                "token": running_stack.bridge_token,
            },
        ) as response:
            assert response.status == 200
    # Code 1234 went first: had it triggered the automation, it would be this event.
    event = await automations.next()
    assert event["data"]["lock"] == front
    assert str(event["data"]["code"]) == "4711"
    assert automations.pending() == []


async def test_a_failed_command_shows_its_translated_error(
    ws: HassWebSocket, entities: Entities, world: SimControlClient
) -> None:
    front = entities.entity_id(FRONT_DOOR)
    changes = await ws.subscribe_events("state_changed")
    await bring_to(ws, changes, front, "locked", "lock")

    await world.jam(FRONT_DOOR)
    with pytest.raises(HassCommandError) as failure:
        await ws.call_service("lock", "unlock", entity_id=front)

    error = failure.value.error
    assert error["translation_domain"] == DOMAIN
    # Refused by the bridge, or by the lock itself when the command went by MQTT.
    assert error["translation_key"] in REFUSED_KEYS
    template = exception_templates()[error["translation_key"]]
    assert template_pattern(template).match(error["message"])
    assert error["message"].startswith("Front door ")
    assert "Traceback" not in error["message"]
    # The motor blocked on its way and the bolt stayed where it was.
    seen = await states_until(changes, front, "locked")
    assert "jammed" in seen
    assert await state_of(ws, front) == "locked"
