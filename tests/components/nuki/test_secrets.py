"""The API token and the webhook id stay secret.

Not in logs at any level (set-up, polls, commands, failures, reauth), not in
diagnostics, entity states or attributes, exception messages or reprs; the
plain token is never on the wire unless the user chose plain mode (the
stand-in records every query string it receives). The webhook answers local
requests only, and its id is random, long and not derived from the entry.
"""

from __future__ import annotations

import json
import logging
import re
from unittest.mock import patch

import pytest
from homeassistant.components.lock import LockState as HaLockState
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import (
    CONF_HOST,
    CONF_PORT,
    CONF_TOKEN,
    SERVICE_LOCK,
    SERVICE_UNLOCK,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.nuki.const import (
    CONF_ENCRYPT_TOKEN,
    CONF_TOKEN_MODE,
    CONF_WEBHOOK_ID,
    DOMAIN,
)
from nukilocal.const import LockState
from nukilocal.models import hex_id

from .conftest import FRONT_DOOR, TOKEN, WEBHOOK_ID, SetupIntegration, entry_data
from .faultkit import OUR_LOGGERS, ObservedBridge
from .helpers import call, push_poll

FRONT = "lock.front_door"
WEBHOOK_PATH = f"/api/webhook/{WEBHOOK_ID}"
# A token that is not a substring of anything else in the logs.
SECRET = TOKEN
NEW_TOKEN = "zq9newtoken7"


@pytest.fixture
def bridge(observed_bridge: ObservedBridge) -> ObservedBridge:
    """Observed: these tests read every query string it received."""
    return observed_bridge


async def attempt(hass: HomeAssistant, service: str) -> HomeAssistantError | None:
    """Call ``lock.service`` for the front door; the error it ends with, if any."""
    try:
        await call(hass, service, FRONT)
    except HomeAssistantError as err:
        return err
    return None


def exception_text(err: BaseException) -> str:
    """Message, repr, translation placeholders and the whole cause chain."""
    parts = []
    current: BaseException | None = err
    while current is not None:
        parts += [str(current), repr(current), repr(current.args)]
        placeholders = getattr(current, "translation_placeholders", None)
        parts.append(repr(placeholders))
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


@pytest.mark.parametrize("mode", ["encrypted", "hashed", "plain"])
async def test_token_kept_secret_through_a_whole_life(
    hass: HomeAssistant,
    bridge: ObservedBridge,
    push_url: str,
    hass_client: ClientSessionGenerator,
    setup_integration: SetupIntegration,
    caplog: pytest.LogCaptureFixture,
    mode: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=hex_id(bridge.hardware_id),
        title=hex_id(bridge.hardware_id),
        data=entry_data(bridge, **{CONF_TOKEN_MODE: mode, CONF_ENCRYPT_TOKEN: mode == "encrypted"}),
    )
    errors: list[HomeAssistantError] = []
    with (
        patch("custom_components.nuki.BRIDGE_ACTION_TIMEOUT", 0.1),
        # With push working actions go with nowait: the request timeout applies.
        patch("custom_components.nuki.BRIDGE_REQUEST_TIMEOUT", 0.1),
    ):
        await setup_integration(entry)
        coordinator = entry.runtime_data.bridge

        # Polls, commands, callbacks, and every kind of failure.
        await push_poll(hass)
        assert await attempt(hass, SERVICE_UNLOCK) is None
        bridge.lock(FRONT_DOOR).turn_knob(lock=True)
        await bridge.drain_callbacks()
        for fault, value in (("force_503", 100), ("reset", 1), ("malformed", 1), ("hang", 0.3)):
            setattr(bridge.faults, fault, value)
            err = await attempt(hass, SERVICE_UNLOCK)
            assert err is not None, fault
            errors.append(err)
            bridge.faults.clear()
            await bridge.wait_idle()
        bridge.faults.reset = 2
        await push_poll(hass)
        await push_poll(hass)
        await bridge.stop()
        errors.append(await attempt(hass, SERVICE_LOCK))  # type: ignore[arg-type]
        await push_poll(hass)
        await bridge.start()
        await push_poll(hass)
        assert hass.states.get(FRONT).state in (HaLockState.LOCKED, HaLockState.UNLOCKED)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    # The user changes the token on the bridge: reauth, with a wrong then the new one.
    bridge.token = NEW_TOKEN
    bridge.verifier = type(bridge.verifier)(NEW_TOKEN)
    assert await hass.config_entries.async_reload(entry.entry_id) is False
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    reason = entry.reason or ""
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_TOKEN: "wrongtoken99", CONF_TOKEN_MODE: mode}
    )
    assert result["errors"]
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_TOKEN: NEW_TOKEN, CONF_TOKEN_MODE: mode}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    # Logs, at every level, of every logger.
    for secret in (SECRET, NEW_TOKEN, "wrongtoken99"):
        assert secret not in caplog.text
        for record in caplog.records:
            assert secret not in record.getMessage()
            assert secret not in repr(record.args)
    assert "nukilocal.client" in caplog.text, "the library's debug lines were captured"
    # The stand-in is the bridge: it may name the URL it calls; the integration may not.
    ours = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith(OUR_LOGGERS) and not r.name.startswith("nukilocal.sim")
    ]
    assert not [m for m in ours if WEBHOOK_ID in m]

    # Exceptions, reasons, reprs, diagnostics, states.
    assert len(errors) == 5
    for err in errors:
        assert SECRET not in exception_text(err)
    assert NEW_TOKEN not in reason
    assert SECRET not in reason
    assert SECRET not in repr(coordinator) + repr(coordinator.client)
    assert NEW_TOKEN not in repr(entry.runtime_data.bridge.client)
    text = json.dumps(diagnostics)
    assert SECRET not in text
    assert WEBHOOK_ID not in text
    for state in hass.states.async_all():
        shown = f"{state.state} {state.attributes!r}"
        assert SECRET not in shown
        assert NEW_TOKEN not in shown
        assert WEBHOOK_ID not in shown

    # The wire: the plain token only in plain mode.
    assert bridge.queries
    wire = "\n".join(query for _, query in bridge.queries)
    if mode == "plain":
        assert f"token={SECRET}" in wire
    else:
        assert SECRET not in wire
        assert NEW_TOKEN not in wire
        assert not [q for _, q in bridge.queries if re.search(r"(^|&)token=", q)]
        assert all("ctoken=" in q or "hash=" in q for _, q in bridge.queries)


