"""Who did what: lockActionEvent as event entity state and as nuki_event."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nuki.const import EVENT_NUKI
from nukilocal.const import LockAction
from nukilocal.sim.wifilock import WifiLockSimulator

from .conftest import LOCK, LOCK_ACTION_EVENT, next_event, wait_for_state


async def test_keypad_code_unlatch(
    hass: HomeAssistant, init_lock: MockConfigEntry, wifilock: WifiLockSimulator
) -> None:
    """ "Unlatched by keypad code 12345" is something an automation can match."""
    event_state = hass.states.get(LOCK_ACTION_EVENT)
    assert event_state.state == "unknown"
    assert "unlatch" in event_state.attributes["event_types"]
    fired = hass.async_create_task(next_event(hass, EVENT_NUKI))
    await wifilock.use_keypad(LockAction.UNLATCH, auth_id=54321, code_id=12345)
    event = await fired
    expected = {
        "action": "unlatch",
        "trigger": "system",
        "auth_id": 54321,
        "code_id": 12345,
        "context": 1,
        "presses": None,
        "keypad_source": "code",
        "auto_unlock": None,
    }
    assert event.data == {
        "type": "lock_action",
        "entity_id": LOCK,
        **expected,
        "description": (
            "unlatch by system or Bluetooth (keypad code), auth id 54321, code id 12345"
        ),
    }
    state = hass.states.get(LOCK_ACTION_EVENT)
    assert state.state != "unknown"
    assert state.attributes["event_type"] == "unlatch"
    for key, value in expected.items():
        assert state.attributes[key] == value


async def test_button_double_press_without_action(
    hass: HomeAssistant, init_lock: MockConfigEntry, wifilock: WifiLockSimulator
) -> None:
    fired = hass.async_create_task(next_event(hass, EVENT_NUKI))
    await wifilock.press_button(None, presses=2)
    event = await fired
    assert event.data["action"] == "button_without_action"
    assert event.data["trigger"] == "button"
    assert event.data["presses"] == 2
    assert event.data["description"] == "button press without action by button (2 button presses)"
    state = hass.states.get(LOCK_ACTION_EVENT)
    assert state.attributes["event_type"] == "button_without_action"
    assert state.attributes["presses"] == 2
    # Nothing moved.
    assert hass.states.get(LOCK).state == "locked"


async def test_own_commands_are_events_too(
    hass: HomeAssistant, init_lock: MockConfigEntry, wifilock: WifiLockSimulator
) -> None:
    """A command from Home Assistant comes back as an MQTT-triggered action."""
    fired = hass.async_create_task(next_event(hass, EVENT_NUKI))
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    event = await fired
    assert event.data["action"] == "unlock"
    assert event.data["trigger"] == "mqtt"
    await wait_for_state(hass, LOCK, "unlocked")
