"""A long life in compressed time: thousands of events, commands and faults.

A seeded random generator drives the physical world of the bridge stand-in
(knob turns, doorbell rings, the door, batteries), commands through Home
Assistant's services, safety-net polls (Home Assistant's clock advanced, some
running while the world changes) and faults (503 bursts, connection resets,
malformed and truncated answers). Devices run 1000 times faster than real ones.

At the end: Home Assistant's states equal the stand-in's truth, every command
was carried out at most once (and exactly once when it reported success),
every ring made exactly one ``nuki_event``, and the bridge never had more than
one request in flight. The figures are printed for quoting.

``NUKI_SOAK_SEED`` picks another seed (``make soak`` runs ten of them while
both cores are busy with other work).
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

import pytest
from homeassistant.const import SERVICE_LOCK, SERVICE_OPEN, SERVICE_UNLOCK
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.nuki.const import EVENT_NUKI, POLL_INTERVAL_PUSH
from nukilocal.const import DoorSensorState, LockState, Trigger
from nukilocal.sim.devices import ActionEvent, SimDevice, SimOpener, SimSmartLock
from tests.support.timing import WAIT

from .conftest import BACK_DOOR, FRONT_DOOR, OPENER, SetupIntegration
from .faultkit import ObservedBridge, assert_no_tracebacks, observed_standin, unavailable
from .helpers import call

DEFAULT_SEED = 20250611
SEED = int(os.environ.get("NUKI_SOAK_SEED") or DEFAULT_SEED)
EVENTS = 3000
# Devices 1000 times faster than the hardware: a motor turn takes 1.5 ms.
SOAK_TIME_FACTOR = 0.001
ENTITIES = {
    FRONT_DOOR: "lock.front_door",
    BACK_DOOR: "lock.back_door",
    OPENER: "lock.building_entrance",
}


@pytest.fixture
async def bridge(hass: HomeAssistant, socket_enabled: None) -> AsyncGenerator[ObservedBridge]:
    async with observed_standin(time_factor=SOAK_TIME_FACTOR) as sim:
        # Ring to open switching itself off would change the world after the last check.
        sim.opener(OPENER).rto_timeout_seconds = None
        yield sim


@dataclass
class Figures:
    physical: Counter[str] = field(default_factory=Counter)
    commands: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    polls: int = 0
    polls_during_changes: int = 0


def expected_lock_state(device: SimDevice) -> str:
    if isinstance(device, SimOpener):
        return "unlocked" if device.ring_opens else "locked"
    assert isinstance(device, SimSmartLock)
    return {
        LockState.LOCKED: "locked",
        LockState.UNLOCKED: "unlocked",
        LockState.UNLATCHED: "open",
    }[device.state]


def mismatches(hass: HomeAssistant, bridge: ObservedBridge) -> list[str]:
    """Every entity whose state differs from the stand-in's truth."""
    wrong = []

    def check(entity_id: str, expected: str) -> None:
        state = hass.states.get(entity_id)
        if state is None or state.state != expected:
            wrong.append(f"{entity_id}: {state.state if state else None} != {expected}")

    for nuki_id, entity_id in ENTITIES.items():
        device = bridge.device(nuki_id)
        check(entity_id, expected_lock_state(device))
        name = entity_id.split(".")[1]
        check(f"binary_sensor.{name}_battery_critical", "on" if device.battery_critical else "off")
        if device.battery_level is not None:
            check(f"sensor.{name}_battery", str(device.battery_level))
    front = bridge.lock(FRONT_DOOR)
    door_open = front.door_sensor_state is DoorSensorState.DOOR_OPENED
    check("binary_sensor.front_door_door", "on" if door_open else "off")
    return wrong


