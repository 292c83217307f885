"""Bridge callbacks: registration, delivery over a socket, bad bodies, repairs, budget."""

from __future__ import annotations

import asyncio
import logging
from unittest.mock import patch

import pytest
from aiohttp import web
from homeassistant.components.lock import LockState as HaLockState
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.nuki.const import DOMAIN, POLL_INTERVAL_NO_PUSH, POLL_INTERVAL_PUSH
from nukilocal.client import BridgeClient
from nukilocal.const import LockState
from nukilocal.sim.bridge import BridgeSimulator

from .conftest import FRONT_DOOR, TOKEN, WEBHOOK_ID, SetupIntegration, entry_data
from .helpers import poll, push_poll

WEBHOOK_PATH = f"/api/webhook/{WEBHOOK_ID}"


async def test_callback_registered_and_delivered(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    push_url: str,
    init_integration_push: MockConfigEntry,
) -> None:
    """A turn of the knob reaches Home Assistant over a real socket, with no request."""
    assert bridge.callback_urls == [f"{push_url}{WEBHOOK_PATH}"]
    coordinator = init_integration_push.runtime_data.bridge
    assert coordinator.push.health.active
    assert coordinator.update_interval == POLL_INTERVAL_PUSH
    requests = bridge.stats.total_requests

    bridge.lock(FRONT_DOOR).turn_knob(lock=False)
    await bridge.drain_callbacks()
    await hass.async_block_till_done()
    assert hass.states.get("lock.front_door").state == HaLockState.UNLOCKED
    assert bridge.stats.callbacks_posted == 1
    assert bridge.stats.callbacks_failed == 0
    assert bridge.stats.total_requests == requests
    assert coordinator.push.health.received == 1


