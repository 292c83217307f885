"""Bridge faults through the real Home Assistant harness and the stand-in.

Every test injects one kind of fault the field shows (503 storms, hangs,
connection resets, garbled answers, unknown and vanishing devices, reboots,
a bridge that is down or moves to another address) and checks that entities
go unavailable only while the bridge is really unreachable, come back by
themselves, that a command during the fault fails with a translated error and
is carried out at most once, and that nothing logs a traceback.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from unittest.mock import patch

import pytest
import pytest_socket
from aiohttp import web
from homeassistant.components.lock import LockState as HaLockState
from homeassistant.config_entries import SOURCE_DHCP, ConfigEntryState
from homeassistant.const import CONF_HOST, SERVICE_LOCK, SERVICE_UNLOCK
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.nuki.const import DOMAIN, POLL_INTERVAL_PUSH, VERIFY_AFTER_COMMAND
from nukilocal.const import LockState
from nukilocal.models import hex_id
from tests.support.timing import WAIT

from .conftest import (
    BACK_DOOR,
    FRONT_DOOR,
    TIME_FACTOR,
    TOKEN,
    WEBHOOK_ID,
    SetupIntegration,
    entry_data,
)
from .faultkit import ObservedBridge, assert_no_tracebacks, count_changes, unavailable
from .helpers import call, poll, push_poll, time_passes

FRONT = "lock.front_door"
BACK = "lock.back_door"
ENTRANCE = "lock.building_entrance"
ALL_LOCKS = (FRONT, BACK, ENTRANCE)
WEBHOOK_PATH = f"/api/webhook/{WEBHOOK_ID}"


@pytest.fixture
def bridge(observed_bridge: ObservedBridge) -> ObservedBridge:
    """Observed, on a fixed port: these tests stop it and start it again."""
    return observed_bridge


async def settle(hass: HomeAssistant, bridge: ObservedBridge) -> None:
    await bridge.drain_callbacks()
    await hass.async_block_till_done()


async def test_503_storm(
    hass: HomeAssistant,
    bridge: ObservedBridge,
    init_integration_push: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bridge answering only 503: unavailable, a command refused unsent, then back."""
    lock = bridge.lock(FRONT_DOOR)
    moves = count_changes(lock)
    bridge.faults.force_503 = 10_000

    # The storm starts; a command comes before any poll noticed it.
    actions = bridge.stats.requests["/lockAction"]
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, SERVICE_UNLOCK, FRONT)
    assert err.value.translation_key == "bridge_busy"
    assert "was not sent" in str(err.value)
    # Tried 1 + 5 times, each answered 503 before reaching the lock.
    assert bridge.stats.requests["/lockAction"] == actions + 6
    assert hass.states.get(FRONT).state == HaLockState.LOCKED

    await push_poll(hass)
    assert unavailable(hass, *ALL_LOCKS)
    # Home Assistant does not call unavailable entities: nothing reaches the bridge.
    await call(hass, SERVICE_UNLOCK, FRONT)
    assert bridge.stats.requests["/lockAction"] == actions + 6
    assert moves == []

    bridge.faults.clear()
    await push_poll(hass)
    assert hass.states.get(FRONT).state == HaLockState.LOCKED
    assert hass.states.get(ENTRANCE).state == HaLockState.LOCKED
    await call(hass, SERVICE_UNLOCK, FRONT)
    await settle(hass, bridge)
    assert hass.states.get(FRONT).state == HaLockState.UNLOCKED
    assert moves == [LockState.UNLOCKING, LockState.UNLOCKED]
    assert bridge.stats.max_in_flight == 1
    assert_no_tracebacks(caplog)


