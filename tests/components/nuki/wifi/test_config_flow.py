"""Wi-Fi lock entries: MQTT discovery with confirmation, already configured, by lock id."""

from __future__ import annotations

import asyncio

import pytest
from homeassistant.config_entries import (
    EVENT_FLOW_DISCOVERED,
    SOURCE_MQTT,
    SOURCE_USER,
    ConfigEntryDisabler,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nuki.const import CONF_LOCK_ID, DOMAIN
from nukilocal.sim.wifilock import WifiLockSimulator

from .conftest import LOCK, LOCK_HEX, LOCK_NAME, lock_entry, next_event, wait_for_state


async def discovered_flows(hass: HomeAssistant) -> list[ConfigFlowResult]:
    """The flows MQTT discovery started, once there is one."""
    discovered = asyncio.ensure_future(next_event(hass, EVENT_FLOW_DISCOVERED))
    try:
        if not hass.config_entries.flow.async_progress_by_handler(DOMAIN):
            await discovered
    finally:
        discovered.cancel()
    return list(hass.config_entries.flow.async_progress_by_handler(DOMAIN))


def discovery(payload: str = "4", lock_hex: str = LOCK_HEX) -> MqttServiceInfo:
    return MqttServiceInfo(
        topic=f"nuki/{lock_hex}/deviceType",
        payload=payload,
        qos=0,
        retain=True,
        subscribed_topic="nuki/+/deviceType",
        timestamp=dt_util.utcnow(),
    )


async def test_discovered_by_the_mqtt_integration(
    hass: HomeAssistant, wifilock: WifiLockSimulator, mqtt_entry: MockConfigEntry
) -> None:
    """The lock's retained deviceType starts the flow; confirm shows name and model."""
    flows = await discovered_flows(hass)
    assert len(flows) == 1
    flow = flows[0]
    assert flow["context"]["source"] == SOURCE_MQTT
    assert flow["context"]["unique_id"] == LOCK_HEX
    assert flow["step_id"] == "mqtt_confirm"
    assert flow["context"]["title_placeholders"] == {"name": LOCK_NAME}
    shown = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert shown["type"] is FlowResultType.CREATE_ENTRY
    assert shown["title"] == LOCK_NAME
    assert shown["data"] == {CONF_LOCK_ID: LOCK_HEX}
    assert shown["result"].unique_id == LOCK_HEX
    await hass.async_block_till_done()
    await wait_for_state(hass, LOCK, "locked")


async def test_confirm_form_placeholders(
    hass: HomeAssistant, wifilock: WifiLockSimulator, mqtt_entry: MockConfigEntry
) -> None:
    for flow in await discovered_flows(hass):
        hass.config_entries.flow.async_abort(flow["flow_id"])
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=discovery()
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "mqtt_confirm"
    assert result["description_placeholders"] == {
        "name": LOCK_NAME,
        "model": "Smart Lock 3.0/4th generation",
        "lock_id": LOCK_HEX,
        "firmware": "4.2.6",
    }


async def test_discovery_of_configured_lock_aborts(
    hass: HomeAssistant, wifilock: WifiLockSimulator, mqtt_entry: MockConfigEntry
) -> None:
    for flow in await discovered_flows(hass):
        hass.config_entries.flow.async_abort(flow["flow_id"])
    lock_entry().add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=discovery()
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize("payload", ["", "lock", "-1"])
async def test_discovery_garbage_aborts(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, payload: str
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=discovery(payload)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"


async def test_manual_by_lock_id(
    hass: HomeAssistant,
    wifilock: WifiLockSimulator,
    mqtt_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Menu, then the id: wrong, unknown to the broker, then right."""
    for flow in await discovered_flows(hass):
        hass.config_entries.flow.async_abort(flow["flow_id"])
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["bridge", "wifi_lock"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "wifi_lock"}
    )
    assert result["step_id"] == "wifi_lock"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LOCK_ID: "nuki/3C8862ED"}
    )
    assert result["errors"] == {CONF_LOCK_ID: "invalid_lock_id"}

    # Nothing retained for this id: the wait ends at its bound.
    monkeypatch.setattr("custom_components.nuki.mqtt_lock.MQTT_RETAINED_TIMEOUT", 1.0)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LOCK_ID: "1234ABCD"}
    )
    assert result["errors"] == {"base": "lock_not_found"}
    monkeypatch.undo()

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LOCK_ID: LOCK_HEX.lower()}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == LOCK_NAME
    assert result["data"] == {CONF_LOCK_ID: LOCK_HEX}
    await hass.async_block_till_done()
    await wait_for_state(hass, LOCK, "locked")


async def test_manual_mqtt_not_available_then_recovers(
    hass: HomeAssistant, wifilock: WifiLockSimulator, mqtt_entry: MockConfigEntry
) -> None:
    """MQTT disabled between the menu and the lock id: an error at once, not a wait."""
    for flow in await discovered_flows(hass):
        hass.config_entries.flow.async_abort(flow["flow_id"])
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "wifi_lock"}
    )
    assert result["step_id"] == "wifi_lock"

    assert await hass.config_entries.async_set_disabled_by(
        mqtt_entry.entry_id, ConfigEntryDisabler.USER
    )
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LOCK_ID: LOCK_HEX}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "wifi_lock"
    assert result["errors"] == {"base": "mqtt_not_available"}
    assert hass.config_entries.async_entries(DOMAIN) == []

    # MQTT enabled again: the same id now finds the lock on the broker.
    assert await hass.config_entries.async_set_disabled_by(mqtt_entry.entry_id, None)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LOCK_ID: LOCK_HEX}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_LOCK_ID: LOCK_HEX}
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_manual_already_configured(hass: HomeAssistant, mqtt_entry: MockConfigEntry) -> None:
    lock_entry().add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "wifi_lock"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LOCK_ID: LOCK_HEX}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_menu_leads_to_the_bridge_form(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "bridge"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "bridge"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": "http://x", "port": 8080, "token": "abcdef"}
    )
    assert result["errors"] == {"host": "invalid_host"}


async def test_setup_without_mqtt_not_ready(hass: HomeAssistant) -> None:
    """No MQTT integration: the entry waits for it instead of failing for good."""
    entry = lock_entry()
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state.recoverable
    assert entry.state.name == "SETUP_RETRY"