async def test_idle_hour_budget(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    bridge.stats.reset()
    for _ in range(12):
        await push_poll(hass)
    assert bridge.stats.total_requests <= 15
    assert bridge.stats.requests["/list"] == 12
    assert bridge.stats.requests["/callback/list"] == 1
    assert "/lockState" not in bridge.stats.requests
    assert bridge.stats.max_in_flight == 1


async def test_forgotten_callback_registered_again(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    """A rebooted bridge lost the callback: the next poll sees the missed change."""
    url = bridge.callback_urls[0]
    await bridge.reboot(forget_callbacks=True)
    assert bridge.callback_urls == []
    bridge.lock(FRONT_DOOR).turn_knob(lock=False)
    await push_poll(hass)
    assert hass.states.get("lock.front_door").state == HaLockState.UNLOCKED
    assert bridge.callback_urls == [url]

    bridge.lock(FRONT_DOOR).turn_knob(lock=True)
    await bridge.drain_callbacks()
    await hass.async_block_till_done()
    assert hass.states.get("lock.front_door").state == HaLockState.LOCKED


async def test_other_clients_callbacks_kept(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    push_url: str,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
) -> None:
    """Outdated URLs of this entry (and the built-in's) go; other clients' stay."""
    other = "http://127.0.0.1:9/other-client"
    bridge.add_callback(f"http://192.0.2.7:8123{WEBHOOK_PATH}")
    bridge.add_callback(other)
    bridge.add_callback(f"http://192.0.2.7:8123/api/webhook/{mock_config_entry.entry_id}")
    await setup_integration(mock_config_entry)
    assert bridge.callback_urls == [other, f"{push_url}{WEBHOOK_PATH}"]

    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    assert bridge.callback_urls == [other]


async def test_slots_full_repair_issue(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    push_url: str,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
    issue_registry: ir.IssueRegistry,
) -> None:
    for n in range(3):
        bridge.add_callback(f"http://127.0.0.1:9/other-{n}")
    await setup_integration(mock_config_entry)
    issue_id = f"callback_slots_full_{mock_config_entry.entry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "callback_slots_full"
    coordinator = mock_config_entry.runtime_data.bridge
    assert not coordinator.push.health.active
    assert coordinator.update_interval == POLL_INTERVAL_NO_PUSH

    # The user frees a slot; the integration notices on a later check.
    async with BridgeClient(bridge.host, bridge.port, TOKEN, request_interval=0) as client:
        await client.callback_remove(0)
    for _ in range(12):
        await poll(hass)
    assert coordinator.push.health.active
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert f"{push_url}{WEBHOOK_PATH}" in bridge.callback_urls


async def test_https_url_repair_issue(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
    issue_registry: ir.IssueRegistry,
) -> None:
    await async_process_ha_core_config(hass, {"internal_url": "https://ha.local:8123"})
    await setup_integration(mock_config_entry)
    issue = issue_registry.async_get_issue(DOMAIN, f"https_webhook_{mock_config_entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders["base_url"] == "https://ha.local:8123"
    assert bridge.callback_urls == []
    assert "/callback/add" not in bridge.stats.requests


class FlakyCallbackListBridge(BridgeSimulator):
    """A bridge whose /callback/list answers garbage a few times."""

    failures = 1

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.add_interceptor(self._flaky, paths="/callback/list")

    async def _flaky(self, call) -> web.StreamResponse:
        if self.failures > 0:
            self.failures -= 1
            return web.Response(text='{"callbacks": [', content_type="application/json")
        return await call.proceed()


async def test_registration_failure_falls_back_to_polling(
    hass: HomeAssistant,
    socket_enabled: None,
    push_url: str,
    setup_integration: SetupIntegration,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Set-up succeeds without the callback, polls, and registers on a later check."""
    async with FlakyCallbackListBridge(TOKEN, time_factor=0.01) as bridge:
        entry = MockConfigEntry(
            domain=DOMAIN, unique_id="3C622613", title="3C622613", data=entry_data(bridge)
        )
        await setup_integration(entry)
        coordinator = entry.runtime_data.bridge
        assert not coordinator.push.health.active
        assert coordinator.update_interval == POLL_INTERVAL_NO_PUSH
        assert bridge.callback_urls == []
        assert "polling until it works" in caplog.text

        bridge.lock(FRONT_DOOR).turn_knob(lock=False)
        await poll(hass)
        assert hass.states.get("lock.front_door").state == HaLockState.UNLOCKED

        for _ in range(12):
            await poll(hass)
        assert coordinator.push.health.active
        assert bridge.callback_urls == [f"{push_url}{WEBHOOK_PATH}"]
        assert await hass.config_entries.async_unload(entry.entry_id)
        assert bridge.callback_urls == []


async def test_bad_bodies_rejected(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await hass_client_no_auth()
    coordinator = init_integration.runtime_data.bridge
    cases = [
        (b"not json", 400),
        (b"[1, 2]", 400),
        (b'{"state": 1}', 400),
        (b'{"nukiId": "x"}', 400),
        (b"[" * 10000 + b"]" * 10000, 413),
        (b"{" * 5000, 400),
        (b"\xff\xfe", 400),
    ]
    for body, status in cases:
        caplog.clear()
        with caplog.at_level(logging.WARNING, "custom_components.nuki"):
            response = await client.post(WEBHOOK_PATH, data=body)
        assert response.status == status, body[:20]
        assert len(caplog.records) == 1
        assert "Traceback" not in caplog.text
        assert caplog.records[0].exc_info is None
    assert coordinator.push.health.rejected == len(cases)

    # Unknown device: accepted and ignored. Wrong types in fields: tolerated.
    response = await client.post(WEBHOOK_PATH, json={"nukiId": 42, "deviceType": 0, "state": 1})
    assert response.status == 200
    response = await client.post(
        WEBHOOK_PATH,
        json={"nukiId": FRONT_DOOR, "deviceType": 4, "state": "3", "batteryCritical": "yes"},
    )
    assert response.status == 200
    await hass.async_block_till_done()
    assert hass.states.get("lock.front_door").state == HaLockState.UNLOCKED

    response = await client.get(WEBHOOK_PATH)
    assert response.status == 405


async def test_callback_applied_at_once(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    client = await hass_client_no_auth()
    body = bridge.lock(FRONT_DOOR).callback_body() | {"state": int(LockState.MOTOR_BLOCKED)}
    response = await client.post(WEBHOOK_PATH, json=body)
    assert response.status == 200
    assert hass.states.get("lock.front_door").state == HaLockState.JAMMED


class HangingCallbackListBridge(BridgeSimulator):
    """A bridge that never answers /callback/list."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.release = asyncio.Event()
        self.add_interceptor(self._hang, paths="/callback/list")

    async def _hang(self, call) -> web.StreamResponse:
        await self.release.wait()
        return await call.proceed()


async def test_registration_timeout_does_not_block_setup(
    hass: HomeAssistant,
    socket_enabled: None,
    push_url: str,
    setup_integration: SetupIntegration,
) -> None:
    async with HangingCallbackListBridge(TOKEN, time_factor=0.01) as bridge:
        entry = MockConfigEntry(
            domain=DOMAIN, unique_id="3C622613", title="3C622613", data=entry_data(bridge)
        )
        try:
            with patch("custom_components.nuki.push.REGISTER_TIMEOUT", 0.2):
                await setup_integration(entry)
            assert not entry.runtime_data.bridge.push.health.active
            assert hass.states.get("lock.front_door").state == HaLockState.LOCKED
        finally:
            bridge.release.set()
