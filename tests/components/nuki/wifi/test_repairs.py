"""The lock's own Home Assistant discovery: a repair issue while it is on."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from custom_components.nuki.const import DOMAIN

from .conftest import LOCK_HEX, LockFactory, WifiLockFactory, wait_for_issue, wait_for_state

ISSUE_ID = f"lock_own_discovery_{LOCK_HEX}"


def with_count(count: int):
    return lambda issue: issue is not None and issue.translation_placeholders["count"] == str(count)


async def test_issue_appears_and_clears(
    hass: HomeAssistant, make_wifilock: WifiLockFactory, setup_lock: LockFactory
) -> None:
    wifilock = await make_wifilock(discovery=True)
    await setup_lock()
    issue = await wait_for_issue(hass, ISSUE_ID, with_count(10))
    assert issue is not None
    assert issue.translation_key == "lock_own_discovery"
    assert issue.translation_placeholders == {"name": "Maison", "lock_id": LOCK_HEX, "count": "10"}
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable

    # Switched off in the app: the lock clears its configs with empty retained payloads.
    await wifilock.set_discovery(False)
    assert await wait_for_issue(hass, ISSUE_ID, lambda issue: issue is None) is None

    await wifilock.set_discovery(True)
    assert await wait_for_issue(hass, ISSUE_ID, with_count(10)) is not None


async def test_no_issue_without_discovery(
    hass: HomeAssistant,
    make_wifilock: WifiLockFactory,
    setup_lock: LockFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    wifilock = await make_wifilock(discovery=False)
    entry = await setup_lock()
    # The broker has answered our subscriptions: a state change made it through.
    wifilock.lock.set_battery(level=55)
    await wait_for_state(hass, "sensor.maison_battery", "55")
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_ID) is None
    assert entry.runtime_data.mqtt.own_discovery == {}


async def test_issue_removed_on_unload(
    hass: HomeAssistant, make_wifilock: WifiLockFactory, setup_lock: LockFactory
) -> None:
    await make_wifilock(discovery=True)
    entry = await setup_lock()
    await wait_for_issue(hass, ISSUE_ID, with_count(10))
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, ISSUE_ID) is None
