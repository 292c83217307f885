"""Buttons of smart locks, openers and the bridge, against the bridge stand-in."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime, timedelta

import pytest
from aiohttp import web
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN
from homeassistant.components.button import SERVICE_PRESS
from homeassistant.components.lock import LockState as HaLockState
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from custom_components.nuki.const import DOMAIN
from nukilocal.const import BridgeType, LockAction, LockState, OpenerAction, OpenerState
from nukilocal.models import hex_id
from nukilocal.sim.bridge import ApiCall, BridgeSimulator, json_answer

from .conftest import (
    FRONT_DOOR,
    OPENER,
    TIME_FACTOR,
    TOKEN,
    SetupIntegration,
    SnapshotEntities,
    bridge_entry,
)
from .helpers import push_poll, unique_ids_of
from .test_lock import ENTRANCE, FRONT
from .wifi.conftest import WAIT, record_states, wait_for_state

BRIDGE = "3C622613"
RESTART = "button.nuki_bridge_3c622613_restart"
CHECK_FIRMWARE = "button.nuki_bridge_3c622613_check_for_firmware_update"
START_TIME = "sensor.nuki_bridge_3c622613_start_time"


async def press(hass: HomeAssistant, entity_id: str) -> None:
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


def button_of(hass: HomeAssistant, unique_id: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(BUTTON_DOMAIN, DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


def log_types(bridge: BridgeSimulator) -> list[str]:
    return [entry["type"] for entry in bridge.log_entries()]


@pytest.mark.usefixtures("no_local_url")
async def test_snapshot(snapshot_entities: SnapshotEntities) -> None:
    await snapshot_entities(Platform.BUTTON)


async def test_buttons_per_device(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """Locks on a bridge have no full lock (MQTT only); openers only open."""
    buttons = unique_ids_of(entity_registry, init_integration.entry_id, BUTTON_DOMAIN)
    locks = [
        f"{nuki_id}_{key}"
        for nuki_id in (FRONT_DOOR, 437991291)
        for key in (
            "unlatch",
            "lock_n_go",
            "lock_n_go_unlatch",
        )
    ]
    assert buttons == {
        *locks,
        f"{OPENER}_open",
        f"{BRIDGE}_restart",
        f"{BRIDGE}_check_firmware",
    }
    for entity_id in (RESTART, CHECK_FIRMWARE):
        entry = entity_registry.async_get(entity_id)
        assert entry is not None
        assert entry.entity_category == "config"
    assert hass.states.get(RESTART).attributes["device_class"] == "restart"


@pytest.mark.parametrize(
    ("key", "action", "transition", "passes", "final", "shown"),
    [
        (
            "unlatch",
            LockAction.UNLATCH,
            HaLockState.OPENING,
            HaLockState.OPEN,
            LockState.UNLOCKED,
            HaLockState.UNLOCKED,
        ),
        (
            "lock_n_go",
            LockAction.LOCK_N_GO,
            HaLockState.UNLOCKING,
            HaLockState.UNLOCKED,
            LockState.LOCKED,
            HaLockState.LOCKED,
        ),
        (
            "lock_n_go_unlatch",
            LockAction.LOCK_N_GO_UNLATCH,
            HaLockState.OPENING,
            HaLockState.OPEN,
            LockState.LOCKED,
            HaLockState.LOCKED,
        ),
    ],
)
async def test_lock_buttons_move_the_lock(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration_push: MockConfigEntry,
    key: str,
    action: LockAction,
    transition: str,
    passes: str,
    final: LockState,
    shown: str,
) -> None:
    """The lock entity's transition at once, then the lock's own states by callback."""
    lock = bridge.lock(FRONT_DOOR)
    actions: list[int] = []
    lock.add_action_listener(lambda _device, event: actions.append(event.action))
    lists = bridge.stats.requests["/list"]
    with record_states(hass, FRONT) as seen:
        await press(hass, button_of(hass, f"{FRONT_DOOR}_{key}"))
        await lock.wait_for(lambda d: d.state is final and not d.busy, timeout=WAIT)
        await bridge.drain_callbacks()
        await wait_for_state(hass, FRONT, shown)
    assert actions == [action]
    assert seen[0] == transition
    assert passes in seen
    assert seen[-1] == shown
    assert bridge.stats.requests["/list"] == lists


async def test_opener_open_buzzes(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration_push: MockConfigEntry
) -> None:
    opener = bridge.opener(OPENER)
    actions: list[int] = []
    opener.add_action_listener(lambda _device, event: actions.append(event.action))
    with record_states(hass, ENTRANCE) as seen:
        await press(hass, button_of(hass, f"{OPENER}_open"))
        await opener.wait_for(lambda d: d.state is OpenerState.ONLINE and not d.busy, timeout=WAIT)
        await bridge.drain_callbacks()
        await wait_for_state(hass, ENTRANCE, HaLockState.LOCKED)
    assert actions == [OpenerAction.ELECTRIC_STRIKE_ACTUATION]
    assert seen[0] == HaLockState.OPENING
    assert HaLockState.OPEN in seen
    assert seen[-1] == HaLockState.LOCKED


async def test_refused_press_translated(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration: MockConfigEntry
) -> None:
    lock = bridge.lock(FRONT_DOOR)
    lock.jam()
    with pytest.raises(HomeAssistantError) as err:
        await press(hass, button_of(hass, f"{FRONT_DOOR}_unlatch"))
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "command_refused"
    assert "Front door did not carry out the command" in str(err.value)
    # No transition left behind.
    assert hass.states.get(FRONT).state == HaLockState.LOCKED


@pytest.mark.usefixtures("push_url")
async def test_restart(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
) -> None:
    """/reboot reaches the bridge; the next /info shows it started again."""

    async def up_an_hour_until_rebooted(call: ApiCall) -> web.StreamResponse:
        info = call.bridge.info()
        if "Reboot" not in log_types(bridge):
            info["uptime"] += 3600
        return json_answer(info)

    bridge.add_interceptor(up_an_hour_until_rebooted, paths="/info")
    await setup_integration(mock_config_entry)
    before = datetime.fromisoformat(hass.states.get(START_TIME).state)
    infos = bridge.stats.requests["/info"]

    await press(hass, RESTART)
    assert bridge.stats.requests["/reboot"] == 1
    assert log_types(bridge).count("Reboot") == 1
    assert hass.states.get(RESTART).state != STATE_UNKNOWN

    # The restarted bridge may have forgotten the callback: checked, /info read again.
    await push_poll(hass)
    assert bridge.stats.requests["/info"] == infos + 1
    after = datetime.fromisoformat(hass.states.get(START_TIME).state)
    assert after - before > timedelta(minutes=59)


async def test_check_firmware(
    hass: HomeAssistant, bridge: BridgeSimulator, init_integration: MockConfigEntry
) -> None:
    await press(hass, CHECK_FIRMWARE)
    assert bridge.stats.requests["/fwupdate"] == 1
    assert log_types(bridge) == ["FirmwareUpdateCheck"]
    assert bridge.stats.requests["/reboot"] == 0


@pytest.mark.parametrize(
    ("fault", "translation_key", "text"),
    [
        ("busy", "bridge_busy", f"the command for Nuki Bridge {BRIDGE} was not sent"),
        ("down", "cannot_connect", "Cannot reach the Nuki Bridge"),
    ],
)
async def test_bridge_button_errors_translated(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    fault: str,
    translation_key: str,
    text: str,
) -> None:
    if fault == "busy":
        bridge.faults.force_503 = 50
    else:
        await bridge.stop()
    with pytest.raises(HomeAssistantError) as err:
        await press(hass, RESTART)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == translation_key
    assert text in str(err.value)
    assert "Reboot" not in log_types(bridge)


@pytest.fixture
async def software_bridge(socket_enabled: None) -> AsyncGenerator[BridgeSimulator]:
    async with BridgeSimulator(
        TOKEN, bridge_type=BridgeType.SOFTWARE, time_factor=TIME_FACTOR
    ) as sim:
        yield sim


@pytest.mark.usefixtures("no_local_url")
async def test_software_bridge_entities(
    hass: HomeAssistant,
    software_bridge: BridgeSimulator,
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
) -> None:
    """No /reboot, /fwupdate nor Wi-Fi on a software bridge: no entities for them."""
    bridge_id = hex_id(software_bridge.server_id)
    entry = await setup_integration(bridge_entry(software_bridge, bridge_id))
    bridge_keys = {
        e.unique_id.removeprefix(f"{bridge_id}_")
        for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if e.unique_id.startswith(f"{bridge_id}_")
    }
    assert bridge_keys == {"connectivity", "callback", "firmware", "server_connected", "start_time"}
    assert button_of(hass, f"{FRONT_DOOR}_unlatch")
