"""Diagnostics: useful, and without the token or the webhook id."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from nukilocal.sim.bridge import BridgeSimulator

from .conftest import TOKEN, WEBHOOK_ID


async def test_diagnostics(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration_push: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration_push)
    text = json.dumps(result)
    assert TOKEN not in text
    assert WEBHOOK_ID not in text
    assert result["entry"]["data"]["token"] == "**REDACTED**"
    assert result["entry"]["data"]["webhook_id"] == "**REDACTED**"
    assert result["push"]["callback_url"] == "**REDACTED**"
    assert result["push"]["push_active"] is True
    assert result["push"]["callbacks_undelivered"] is False
    assert len(result["devices"]) == 3
    # Times and the stand-in's port change from run to run.
    assert result == snapshot(
        exclude=props("host", "port", "uptime", "current_time", "timestamp", "last_callback")
    )
