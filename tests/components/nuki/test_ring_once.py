"""One ring, one ``nuki_event``: when a poll reports a ring before its callbacks arrive.

A ring's callback can still be on its way (a busy machine, a slow network)
when a poll reads the ring from ``/list``, already over: ringactionState back
to false, ringactionTimestamp new. The poll reports the ring; the late callback
(ringactionState true, the same timestamp) must not count as a second ring in
the same second. The stand-in's callback deliveries are held here (through its
public interceptor API) until the poll is done, so the order is certain.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from homeassistant.core import Event, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.nuki.const import EVENT_NUKI
from nukilocal.models import DeviceKey, format_timestamp
from nukilocal.sim.bridge import BridgeSimulator
from nukilocal.sim.callbacks import CallbackDelivery
from tests.support.timing import WAIT

from .conftest import OPENER

RING_EVENT = {"type": "ring", "entity_id": "lock.building_entrance"}


class SlowCallbacks:
    """The stand-in's callback deliveries wait while ``held``; ``held`` has their bodies."""

    def __init__(self, bridge: BridgeSimulator) -> None:
        self._released = asyncio.Event()
        self._released.set()
        self.held: list[dict[str, Any]] = []
        bridge.add_callback_interceptor(self._deliver)

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    async def _deliver(self, delivery: CallbackDelivery) -> bool:
        if not self._released.is_set():
            self.held.append(delivery.body)
            async with asyncio.timeout(WAIT):
                await self._released.wait()
        return await delivery.proceed()


@pytest.fixture
def callbacks(bridge: BridgeSimulator) -> SlowCallbacks:
    return SlowCallbacks(bridge)


async def delivered(hass: HomeAssistant, bridge: BridgeSimulator, callbacks: SlowCallbacks) -> None:
    callbacks.release()
    await bridge.drain_callbacks()
    await hass.async_block_till_done()


async def test_ring_polled_before_its_late_callbacks_fires_once(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    callbacks: SlowCallbacks,
    init_integration_push: MockConfigEntry,
) -> None:
    coordinator = init_integration_push.runtime_data.bridge
    assert coordinator.push.health.active
    events: list[Event] = async_capture_events(hass, EVENT_NUKI)
    opener = bridge.opener(OPENER)
    received = coordinator.push.health.received

    callbacks.hold()
    opener.ring()
    await opener.wait_for(lambda d: not d.ring_action_state and not d.busy, timeout=WAIT)
    # The poll reads the ring, already over; none of its callbacks arrived yet.
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert coordinator.push.health.received == received
    assert [e.data for e in events] == [RING_EVENT]
    stamp = coordinator.data[DeviceKey(opener.nuki_id, opener=True)].state.ring_action_timestamp
    assert stamp is not None

    # Now the ring's callbacks: ringing with the same timestamp (held at the
    # door), then over (queued behind it).
    assert [(b["ringactionState"], b["ringactionTimestamp"]) for b in callbacks.held] == [
        (True, format_timestamp(stamp))
    ]
    await delivered(hass, bridge, callbacks)
    assert coordinator.push.health.received == received + 2
    assert [e.data for e in events] == [RING_EVENT]

    # The next ring, by callback as usual, is one event again.
    opener.ring()
    await bridge.drain_callbacks()
    await hass.async_block_till_done()
    assert len(events) == 2
    await opener.wait_for(lambda d: not d.ring_action_state, timeout=WAIT)
    await bridge.drain_callbacks()
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert len(events) == 2


async def test_ring_polled_while_on_before_its_late_callbacks_fires_once(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    callbacks: SlowCallbacks,
    init_integration_push: MockConfigEntry,
) -> None:
    """The same with the poll reading the ring while ringactionState is still true."""
    coordinator = init_integration_push.runtime_data.bridge
    events: list[Event] = async_capture_events(hass, EVENT_NUKI)
    opener = bridge.opener(OPENER)
    received = coordinator.push.health.received

    callbacks.hold()
    opener.ring()
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert coordinator.data[DeviceKey(opener.nuki_id, opener=True)].state.ring_action_state is True
    assert [e.data for e in events] == [RING_EVENT]

    await opener.wait_for(lambda d: not d.ring_action_state, timeout=WAIT)
    await delivered(hass, bridge, callbacks)
    assert coordinator.push.health.received == received + 2
    assert [e.data for e in events] == [RING_EVENT]
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert len(events) == 1
