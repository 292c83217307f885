"""A Wi-Fi lock on MQTT: every state, the last will, each command and each refusal."""

from __future__ import annotations

import asyncio
import logging

import pytest
from homeassistant.components import mqtt
from homeassistant.components.lock import LockState as HaLockState
from homeassistant.const import (
    SERVICE_LOCK,
    SERVICE_OPEN,
    SERVICE_UNLOCK,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nuki.const import DOMAIN, SERVICE_FULL_LOCK, SERVICE_LOCK_N_GO
from nukilocal.const import CommandResponse, LockAction, LockState
from nukilocal.mqtt.protocol import CommandRequest, Topic, encode_command_response, topic
from nukilocal.sim.devices import SimSmartLock
from nukilocal.sim.wifilock import WifiLockSimulator

from ..devices import entries_of, one_device
from ..helpers import call
from .conftest import LOCK, LOCK_HEX, LOCK_ID, WAIT, record_states, wait_for_hub, wait_for_state


async def test_entities_and_device(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The built-in's unique id scheme and device identifier, on the MQTT entry."""
    entries = er.async_entries_for_config_entry(entity_registry, init_lock.entry_id)
    assert {e.unique_id for e in entries} == {
        str(LOCK_ID),
        f"{LOCK_ID}_doorsensor",
        f"{LOCK_ID}_battery_critical",
        f"{LOCK_ID}_battery_charging",
        f"{LOCK_ID}_keypad_battery_critical",
        f"{LOCK_ID}_door_sensor_battery_critical",
        f"{LOCK_ID}_battery_level",
        f"{LOCK_ID}_door_sensor_state",
        f"{LOCK_ID}_lock_action",
        f"{LOCK_ID}_unlatch",
        f"{LOCK_ID}_lock_n_go",
        f"{LOCK_ID}_lock_n_go_unlatch",
        f"{LOCK_ID}_full_lock",
    }
    device = one_device(hass, LOCK_HEX)
    assert device is not None
    assert device.name == "Maison"
    assert device.sw_version == "4.2.6"
    assert entries_of(device) == {init_lock.entry_id}
    assert hass.states.get(LOCK).state == HaLockState.LOCKED
    assert hass.states.get("binary_sensor.maison_door").state == "off"
    assert hass.states.get("binary_sensor.maison_door_sensor_battery").state == "off"
    assert hass.states.get("sensor.maison_battery").state == "90"


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (LockState.UNLOCKED, HaLockState.UNLOCKED),
        (LockState.UNLOCKING, HaLockState.UNLOCKING),
        (LockState.LOCKING, HaLockState.LOCKING),
        (LockState.UNLATCHED, HaLockState.OPEN),
        (LockState.UNLATCHING, HaLockState.OPENING),
        (LockState.UNLOCKED_LOCK_N_GO, HaLockState.UNLOCKED),
        (LockState.MOTOR_BLOCKED, HaLockState.JAMMED),
        (LockState.UNCALIBRATED, STATE_UNKNOWN),
        (LockState.BOOT_RUN, STATE_UNKNOWN),
        (LockState.UNDEFINED, STATE_UNKNOWN),
    ],
)
async def test_every_state(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    sim_lock: SimSmartLock,
    state: LockState,
    expected: str,
) -> None:
    sim_lock.set_state(state)
    await wait_for_state(hass, LOCK, expected)
    sim_lock.set_state(LockState.LOCKED)
    await wait_for_state(hass, LOCK, HaLockState.LOCKED)


async def test_jammed_until_another_state(
    hass: HomeAssistant, init_lock: MockConfigEntry, sim_lock: SimSmartLock
) -> None:
    sim_lock.set_state(LockState.MOTOR_BLOCKED)
    await wait_for_state(hass, LOCK, HaLockState.JAMMED)
    # Other topics change; the lock stays jammed.
    sim_lock.set_battery(level=40)
    await wait_for_state(hass, "sensor.maison_battery", "40")
    assert hass.states.get(LOCK).state == HaLockState.JAMMED
    sim_lock.set_state(LockState.UNLOCKED)
    await wait_for_state(hass, LOCK, HaLockState.UNLOCKED)


async def test_last_will_unavailable_and_back(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    wifilock: WifiLockSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="custom_components.nuki")
    wifilock.go_offline()
    await wait_for_state(hass, LOCK, STATE_UNAVAILABLE)
    assert hass.states.get("sensor.maison_battery").state == STATE_UNAVAILABLE
    wifilock.go_online()
    await wait_for_state(hass, LOCK, HaLockState.LOCKED)
    assert hass.states.get("sensor.maison_battery").state == "90"
    # Logged once when it went, once when it came back (quality scale: log-when-unavailable).
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components.nuki")]
    gone = [line for line in lines if "is unavailable over MQTT" in line]
    back = [line for line in lines if "is available again over MQTT" in line]
    assert gone == [
        f"Nuki lock {LOCK_HEX} is unavailable over MQTT: "
        "the lock is not connected to the MQTT broker"
    ]
    assert len(back) == 1


