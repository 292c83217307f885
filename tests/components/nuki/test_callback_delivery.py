"""A bridge that lists our callback but does not deliver it: noticed, polled, repaired.

Users report that when a bridge's first callback cannot be reached, the
callbacks registered after it may not be notified. The stand-in does that with
``faults.failed_callback_blocks``; another client's callback whose receiver is
gone sits before ours.
"""

from __future__ import annotations

import pytest
from homeassistant.components.lock import LockState as HaLockState
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nuki.const import DOMAIN, POLL_INTERVAL_NO_PUSH, POLL_INTERVAL_PUSH
from nukilocal.client import BridgeClient
from nukilocal.const import LockState
from nukilocal.sim.bridge import BridgeSimulator
from tests.support.net import free_port

from .conftest import FRONT_DOOR, TOKEN, SetupIntegration
from .helpers import poll, push_poll

FRONT = "lock.front_door"


async def turn(hass: HomeAssistant, bridge: BridgeSimulator, *, lock: bool) -> None:
    """Turn the Front door's knob and let every callback go out (or fail)."""
    bridge.lock(FRONT_DOOR).turn_knob(lock=lock)
    await bridge.drain_callbacks()
    await hass.async_block_till_done()


async def test_undelivered_callbacks_found_polled_and_repaired(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    push_url: str,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
    issue_registry: ir.IssueRegistry,
) -> None:
    gone = f"http://127.0.0.1:{free_port()}"
    bridge.add_callback(f"{gone}/api/webhook/someone-elses")
    bridge.faults.failed_callback_blocks = True
    entry = await setup_integration(mock_config_entry)
    coordinator = entry.runtime_data.bridge
    issue_id = f"callbacks_not_delivered_{entry.entry_id}"
    assert coordinator.push.health.active
    assert len(bridge.callback_urls) == 2

    # Two polls in a row find a move no callback reported: not a lost callback.
    await turn(hass, bridge, lock=False)
    assert hass.states.get(FRONT).state == HaLockState.LOCKED
    await push_poll(hass)
    assert hass.states.get(FRONT).state == HaLockState.UNLOCKED
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await turn(hass, bridge, lock=True)
    await push_poll(hass)
    assert hass.states.get(FRONT).state == HaLockState.LOCKED
    assert bridge.stats.callbacks_blocked >= 2
    assert coordinator.push.health.received == 0

    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "callbacks_not_delivered"
    # The other client's address, not its path.
    assert issue.translation_placeholders["ahead"] == f"0: {gone}"
    # Home Assistant's address as the bridge calls it, without the webhook id.
    assert issue.translation_placeholders["address"] == push_url
    assert not coordinator.push.health.active
    assert coordinator.update_interval == POLL_INTERVAL_NO_PUSH

    # After the poll already planned, polls come every 30 s, also after the
    # hourly callback check.
    await push_poll(hass)
    await turn(hass, bridge, lock=False)
    await poll(hass)
    assert hass.states.get(FRONT).state == HaLockState.UNLOCKED
    for _ in range(12):
        await poll(hass)
    assert coordinator.update_interval == POLL_INTERVAL_NO_PUSH

    # The user removes the dead callback: the next move arrives by callback.
    async with BridgeClient(bridge.host, bridge.port, TOKEN, request_interval=0) as client:
        await client.callback_remove(0)
    await turn(hass, bridge, lock=True)
    assert hass.states.get(FRONT).state == HaLockState.LOCKED
    assert coordinator.push.health.received == 1
    assert coordinator.push.health.active
    assert coordinator.update_interval == POLL_INTERVAL_PUSH
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


@pytest.mark.usefixtures("push_url")
async def test_bridge_cannot_reach_home_assistant(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
    issue_registry: ir.IssueRegistry,
) -> None:
    """No callback ahead of ours, and still none arrives: the repair points at the address."""
    unreachable = f"http://127.0.0.1:{free_port()}"
    await async_process_ha_core_config(hass, {"internal_url": unreachable})
    entry = await setup_integration(mock_config_entry)
    for lock in (False, True):
        await turn(hass, bridge, lock=lock)
        await push_poll(hass)
    assert bridge.stats.callbacks_failed >= 2
    issue = issue_registry.async_get_issue(DOMAIN, f"callbacks_not_delivered_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders["ahead"] == "none"
    assert issue.translation_placeholders["address"] == unreachable
    assert not entry.runtime_data.bridge.push.health.active


@pytest.mark.usefixtures("push_url")
async def test_changes_callbacks_never_report_are_no_alarm(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration_push: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Battery drift shows in /list without a callback; that does not count."""
    coordinator = init_integration_push.runtime_data.bridge
    lock = bridge.lock(FRONT_DOOR)
    for level in (60, 50, 40):
        # Changed behind the bridge's back: no callback for it.
        lock.battery_level = level
        await push_poll(hass)
        assert hass.states.get("sensor.front_door_battery").state == str(level)
    assert coordinator.push.health.active
    issue_id = f"callbacks_not_delivered_{init_integration_push.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_one_lost_callback_is_no_alarm(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    push_url: str,
    init_integration_push: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A poll finds a move once, yet other callbacks do arrive: push stays."""
    coordinator = init_integration_push.runtime_data.bridge
    lock = bridge.lock(FRONT_DOOR)
    issue_id = f"callbacks_not_delivered_{init_integration_push.entry_id}"
    for _ in range(3):
        # Lost on the way: the bridge never sent it.
        lock.state = LockState.UNLOCKED
        await push_poll(hass)
        assert hass.states.get(FRONT).state == HaLockState.UNLOCKED
        assert coordinator.push.health.active
        assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
        # The next one arrives.
        await turn(hass, bridge, lock=True)
        assert hass.states.get(FRONT).state == HaLockState.LOCKED