async def test_hang_longer_than_the_timeout(
    hass: HomeAssistant,
    bridge: ObservedBridge,
    push_url: str,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A stuck bridge: the poll times out, a command's outcome is unknown and not re-sent."""
    with (
        patch("custom_components.nuki.BRIDGE_REQUEST_TIMEOUT", 0.1),
        patch("custom_components.nuki.BRIDGE_ACTION_TIMEOUT", 0.1),
    ):
        await setup_integration(mock_config_entry)
    lock = bridge.lock(FRONT_DOOR)
    moves = count_changes(lock)

    bridge.faults.hang = 0.4
    await push_poll(hass)
    assert unavailable(hass, *ALL_LOCKS)
    await bridge.wait_idle()
    await push_poll(hass)
    assert hass.states.get(FRONT).state == HaLockState.LOCKED

    bridge.faults.hang = 0.4
    actions = bridge.stats.requests["/lockAction"]
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, SERVICE_UNLOCK, FRONT)
    assert err.value.translation_key == "outcome_unknown"
    assert "it was not sent again" in str(err.value)
    # The bridge carries the command out late, once.
    await bridge.wait_idle()
    await lock.wait_for_state(LockState.UNLOCKED, timeout=WAIT)
    await settle(hass, bridge)
    await time_passes(hass, VERIFY_AFTER_COMMAND)
    assert hass.states.get(FRONT).state == HaLockState.UNLOCKED
    assert bridge.stats.requests["/lockAction"] == actions + 1
    assert moves == [LockState.UNLOCKING, LockState.UNLOCKED]
    assert_no_tracebacks(caplog)


async def test_connection_resets(
    hass: HomeAssistant,
    bridge: ObservedBridge,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    lock = bridge.lock(FRONT_DOOR)
    moves = count_changes(lock)

    # aiohttp re-sends a GET once by itself: two resets make a poll fail.
    bridge.faults.reset = 2
    await poll(hass)
    assert unavailable(hass, *ALL_LOCKS)
    await poll(hass)
    assert hass.states.get(FRONT).state == HaLockState.LOCKED

    bridge.faults.reset = 1
    actions = bridge.stats.requests["/lockAction"]
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, SERVICE_UNLOCK, FRONT)
    assert err.value.translation_key == "outcome_unknown"
    assert bridge.stats.requests["/lockAction"] == actions + 1
    await time_passes(hass, VERIFY_AFTER_COMMAND)
    # The reset came before the lock was reached: it never moved, nor was it sent again.
    assert moves == []
    assert hass.states.get(FRONT).state == HaLockState.LOCKED
    assert bridge.stats.requests["/lockAction"] == actions + 1
    assert_no_tracebacks(caplog)


@pytest.mark.parametrize("fault", ["malformed", "truncated"])
async def test_garbled_answers(
    hass: HomeAssistant,
    bridge: ObservedBridge,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    """A garbled /list makes a failed poll; a garbled action answer an unknown outcome."""
    lock = bridge.lock(FRONT_DOOR)
    moves = count_changes(lock)

    setattr(bridge.faults, fault, 1)
    await poll(hass)
    assert unavailable(hass, *ALL_LOCKS)
    await poll(hass)
    assert hass.states.get(FRONT).state == HaLockState.LOCKED

    setattr(bridge.faults, fault, 1)
    actions = bridge.stats.requests["/lockAction"]
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, SERVICE_UNLOCK, FRONT)
    # The lock moved, only its answer was lost: "failed" would invite a second try.
    assert err.value.translation_key == "outcome_unknown"
    await time_passes(hass, VERIFY_AFTER_COMMAND)
    assert hass.states.get(FRONT).state == HaLockState.UNLOCKED
    assert moves == [LockState.UNLOCKING, LockState.UNLOCKED]
    assert bridge.stats.requests["/lockAction"] == actions + 1
    assert_no_tracebacks(caplog)


