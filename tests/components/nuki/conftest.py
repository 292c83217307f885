"""Fixtures for the Nuki integration's tests: a bridge stand-in on a real port.

``bridge`` is a started :class:`BridgeSimulator` with the default devices
(``observed_bridge`` the same, recording what it receives: :mod:`.faultkit`),
``mock_config_entry`` an entry pointing at it (not yet added), and
``setup_integration`` adds and sets up an entry. ``push_url`` serves Home
Assistant's HTTP app on a real 127.0.0.1 port and makes it the internal URL, so
callbacks the stand-in POSTs reach the webhook over a socket.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from pathlib import Path
from typing import Any
from unittest.mock import PropertyMock, patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation

from custom_components.nuki.compat import PER_ENTRY_DEVICES
from custom_components.nuki.const import (
    CONF_ENCRYPT_TOKEN,
    CONF_TOKEN_MODE,
    CONF_WEBHOOK_ID,
    DOMAIN,
)
from nukilocal.models import hex_id
from nukilocal.sim.bridge import BridgeSimulator
from tests.support.bridge import bridge_standin
from tests.support.ids import BACK_DOOR as BACK_DOOR
from tests.support.ids import FRONT_DOOR as FRONT_DOOR
from tests.support.ids import OPENER as OPENER
from tests.support.ids import TOKEN
from tests.support.timing import TIME_FACTOR as TIME_FACTOR

from .faultkit import ObservedBridge, observed_standin

WEBHOOK_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"

type SetupIntegration = Callable[..., Awaitable[MockConfigEntry]]
type SnapshotEntities = Callable[[Platform], Awaitable[None]]


class ReleaseSnapshotExtension(HomeAssistantSnapshotExtension):
    """Registry entries read differently from Home Assistant 2026.8 on (aliases
    is a list, devices have one config entry): those releases keep their
    snapshots in ``snapshots/ha2026``, 2025.4 in ``snapshots/ha2025``."""

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        base = super().dirname(test_location=test_location)
        return str(Path(base) / ("ha2026" if PER_ENTRY_DEVICES else "ha2025"))


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots of states and registry entries without random ids and times."""
    return snapshot.use_extension(ReleaseSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Entities disabled by default are created enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@pytest.fixture(autouse=True)
def fast_bridge_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the client's pauses short; one request in flight still holds."""
    monkeypatch.setattr("custom_components.nuki.BRIDGE_REQUEST_INTERVAL", 0.005)
    monkeypatch.setattr("custom_components.nuki.BRIDGE_BUSY_BACKOFF", 0.002)


@pytest.fixture
async def bridge(hass: HomeAssistant, socket_enabled: None) -> AsyncGenerator[BridgeSimulator]:
    """A started bridge stand-in with the default devices (depends on hass so it stops first)."""
    async with bridge_standin() as sim:
        yield sim


@pytest.fixture
async def observed_bridge(
    hass: HomeAssistant, socket_enabled: None
) -> AsyncGenerator[ObservedBridge]:
    """The stand-in recording what it receives, on a fixed port so it can be stopped and
    started again; a module's own ``bridge`` fixture returns it where its tests need it."""
    async with observed_standin() as sim:
        yield sim


def entry_data(bridge: BridgeSimulator, **extra: Any) -> dict[str, Any]:
    return {
        CONF_HOST: bridge.host,
        CONF_PORT: bridge.port,
        CONF_TOKEN: TOKEN,
        CONF_ENCRYPT_TOKEN: True,
        CONF_TOKEN_MODE: "encrypted",
        CONF_WEBHOOK_ID: WEBHOOK_ID,
        **extra,
    }


def builtin_entry(bridge: BridgeSimulator, **overrides: Any) -> MockConfigEntry:
    """A bridge entry exactly as the built-in integration's config flow creates it."""
    bridge_id = hex_id(bridge.hardware_id)
    options: dict[str, Any] = {
        "domain": DOMAIN,
        "title": bridge_id,
        "unique_id": bridge_id,
        "version": 1,
        "minor_version": 1,
        "data": {
            CONF_HOST: bridge.host,
            CONF_PORT: bridge.port,
            CONF_TOKEN: TOKEN,
            CONF_ENCRYPT_TOKEN: True,
        },
    }
    return MockConfigEntry(**(options | overrides))


def bridge_entry(
    bridge: BridgeSimulator, bridge_id: str | None = None, **overrides: Any
) -> MockConfigEntry:
    """This integration's entry for ``bridge`` (not yet added); the id from its hardware id."""
    bridge_id = bridge_id or hex_id(bridge.hardware_id)
    options: dict[str, Any] = {
        "domain": DOMAIN,
        "title": bridge_id,
        "unique_id": bridge_id,
        "data": entry_data(bridge),
        "version": 1,
        "minor_version": 1,
    }
    return MockConfigEntry(**(options | overrides))


@pytest.fixture
def mock_config_entry(bridge: BridgeSimulator) -> MockConfigEntry:
    return bridge_entry(bridge, entry_id="01JNUKIENTRY0000000000000")


@pytest.fixture
def setup_integration(hass: HomeAssistant) -> SetupIntegration:
    async def setup(
        entry: MockConfigEntry, expect: ConfigEntryState = ConfigEntryState.LOADED
    ) -> MockConfigEntry:
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is expect
        return entry

    return setup


@pytest.fixture
def snapshot_entities(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> SnapshotEntities:
    """Set up the bridge entry with one platform only; its entities against the snapshot."""

    async def check(platform: Platform) -> None:
        with patch("custom_components.nuki.PLATFORMS", [platform]):
            await setup_integration(mock_config_entry)
        await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)

    return check


@pytest.fixture
async def push_url(hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator) -> str:
    # Routes must exist before the test server freezes the router.
    assert await async_setup_component(hass, "webhook", {})
    assert await async_setup_component(hass, "diagnostics", {})
    client = await hass_client_no_auth()
    url = f"http://127.0.0.1:{client.port}"
    await async_process_ha_core_config(hass, {"internal_url": url})
    return url


@pytest.fixture
def no_local_url() -> Generator[None]:
    """Home Assistant has no URL the bridge could call: updates by polling only."""
    with patch("custom_components.nuki.push.get_url", side_effect=NoURLAvailableError):
        yield


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    no_local_url: None,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
) -> MockConfigEntry:
    """The integration set up against the stand-in, updates by polling only."""
    return await setup_integration(mock_config_entry)


@pytest.fixture
async def init_integration_push(
    hass: HomeAssistant,
    push_url: str,
    mock_config_entry: MockConfigEntry,
    setup_integration: SetupIntegration,
) -> MockConfigEntry:
    """The integration set up with its callback registered at the stand-in."""
    return await setup_integration(mock_config_entry)
