"""Doorbell rings: nuki_event and the event entity, exactly once per ring."""

from __future__ import annotations

import pytest
from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.core import Event, HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.nuki.const import EVENT_NUKI
from nukilocal.const import OpenerAction
from nukilocal.sim.bridge import BridgeSimulator

from .conftest import OPENER, SetupIntegration, SnapshotEntities
from .helpers import poll

DOORBELL = "event.building_entrance_doorbell"
RING_EVENT = {"type": "ring", "entity_id": "lock.building_entrance"}


@pytest.mark.usefixtures("no_local_url")
async def test_snapshot(snapshot_entities: SnapshotEntities) -> None:
    await snapshot_entities(Platform.EVENT)


async def settle(hass: HomeAssistant, bridge: BridgeSimulator) -> None:
    await bridge.drain_callbacks()
    await hass.async_block_till_done()


async def test_ring_by_callback_fires_once(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    """One ring makes several callbacks (ring, open, reset) and a later poll: one event."""
    events: list[Event] = async_capture_events(hass, EVENT_NUKI)
    opener = bridge.opener(OPENER)
    await opener.perform(OpenerAction.ACTIVATE_RTO)
    await settle(hass, bridge)
    assert opener.ring()  # ring to open is on: the door opens too
    await settle(hass, bridge)
    assert [e.data for e in events] == [RING_EVENT]
    state = hass.states.get(DOORBELL)
    assert state.attributes["event_type"] == "ring"
    first_ring_time = state.state

    await opener.wait_for(lambda d: not d.ring_action_state and not d.busy, timeout=5)
    await settle(hass, bridge)
    await poll(hass)
    await poll(hass)
    assert len(events) == 1
    assert hass.states.get(DOORBELL).state == first_ring_time

    opener.ring()
    await settle(hass, bridge)
    assert len(events) == 2


async def test_ring_seen_only_by_poll_fires_once(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration: MockConfigEntry
) -> None:
    """No callbacks: the ring (already over) shows up in /list and fires once."""
    events = async_capture_events(hass, EVENT_NUKI)
    opener = bridge.opener(OPENER)
    opener.ring()
    await opener.wait_for(lambda d: not d.ring_action_state, timeout=5)
    await poll(hass)
    assert [e.data for e in events] == [RING_EVENT]
    assert hass.states.get(DOORBELL).attributes["event_type"] == "ring"
    await poll(hass)
    assert len(events) == 1


async def test_old_ring_at_start_does_not_fire(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    no_local_url: None,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
) -> None:
    events = async_capture_events(hass, EVENT_NUKI)
    bridge.opener(OPENER).ring()
    await setup_integration(mock_config_entry)
    await poll(hass)
    assert events == []
    assert hass.states.get(DOORBELL).state == STATE_UNKNOWN