async def test_unknown_device_type_appears(
    hass: HomeAssistant,
    bridge: ObservedBridge,
    init_integration_push: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mystery = bridge.add_unknown_device(device_type=99)
    await push_poll(hass)
    assert hass.states.get(FRONT).state == HaLockState.LOCKED
    # Treated as a smart lock of a model nobody documented yet.
    entity_id = entity_registry.async_get_entity_id("lock", DOMAIN, str(mystery.nuki_id))
    assert entity_id is not None
    assert hass.states.get(entity_id).state == HaLockState.LOCKED

    # Its callbacks apply like any other lock's.
    assert isinstance(mystery, type(bridge.lock(FRONT_DOOR)))
    mystery.turn_knob(lock=False)
    await settle(hass, bridge)
    assert hass.states.get(entity_id).state == HaLockState.UNLOCKED
    assert_no_tracebacks(caplog)


async def test_device_disappears_and_returns(
    hass: HomeAssistant,
    bridge: ObservedBridge,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Unpaired: entities go; a late callback for it is ignored; paired again: back."""
    back = bridge.remove_device(BACK_DOOR)
    await poll(hass)
    assert hass.states.get(BACK) is None
    assert hass.states.get(FRONT).state == HaLockState.LOCKED

    client = await hass_client_no_auth()
    body = back.callback_body() | {"state": int(LockState.UNLOCKED)}
    response = await client.post(WEBHOOK_PATH, json=body)
    assert response.status == 200
    await hass.async_block_till_done()
    assert hass.states.get(BACK) is None
    assert BACK_DOOR not in {key[0] for key in init_integration.runtime_data.bridge.data}

    bridge.add_device(back)
    back.turn_knob(lock=False)
    await poll(hass)
    assert hass.states.get(BACK).state == HaLockState.UNLOCKED
    assert_no_tracebacks(caplog)


async def test_bridge_down_then_back_with_callbacks_forgotten(
    hass: HomeAssistant,
    bridge: ObservedBridge,
    push_url: str,
    init_integration_push: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Power cut: unavailable, commands refused unsent; back: available, callback again."""
    url = bridge.callback_urls[0]
    lock = bridge.lock(FRONT_DOOR)
    moves = count_changes(lock)
    await bridge.stop()

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, SERVICE_UNLOCK, FRONT)
    assert err.value.translation_key == "cannot_connect"
    assert "was not sent" in str(err.value)
    await push_poll(hass)
    assert unavailable(hass, *ALL_LOCKS)

    # It boots with its configuration lost, and nothing changed meanwhile.
    await bridge.start()
    await bridge.reboot(forget_callbacks=True)
    assert bridge.callback_urls == []
    await push_poll(hass)
    assert hass.states.get(FRONT).state == HaLockState.LOCKED
    assert bridge.callback_urls == [url], "the callback is registered again at once"

    lock.turn_knob(lock=False)
    await settle(hass, bridge)
    assert hass.states.get(FRONT).state == HaLockState.UNLOCKED
    assert moves == [LockState.UNLOCKED]
    assert bridge.stats.max_in_flight == 1
    assert_no_tracebacks(caplog)


async def test_bridge_moves_to_a_new_address(
    hass: HomeAssistant,
    bridge: ObservedBridge,
    push_url: str,
    init_integration_push: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """DHCP gave the bridge another IP: discovery updates the host, all recovers."""
    entry = init_integration_push
    # A second loopback address stands for the bridge's new IP.
    pytest_socket.socket_allow_hosts(["127.0.0.1", "127.0.0.2"])
    await bridge.stop()
    await push_poll(hass)
    assert unavailable(hass, *ALL_LOCKS)

    async with ObservedBridge(
        TOKEN, host="127.0.0.2", port=bridge.port, time_factor=TIME_FACTOR
    ) as moved:
        moved.lock(FRONT_DOOR).turn_knob(lock=False)
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_DHCP},
            data=DhcpServiceInfo(
                ip="127.0.0.2",
                hostname=f"nuki_bridge_{hex_id(moved.hardware_id).lower()}",
                macaddress="5c7b5c000001",
            ),
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "already_configured"
        await hass.async_block_till_done(wait_background_tasks=True)
        assert entry.data[CONF_HOST] == "127.0.0.2"
        assert entry.state is ConfigEntryState.LOADED
        assert hass.states.get(FRONT).state == HaLockState.UNLOCKED
        assert moved.callback_urls == [f"{push_url}{WEBHOOK_PATH}"]

        moved.lock(FRONT_DOOR).turn_knob(lock=True)
        await settle(hass, moved)
        assert hass.states.get(FRONT).state == HaLockState.LOCKED
        assert await hass.config_entries.async_unload(entry.entry_id)
    assert_no_tracebacks(caplog)


async def test_home_assistant_starts_while_the_bridge_is_down(
    hass: HomeAssistant,
    bridge: ObservedBridge,
    push_url: str,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Set-up is retried with back-off, without a crash loop, until the bridge answers."""
    await bridge.stop()
    await setup_integration(mock_config_entry, ConfigEntryState.SETUP_RETRY)
    assert "Cannot reach the Nuki Bridge" in mock_config_entry.reason
    assert hass.states.get(FRONT) is None

    await bridge.start()
    await time_passes(hass, timedelta(minutes=2))
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(FRONT).state == HaLockState.LOCKED
    assert bridge.callback_urls == [f"{push_url}{WEBHOOK_PATH}"]
    assert bridge.stats.requests["/info"] == 1
    assert_no_tracebacks(caplog)


async def test_unload_while_a_command_is_in_flight(
    hass: HomeAssistant,
    bridge: ObservedBridge,
    push_url: str,
    init_integration_push: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Unloading waits for nothing it cannot, leaves no callback, timer or exception."""
    entry = init_integration_push
    coordinator = entry.runtime_data.bridge
    moves = count_changes(bridge.lock(BACK_DOOR))
    bridge.faults.latency = 0.2
    started = bridge.expect_request("/lockAction")
    command = hass.async_create_task(call(hass, SERVICE_LOCK, BACK))
    async with asyncio.timeout(WAIT):
        await started.wait()
    await call_unload(hass, entry)
    # The bridge accepted it (push works: nowait); its result can no longer be
    # told, and the call says so instead of waiting for nothing.
    with pytest.raises(HomeAssistantError) as raised:
        await command
    assert raised.value.translation_key == "outcome_unknown"
    bridge.faults.clear()
    await bridge.wait_idle()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert not coordinator.actions.verify_scheduled, "no timer left behind"
    assert bridge.callback_urls == []
    assert WEBHOOK_ID not in hass.data["webhook"]
    assert hass.states.get(BACK).state == "unavailable"
    assert bridge.stats.requests["/lockAction"] == 1
    assert moves == [LockState.LOCKING, LockState.LOCKED]
    assert bridge.stats.max_in_flight == 1
    assert_no_tracebacks(caplog)


async def call_unload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


class StaleListBridge(ObservedBridge):
    """A bridge whose /list answer, once written, is held back until released."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.computed = asyncio.Event()
        self.release = asyncio.Event()
        self.hold = False
        self.add_interceptor(self._hold_list, paths="/list")

    async def _hold_list(self, call) -> web.StreamResponse:
        response = await call.proceed()
        if self.hold:
            self.computed.set()
            await self.release.wait()
        return response


async def test_poll_answer_older_than_a_callback(
    hass: HomeAssistant,
    socket_enabled: None,
    push_url: str,
    setup_integration: SetupIntegration,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """/list written before the knob turned, delivered after its callback: the callback wins."""
    async with StaleListBridge(TOKEN, time_factor=TIME_FACTOR) as bridge:
        entry = MockConfigEntry(
            domain=DOMAIN, unique_id="3C622613", title="3C622613", data=entry_data(bridge)
        )
        await setup_integration(entry)
        bridge.hold = True
        async_fire_time_changed(hass, dt_util.utcnow() + POLL_INTERVAL_PUSH)
        async with asyncio.timeout(WAIT):
            await bridge.computed.wait()
        bridge.lock(FRONT_DOOR).turn_knob(lock=False)
        await settle(hass, bridge)
        assert hass.states.get(FRONT).state == HaLockState.UNLOCKED

        bridge.release.set()
        await hass.async_block_till_done(wait_background_tasks=True)
        assert entry.runtime_data.bridge.polls == 2
        assert hass.states.get(FRONT).state == HaLockState.UNLOCKED
        assert await hass.config_entries.async_unload(entry.entry_id)
    assert_no_tracebacks(caplog)