async def test_dropped_connection_recovers(
    hass: HomeAssistant, init_lock: MockConfigEntry, wifilock: WifiLockSimulator
) -> None:
    with record_states(hass, LOCK) as seen:
        wifilock.drop_connection()
        await wait_for_state(hass, LOCK, STATE_UNAVAILABLE)
        await wait_for_state(hass, LOCK, HaLockState.LOCKED)
    assert seen == [STATE_UNAVAILABLE, HaLockState.LOCKED]
    # The stand-in counts a connection once it has published its state, which
    # Home Assistant may already have applied.
    await wifilock.wait_connected()
    assert wifilock.connection_count == 2


@pytest.mark.parametrize(
    ("service", "start", "transitions", "final", "moves"),
    [
        (
            SERVICE_UNLOCK,
            LockState.LOCKED,
            [HaLockState.UNLOCKING],
            HaLockState.UNLOCKED,
            [LockState.UNLOCKING, LockState.UNLOCKED],
        ),
        (
            SERVICE_LOCK,
            LockState.UNLOCKED,
            [HaLockState.LOCKING],
            HaLockState.LOCKED,
            [LockState.LOCKING, LockState.LOCKED],
        ),
        (
            SERVICE_OPEN,
            LockState.UNLOCKED,
            [HaLockState.OPENING],
            HaLockState.UNLOCKED,
            [LockState.UNLATCHING, LockState.UNLATCHED, LockState.UNLOCKED],
        ),
    ],
)
async def test_commands(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    sim_lock: SimSmartLock,
    wifilock: WifiLockSimulator,
    service: str,
    start: LockState,
    transitions: list[str],
    final: str,
    moves: list[LockState],
) -> None:
    """Transition shown at once, then the lock's own states; exactly one command sent."""
    sim_lock.set_state(start)
    await wait_for_hub(hass, lambda hub: hub.state.state == start)
    await hass.async_block_till_done()
    moved: list[LockState] = []
    remove = sim_lock.add_listener(lambda lock: moved.append(lock.state))
    with record_states(hass, LOCK) as seen:
        await call(hass, service, LOCK)
        await sim_lock.wait_for(lambda lock: not lock.busy, timeout=WAIT)
        await wait_for_state(hass, LOCK, final)
    remove()
    assert seen[: len(transitions)] == transitions
    assert seen[-1] == final, seen
    assert moved == moves
    assert wifilock.commands_received == 1
    assert init_lock.runtime_data.mqtt.commands_sent == 1


async def test_lock_n_go_and_full_lock(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    sim_lock: SimSmartLock,
    wifilock: WifiLockSimulator,
) -> None:
    sim_lock.lock_n_go_seconds = 0.5
    actions: list[int] = []
    remove = sim_lock.add_action_listener(lambda _lock, event: actions.append(event.action))
    with record_states(hass, LOCK) as relocked:
        await call(hass, SERVICE_LOCK_N_GO, LOCK, DOMAIN)
        await sim_lock.wait_for(
            lambda lock: lock.state is LockState.LOCKED and not lock.busy, timeout=WAIT
        )
        await wait_for_state(hass, LOCK, HaLockState.LOCKED)
    assert relocked[0] == HaLockState.UNLOCKING
    assert relocked[-1] == HaLockState.LOCKED
    assert HaLockState.LOCKING in relocked
    with record_states(hass, LOCK) as seen:
        await call(hass, SERVICE_FULL_LOCK, LOCK, DOMAIN)
        await sim_lock.wait_for(lambda lock: not lock.busy, timeout=WAIT)
        await wait_for_state(hass, LOCK, HaLockState.LOCKED)
    remove()
    assert actions == [LockAction.LOCK_N_GO, LockAction.FULL_LOCK]
    assert seen[0] == HaLockState.LOCKING
    assert wifilock.commands_received == 2