async def test_webhook_refuses_requests_from_outside(
    hass: HomeAssistant,
    bridge: ObservedBridge,
    no_local_url: None,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Behind a reverse proxy, a callback from the internet is dropped unread.

    Home Assistant answers 200 either way, so the outside cannot even tell the
    webhook exists; only local addresses reach the handler.
    """
    assert await async_setup_component(
        hass, "http", {"http": {"use_x_forwarded_for": True, "trusted_proxies": ["127.0.0.1"]}}
    )
    await setup_integration(mock_config_entry)
    coordinator = mock_config_entry.runtime_data.bridge
    client = await hass_client_no_auth()
    unlock = bridge.lock(FRONT_DOOR).callback_body() | {"state": int(LockState.UNLOCKED)}

    for outside in ("203.0.113.7", "8.8.8.8", "2001:db8::1"):
        response = await client.post(
            WEBHOOK_PATH, json=unlock, headers={"X-Forwarded-For": outside}
        )
        assert response.status == 200
        await hass.async_block_till_done()
        assert hass.states.get(FRONT).state == HaLockState.LOCKED
    assert coordinator.push.health.received == 0
    assert caplog.text.count("Received remote request for local webhook") == 3

    response = await client.post(
        WEBHOOK_PATH, json=unlock, headers={"X-Forwarded-For": "192.168.1.20"}
    )
    assert response.status == 200
    await hass.async_block_till_done()
    assert hass.states.get(FRONT).state == HaLockState.UNLOCKED
    assert coordinator.push.health.received == 1


async def test_webhook_id_is_random_and_long(
    hass: HomeAssistant, bridge: ObservedBridge, push_url: str
) -> None:
    """Entries made by the config flow get a fresh 256-bit id, unrelated to anything."""
    ids = []
    for _ in range(3):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: bridge.host, CONF_PORT: bridge.port, CONF_TOKEN: TOKEN},
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        entry = result["result"]
        assert entry.state is ConfigEntryState.LOADED
        webhook_id = entry.data[CONF_WEBHOOK_ID]
        assert re.fullmatch(r"[0-9a-f]{64}", webhook_id)
        for derived_from in (entry.entry_id, entry.unique_id, str(bridge.hardware_id), TOKEN):
            assert derived_from.lower() not in webhook_id
        assert len(set(webhook_id)) >= 10, "not a repeated pattern"
        assert bridge.callback_urls == [f"{push_url}/api/webhook/{webhook_id}"]
        ids.append(webhook_id)
        await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()
    assert len(set(ids)) == 3
