"""The broker password of Home Assistant's MQTT entry stays out of everything Nuki shows.

Mosquitto runs with a password file; HA's MQTT integration and the lock
stand-in log in with their own accounts. Through set-up, state changes,
commands (answered, refused, unanswered), a broker restart and an unload,
neither password appears in any log record at DEBUG (message, arguments,
exception text), in the Wi-Fi lock entry's diagnostics, or in any state or
attribute of the integration's entities.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator

import pytest
from homeassistant.components.lock import LockState as HaLockState
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.nuki.const import DOMAIN
from nukilocal.const import LockState
from nukilocal.sim.devices import SimSmartLock
from nukilocal.sim.wifilock import WifiLockSimulator
from tests.support import mosquitto as mosquitto_support

from .conftest import LOCK, WAIT, lock_entry, wait_for_state

HA_USER = "homeassistant"
HA_PASSWORD = "Qx7-hass-secret-Zk4"
LOCK_USER = "nukilock"
LOCK_PASSWORD = "Wv3-lock-secret-Jp8"
SECRETS = (HA_PASSWORD, LOCK_PASSWORD)


@pytest.fixture
def broker_users() -> dict[str, str]:
    """Anonymous access off; one account for Home Assistant, one for the lock."""
    return {HA_USER: HA_PASSWORD, LOCK_USER: LOCK_PASSWORD}


@pytest.fixture
def mqtt_credentials() -> dict[str, str]:
    return {"username": HA_USER, "password": HA_PASSWORD}


@pytest.fixture
async def wifilock(
    mosquitto: mosquitto_support.Mosquitto, sim_lock: SimSmartLock
) -> AsyncGenerator[WifiLockSimulator]:
    sim = WifiLockSimulator(
        sim_lock,
        mosquitto.url(LOCK_USER, LOCK_PASSWORD),
        discovery=False,
        reconnect_seconds=0.05,
    )
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    """Every record as written and as raw message and arguments."""
    parts = []
    for record in caplog.records:
        parts += [record.getMessage(), str(record.msg), repr(record.args)]
        if record.exc_info and record.exc_info[1] is not None:
            parts.append(repr(record.exc_info[1]))
        if record.exc_text:
            parts.append(record.exc_text)
    return "\n".join(parts)


async def test_broker_passwords_never_shown(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    mosquitto: mosquitto_support.Mosquitto,
    sim_lock: SimSmartLock,
    wifilock: WifiLockSimulator,
    hass_client: ClientSessionGenerator,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr("homeassistant.components.mqtt.client.RECONNECT_INTERVAL_SECONDS", 0.1)
    entry = lock_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    transport = entry.runtime_data.mqtt

    # Life: a move, a command, a refusal, an unanswered command, a broker restart.
    sim_lock.set_state(LockState.UNLOCKED)
    await wait_for_state(hass, LOCK, HaLockState.UNLOCKED)
    await hass.services.async_call("lock", "lock", {"entity_id": LOCK}, blocking=True)
    await sim_lock.wait_for(lambda lock: not lock.busy, timeout=WAIT)
    sim_lock.jam()
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    await sim_lock.wait_for(lambda lock: not lock.busy, timeout=WAIT)
    transport.command_timeout = 0.2
    wifilock.stop_answering()
    with pytest.raises(HomeAssistantError) as unanswered:
        await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    wifilock.stop_answering(False)
    mosquitto.restart()
    await wait_for_state(hass, LOCK, STATE_UNAVAILABLE)
    await wifilock.wait_connected(WAIT)
    await wait_for_state(hass, LOCK, HaLockState.LOCKED)
    assert transport.commands_sent == 3

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    states = [
        state
        for state in hass.states.async_all()
        if (reg := entity_registry.async_get(state.entity_id)) is not None
        and reg.platform == DOMAIN
    ]
    assert len(states) >= 8
    shown = "\n".join(
        [
            json.dumps(diagnostics, default=str),
            *(f"{s.state} {json.dumps(dict(s.attributes), default=str)}" for s in states),
            str(unanswered.value),
            repr(unanswered.value.__cause__),
        ]
    )
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    logs = log_text(caplog)
    # The check can see: the Nuki integration did log at DEBUG, and the lock's id is in there.
    ours = [r for r in caplog.records if r.name.startswith(("custom_components.nuki", "nukilocal"))]
    assert any(r.levelno == logging.DEBUG for r in ours)
    assert "3C8862ED" in logs
    for secret in SECRETS:
        assert secret not in logs
        assert secret not in shown
    assert HA_USER not in json.dumps(diagnostics)
