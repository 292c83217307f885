"""Buttons of a Wi-Fi lock on MQTT: each action reaches the lock stand-in over the broker."""

from __future__ import annotations

import pytest
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN
from homeassistant.components.button import SERVICE_PRESS
from homeassistant.components.lock import LockState as HaLockState
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from nukilocal.const import CommandResponse, LockAction, LockState
from nukilocal.sim.devices import SimSmartLock
from nukilocal.sim.wifilock import WifiLockSimulator

from .conftest import LOCK, WAIT, record_states, wait_for_state

UNLATCH = "button.maison_unlatch"
LOCK_N_GO = "button.maison_lock_n_go"
LOCK_N_GO_UNLATCH = "button.maison_lock_n_go_with_unlatch"
FULL_LOCK = "button.maison_full_lock"


async def press(hass: HomeAssistant, entity_id: str) -> None:
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


@pytest.mark.parametrize(
    ("button", "start", "action", "transition", "passes", "final"),
    [
        (
            UNLATCH,
            LockState.UNLOCKED,
            LockAction.UNLATCH,
            HaLockState.OPENING,
            HaLockState.OPEN,
            LockState.UNLOCKED,
        ),
        (
            LOCK_N_GO,
            LockState.LOCKED,
            LockAction.LOCK_N_GO,
            HaLockState.UNLOCKING,
            HaLockState.UNLOCKED,
            LockState.LOCKED,
        ),
        (
            LOCK_N_GO_UNLATCH,
            LockState.LOCKED,
            LockAction.LOCK_N_GO_UNLATCH,
            HaLockState.OPENING,
            HaLockState.OPEN,
            LockState.LOCKED,
        ),
        (
            FULL_LOCK,
            LockState.UNLOCKED,
            LockAction.FULL_LOCK,
            HaLockState.LOCKING,
            HaLockState.LOCKING,
            LockState.LOCKED,
        ),
    ],
)
async def test_buttons_move_the_lock(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    sim_lock: SimSmartLock,
    wifilock: WifiLockSimulator,
    button: str,
    start: LockState,
    action: LockAction,
    transition: str,
    passes: str,
    final: LockState,
) -> None:
    """One command over MQTT; the lock entity shows the transition, then the lock's states."""
    sim_lock.lock_n_go_seconds = 0.5
    sim_lock.set_state(start)
    shown = HaLockState.LOCKED if final is LockState.LOCKED else HaLockState.UNLOCKED
    await wait_for_state(hass, LOCK, start.name.lower())
    actions: list[int] = []
    sim_lock.add_action_listener(lambda _lock, event: actions.append(event.action))
    with record_states(hass, LOCK) as seen:
        await press(hass, button)
        await sim_lock.wait_for(lambda d: d.state is final and not d.busy, timeout=WAIT)
        await wait_for_state(hass, LOCK, shown)
    assert actions == [action]
    assert seen[0] == transition
    assert passes in seen
    assert seen[-1] == shown
    assert wifilock.commands_received == 1


async def test_full_lock_needs_the_lock_on_mqtt(
    hass: HomeAssistant, init_lock: MockConfigEntry, wifilock: WifiLockSimulator
) -> None:
    assert hass.states.get(FULL_LOCK).state != STATE_UNAVAILABLE
    wifilock.go_offline()
    await wait_for_state(hass, FULL_LOCK, STATE_UNAVAILABLE)
    wifilock.go_online()
    await wait_for_state(hass, LOCK, HaLockState.LOCKED)
    assert hass.states.get(FULL_LOCK).state != STATE_UNAVAILABLE
    assert wifilock.commands_received == 0


@pytest.mark.parametrize("button", [UNLATCH, FULL_LOCK])
async def test_refused_press_translated(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    sim_lock: SimSmartLock,
    wifilock: WifiLockSimulator,
    button: str,
) -> None:
    """The lock's code, named in the translated error; nothing sent again."""
    sim_lock.jam()
    with pytest.raises(HomeAssistantError) as caught:
        await press(hass, button)
    name = CommandResponse.MOTOR_BLOCKED.name.lower()
    assert caught.value.translation_key == "mqtt_command_refused"
    assert caught.value.translation_placeholders["code"] == name
    assert "Maison refused the command" in str(caught.value)
    assert wifilock.commands_received == 1
    # The bolt settles where the blocked motor left it; the entity follows.
    await sim_lock.wait_for(lambda d: d.state is not LockState.MOTOR_BLOCKED, timeout=WAIT)
    await wait_for_state(hass, LOCK, sim_lock.state.name.lower())