async def test_soak(
    hass: HomeAssistant,
    bridge: ObservedBridge,
    push_url: str,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Debug lines of thousands of state changes would dominate the run time.
    caplog.set_level("WARNING")
    began = time.monotonic()
    rng = random.Random(SEED)
    await setup_integration(mock_config_entry)
    coordinator = mock_config_entry.runtime_data.bridge
    rings: list[Event] = async_capture_events(hass, EVENT_NUKI)
    front, back = bridge.lock(FRONT_DOOR), bridge.lock(BACK_DOOR)
    opener = bridge.opener(OPENER)
    devices: list[SimDevice] = [front, back, opener]

    # Actions the devices start on a command (the knob reports MANUAL ones).
    executed: list[ActionEvent] = []

    def on_action(_device: SimDevice, event: ActionEvent) -> None:
        if event.trigger is Trigger.SYSTEM:
            executed.append(event)

    for device in devices:
        device.add_action_listener(on_action)

    figures = Figures()

    def quiet(device: SimDevice) -> bool:
        ringing = isinstance(device, SimOpener) and device.ring_action_state
        return not device.busy and not device.is_transitional and not ringing

    async def start_poll() -> None:
        # The test clock jump also fires every timer due within it, the
        # timeouts of requests in flight included: only jump when none is and
        # no device is about to send one.
        for device in devices:
            await device.wait_for(quiet, timeout=WAIT)
        await bridge.drain_callbacks()
        await hass.async_block_till_done(wait_background_tasks=True)
        await bridge.wait_idle()
        async_fire_time_changed(hass, dt_util.utcnow() + POLL_INTERVAL_PUSH)

    async def command() -> None:
        nuki_id = rng.choice(list(ENTITIES))
        service = rng.choice([SERVICE_LOCK, SERVICE_UNLOCK, SERVICE_OPEN])
        figures.commands[service] += 1
        before = len(executed)
        # Home Assistant skips unavailable entities without a word.
        available = hass.states.get(ENTITIES[nuki_id]).state != "unavailable"
        outcome = "ok" if available else "skipped_unavailable"
        try:
            await call(hass, service, ENTITIES[nuki_id])
        except HomeAssistantError as err:
            outcome = err.translation_key or "untranslated"
        carried_out = len(executed) - before
        if outcome == "ok" and not carried_out and unavailable(hass, ENTITIES[nuki_id]):
            # A poll in flight failed before the call reached the entity: Home
            # Assistant skipped the unavailable entity after all.
            outcome = "skipped_unavailable"
        figures.outcomes[outcome] += 1
        assert carried_out <= 1, "a command was carried out twice"
        if outcome == "ok":
            assert carried_out == 1
        elif outcome in ("bridge_busy", "cannot_connect", "timeout", "skipped_unavailable"):
            assert carried_out == 0, outcome
        # Whatever the device still does (unlatch hold, opening) runs out first.
        device = bridge.device(nuki_id)
        await device.wait_for(lambda d: not d.busy, timeout=WAIT)

    async def physical() -> None:
        kind = rng.choices(["knob", "ring", "door", "battery"], weights=[5, 3, 3, 1])[0]
        figures.physical[kind] += 1
        if kind == "knob":
            rng.choice([front, back]).turn_knob(lock=rng.random() < 0.5)
        elif kind == "ring":
            # A ring while the last one still shows cannot be told from it by anyone.
            await opener.wait_for(lambda d: not d.ring_action_state and not d.busy, timeout=WAIT)
            opener.ring()
        elif kind == "door":
            front.set_door(rng.random() < 0.5)
        else:
            device = rng.choice([front, back])
            device.set_battery(rng.randint(0, 100))

    async def fault() -> None:
        kind = rng.choice(["503", "reset", "malformed", "truncated"])
        figures.faults[kind] += 1
        if kind == "503":
            bridge.faults.force_503 = rng.randint(1, 8)
        elif kind == "reset":
            bridge.faults.reset = rng.randint(1, 2)
        else:
            setattr(bridge.faults, kind, 1)

    for _ in range(EVENTS):
        await physical()
        roll = rng.random()
        if roll < 0.08:
            await command()
        elif roll < 0.12:
            await fault()
        elif roll < 0.15:
            # A poll runs while the next events happen and their callbacks arrive.
            await start_poll()
            figures.polls += 1
            figures.polls_during_changes += 1
        elif roll < 0.18:
            await start_poll()
            figures.polls += 1
            await hass.async_block_till_done(wait_background_tasks=True)

    # Let everything settle: no fault left, no motor running, every callback delivered.
    bridge.faults.clear()
    await hass.async_block_till_done(wait_background_tasks=True)
    for device in devices:
        await device.wait_for(lambda d: not d.busy and not d.is_transitional, timeout=WAIT)
    await opener.wait_for(lambda d: not d.ring_action_state, timeout=WAIT)
    await bridge.wait_idle()
    await bridge.drain_callbacks()
    await hass.async_block_till_done(wait_background_tasks=True)
    by_push = mismatches(hass, bridge)

    await coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    after_refresh = mismatches(hass, bridge)

    report: dict[str, Any] = {
        "seed": SEED,
        "seconds": round(time.monotonic() - began, 1),
        "physical_events": dict(figures.physical),
        "commands": dict(figures.commands),
        "command_outcomes": dict(figures.outcomes),
        "commands_carried_out": len(executed),
        "faults": dict(figures.faults),
        "polls": figures.polls,
        "polls_during_changes": figures.polls_during_changes,
        "rings": opener.ring_count,
        "nuki_events": len(rings),
        "callbacks_posted": bridge.stats.callbacks_posted,
        "callbacks_received": coordinator.push.health.received,
        "bridge_requests": bridge.stats.total_requests,
        "bridge_503_sent": bridge.stats.unavailable_sent,
        "max_in_flight": bridge.stats.max_in_flight,
        "wrong_before_refresh": by_push,
    }
    print("SOAK", report)

    assert after_refresh == []
    assert by_push == [], "callbacks alone kept Home Assistant right"
    assert len(rings) == opener.ring_count, "one nuki_event per ring"
    assert all(e.data["entity_id"] == ENTITIES[OPENER] for e in rings)
    assert bridge.stats.max_in_flight == 1
    assert bridge.stats.callbacks_failed == 0
    assert sum(figures.physical.values()) == EVENTS
    # The generator really exercised each path.
    assert min(figures.faults.values()) > 10
    assert figures.outcomes["ok"] > 50
    assert len(figures.outcomes) >= 3
    assert_no_tracebacks(caplog)