@pytest.mark.parametrize(
    ("prepare", "code", "service"),
    [
        ("uncalibrated", CommandResponse.NOT_CALIBRATED, SERVICE_UNLOCK),
        ("jam", CommandResponse.MOTOR_BLOCKED, SERVICE_UNLOCK),
        ("busy", CommandResponse.BUSY, SERVICE_OPEN),
    ],
)
async def test_refused(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    sim_lock: SimSmartLock,
    wifilock: WifiLockSimulator,
    prepare: str,
    code: CommandResponse,
    service: str,
) -> None:
    """A code other than 0 is a translated error naming it; nothing is sent again."""
    if prepare == "uncalibrated":
        sim_lock.set_state(LockState.UNCALIBRATED)
        await wait_for_state(hass, LOCK, STATE_UNKNOWN)
    elif prepare == "jam":
        sim_lock.jam()
    else:
        # At real motor speed the button's run outlasts the command's way there.
        sim_lock.clock.time_factor = 1.0
        button = asyncio.create_task(wifilock.press_button(LockAction.UNLOCK))
        await sim_lock.wait_for(lambda lock: lock.busy, timeout=WAIT)
    with record_states(hass, LOCK) as seen, pytest.raises(HomeAssistantError) as caught:
        await call(hass, service, LOCK)
    name = code.name.lower()
    assert caught.value.translation_key == "mqtt_command_refused"
    assert caught.value.translation_placeholders["code"] == name
    assert name in str(caught.value)
    assert wifilock.commands_received == 1
    assert init_lock.runtime_data.mqtt.commands_refused == 1
    if prepare == "jam":
        # 254 is published while the motor is blocked, then the bolt settles.
        assert HaLockState.JAMMED in seen
        await wait_for_state(hass, LOCK, HaLockState.LOCKED)
    if prepare == "busy":
        assert await button == CommandResponse.SUCCESS
        sim_lock.clock.time_factor = 0.01
        await wait_for_state(hass, LOCK, HaLockState.UNLOCKED)


async def test_remote_not_allowed(
    hass: HomeAssistant, init_lock: MockConfigEntry, wifilock: WifiLockSimulator
) -> None:
    """The stand-in cannot refuse remote access; the lock's answer is published as it would be."""
    # Seen where the lock receives it (a subscription of Home Assistant's own
    # would go live only after its cooldown, possibly after the command).
    commands: asyncio.Queue[CommandRequest] = asyncio.Queue()
    wifilock.add_command_listener(commands.put_nowait)
    wifilock.stop_answering()
    response = hass.async_create_task(call(hass, SERVICE_UNLOCK, LOCK))
    async with asyncio.timeout(WAIT):
        assert (await commands.get()).action == LockAction.UNLOCK
    await mqtt.async_publish(
        hass,
        topic(LOCK_ID, Topic.COMMAND_RESPONSE),
        encode_command_response(CommandResponse.REMOTE_NOT_ALLOWED),
    )
    with pytest.raises(HomeAssistantError) as caught:
        await response
    assert caught.value.translation_placeholders["code"] == "remote_not_allowed"
    assert "Remote access is not allowed" in str(caught.value)
    assert hass.states.get(LOCK).state == HaLockState.LOCKED


async def test_timeout_outcome_unknown_not_resent(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    sim_lock: SimSmartLock,
    wifilock: WifiLockSimulator,
) -> None:
    init_lock.runtime_data.mqtt.command_timeout = 0.3
    wifilock.stop_answering()
    with record_states(hass, LOCK) as seen, pytest.raises(HomeAssistantError) as caught:
        await call(hass, SERVICE_UNLOCK, LOCK)
    assert caught.value.translation_key == "mqtt_outcome_unknown"
    assert "not sent again" in str(caught.value)
    assert wifilock.commands_received == 1
    assert init_lock.runtime_data.mqtt.commands_unanswered == 1
    # The transition shown while waiting is gone again; nothing moved.
    assert seen == [HaLockState.UNLOCKING, HaLockState.LOCKED]
    assert sim_lock.state is LockState.LOCKED
    # The next command gets its own answer.
    wifilock.stop_answering(False)
    await call(hass, SERVICE_UNLOCK, LOCK)
    await wait_for_state(hass, LOCK, HaLockState.UNLOCKED)
    assert wifilock.commands_received == 2


async def test_command_while_offline_not_sent(
    hass: HomeAssistant, init_lock: MockConfigEntry, wifilock: WifiLockSimulator
) -> None:
    """Unavailable: Home Assistant does not call the entity; nothing reaches the broker."""
    wifilock.go_offline()
    await wait_for_state(hass, LOCK, STATE_UNAVAILABLE)
    await call(hass, SERVICE_UNLOCK, LOCK)
    assert init_lock.runtime_data.mqtt.commands_sent == 0
    wifilock.go_online()
    await wait_for_state(hass, LOCK, HaLockState.LOCKED)
    assert wifilock.commands_received == 0


async def test_commands_one_at_a_time(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    sim_lock: SimSmartLock,
    wifilock: WifiLockSimulator,
) -> None:
    """Two commands at once: the second is published after the first was answered."""
    first = hass.async_create_task(call(hass, SERVICE_UNLOCK, LOCK))
    second = hass.async_create_task(call(hass, SERVICE_LOCK, LOCK))
    await asyncio.gather(first, second)
    await wait_for_state(hass, LOCK, HaLockState.LOCKED)
    assert wifilock.commands_received == 2
    assert init_lock.runtime_data.mqtt.commands_refused == 0
