"""The opener's Ring to Open and continuous mode switches, against the bridge stand-in."""

from __future__ import annotations

import pytest
from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN
from homeassistant.components.lock import LockState as HaLockState
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_OPEN,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from nukilocal.const import OpenerAction, OpenerState
from nukilocal.sim.bridge import BridgeSimulator

from .conftest import OPENER, SnapshotEntities
from .helpers import poll, unique_ids_of
from .test_lock import ENTRANCE
from .wifi.conftest import WAIT, record_states, wait_for_state

RTO = "switch.building_entrance_ring_to_open"
CONTINUOUS = "switch.building_entrance_continuous_mode"


async def switch(hass: HomeAssistant, service: str, entity_id: str) -> None:
    await hass.services.async_call(
        SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


@pytest.mark.usefixtures("no_local_url")
async def test_snapshot(snapshot_entities: SnapshotEntities) -> None:
    await snapshot_entities(Platform.SWITCH)


async def test_only_openers_have_switches(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    switches = unique_ids_of(entity_registry, init_integration.entry_id, SWITCH_DOMAIN)
    assert switches == {f"{OPENER}_ring_to_open", f"{OPENER}_continuous_mode"}


async def test_ring_to_open_moves_the_opener_and_is_pushed_back(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    opener = bridge.opener(OPENER)
    assert hass.states.get(RTO).state == STATE_OFF
    lists = bridge.stats.requests["/list"]
    callbacks = bridge.stats.callbacks_posted

    await switch(hass, SERVICE_TURN_ON, RTO)
    await opener.wait_for_state(OpenerState.RTO_ACTIVE, timeout=WAIT)
    await wait_for_state(hass, RTO, STATE_ON)
    assert hass.states.get(ENTRANCE).state == HaLockState.UNLOCKED
    assert hass.states.get(CONTINUOUS).state == STATE_OFF

    await switch(hass, SERVICE_TURN_OFF, RTO)
    await opener.wait_for_state(OpenerState.ONLINE, timeout=WAIT)
    await wait_for_state(hass, RTO, STATE_OFF)
    assert hass.states.get(ENTRANCE).state == HaLockState.LOCKED
    # The bridge's callbacks brought the states back, no poll.
    assert bridge.stats.requests["/list"] == lists
    assert bridge.stats.callbacks_posted > callbacks


@pytest.mark.parametrize("continuous_state", [OpenerState.RTO_ACTIVE, OpenerState.ONLINE])
async def test_continuous_mode_moves_the_opener_and_is_pushed_back(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration_push: MockConfigEntry,
    continuous_state: OpenerState,
) -> None:
    """Whether the opener reports state 3 or 1 in continuous mode, Ring to open shows off."""
    opener = bridge.opener(OPENER)
    opener.continuous_state = continuous_state
    lists = bridge.stats.requests["/list"]

    await switch(hass, SERVICE_TURN_ON, CONTINUOUS)
    await opener.wait_for(lambda d: d.continuous_mode and not d.busy, timeout=WAIT)
    await wait_for_state(hass, CONTINUOUS, STATE_ON)
    assert hass.states.get(RTO).state == STATE_OFF
    assert hass.states.get(ENTRANCE).state == HaLockState.UNLOCKED

    await switch(hass, SERVICE_TURN_OFF, CONTINUOUS)
    await opener.wait_for(lambda d: not d.continuous_mode and not d.busy, timeout=WAIT)
    await wait_for_state(hass, CONTINUOUS, STATE_OFF)
    assert hass.states.get(ENTRANCE).state == HaLockState.LOCKED
    assert bridge.stats.requests["/list"] == lists


async def test_ring_to_open_stays_on_while_the_door_buzzes(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    """Opening and open say nothing about Ring to Open; a ring it opened for uses it up."""
    opener = bridge.opener(OPENER)
    await switch(hass, SERVICE_TURN_ON, RTO)
    await wait_for_state(hass, RTO, STATE_ON)

    with record_states(hass, ENTRANCE) as entrance, record_states(hass, RTO) as rto:
        await hass.services.async_call(
            LOCK_DOMAIN, SERVICE_OPEN, {ATTR_ENTITY_ID: ENTRANCE}, blocking=True
        )
        await opener.wait_for(
            lambda d: d.state is OpenerState.RTO_ACTIVE and not d.busy, timeout=WAIT
        )
        await bridge.drain_callbacks()
        await wait_for_state(hass, ENTRANCE, HaLockState.UNLOCKED)
    assert HaLockState.OPEN in entrance
    assert rto == []

    with record_states(hass, RTO) as rto:
        assert opener.ring()
        await opener.wait_for(lambda d: d.state is OpenerState.ONLINE, timeout=WAIT)
        await bridge.drain_callbacks()
        await wait_for_state(hass, RTO, STATE_OFF)
    assert rto == [STATE_OFF]


@pytest.mark.parametrize(
    ("state", "rto", "lock"),
    [
        (OpenerState.ONLINE, STATE_OFF, HaLockState.LOCKED),
        (OpenerState.RTO_ACTIVE, STATE_ON, HaLockState.UNLOCKED),
        (OpenerState.BOOT_RUN, STATE_UNKNOWN, STATE_UNKNOWN),
        (OpenerState.UNTRAINED, STATE_UNKNOWN, STATE_UNKNOWN),
    ],
)
async def test_ring_to_open_follows_the_state(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    state: OpenerState,
    rto: str,
    lock: str,
) -> None:
    bridge.opener(OPENER).set_state(state)
    await poll(hass)
    assert hass.states.get(RTO).state == rto
    assert hass.states.get(ENTRANCE).state == lock
    assert hass.states.get(CONTINUOUS).state == STATE_OFF


@pytest.mark.parametrize(
    ("fault", "translation_key", "text"),
    [
        ("untrained", "command_refused", "Building entrance did not carry out the command"),
        ("busy", "bridge_busy", "the command for Building entrance was not sent"),
    ],
)
async def test_errors_translated(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    fault: str,
    translation_key: str,
    text: str,
) -> None:
    opener = bridge.opener(OPENER)
    actions: list[int] = []
    opener.add_action_listener(lambda _device, event: actions.append(event.action))
    if fault == "untrained":
        opener.set_state(OpenerState.UNTRAINED)
        await poll(hass)
    else:
        bridge.faults.force_503 = 50
    with pytest.raises(HomeAssistantError) as err:
        await switch(hass, SERVICE_TURN_ON, CONTINUOUS)
    assert err.value.translation_domain == "nuki"
    assert err.value.translation_key == translation_key
    assert text in str(err.value)
    assert not opener.continuous_mode
    assert actions == []
    assert hass.states.get(CONTINUOUS).state == STATE_OFF


async def test_turning_on_sends_the_opener_action(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration: MockConfigEntry
) -> None:
    """Each switch sends its own action; the lock entity's actions stay its own."""
    opener = bridge.opener(OPENER)
    actions: list[int] = []
    opener.add_action_listener(lambda _device, event: actions.append(event.action))
    await switch(hass, SERVICE_TURN_ON, RTO)
    await switch(hass, SERVICE_TURN_OFF, RTO)
    await switch(hass, SERVICE_TURN_ON, CONTINUOUS)
    await switch(hass, SERVICE_TURN_OFF, CONTINUOUS)
    assert actions == [
        OpenerAction.ACTIVATE_RTO,
        OpenerAction.DEACTIVATE_RTO,
        OpenerAction.ACTIVATE_CONTINUOUS_MODE,
        OpenerAction.DEACTIVATE_CONTINUOUS_MODE,
    ]
