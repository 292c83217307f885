"""Config flow tests, against the bridge stand-in over loopback.

Only the integration's set-up is replaced (it is not under test here); every
request of the flow reaches a real HTTP server speaking the bridge's API.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
import voluptuous as vol
from homeassistant.config_entries import SOURCE_DHCP, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nuki.const import CONF_ENCRYPT_TOKEN, CONF_TOKEN_MODE, DOMAIN
from custom_components.nuki.flow_helpers import clean_port, normalize_bridge_id, redact
from nukilocal.client import BridgeClient
from nukilocal.const import BridgeType
from nukilocal.sim import BridgeSimulator
from tests.support import net
from tests.support.timing import WAIT

from .conftest import TOKEN

# The hardware id of the ``bridge`` fixture: the stand-in's default.
HARDWARE_ID = 1013065235
BRIDGE_ID = "3C622613"  # upper-case hex of HARDWARE_ID
OTHER_HARDWARE_ID = 2117604523

COMPONENT = Path(__file__).parents[3] / "custom_components" / "nuki"
# The flow logs from config_flow.py and the flow_*.py modules it is split into.
FLOW_LOGGER_PREFIX = "custom_components.nuki."

# Real sockets; Home Assistant's test plugin still limits them to 127.0.0.1.
pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
def free_port(socket_enabled: None) -> int:
    """A port on 127.0.0.1 where nothing listens."""
    return net.free_port()


@pytest.fixture(autouse=True)
def mock_setup_entry() -> Iterator[AsyncMock]:
    """The integration's set-up and unload are another test module's business."""
    with (
        patch("custom_components.nuki.async_setup_entry", return_value=True) as mock,
        patch("custom_components.nuki.async_unload_entry", return_value=True),
    ):
        yield mock


def user_input(sim: BridgeSimulator, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        CONF_HOST: sim.host,
        CONF_PORT: sim.port,
        CONF_TOKEN: TOKEN,
        CONF_TOKEN_MODE: "encrypted",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def assert_no_token(result: Any, token: str = TOKEN) -> None:
    """Nothing the frontend receives may contain the token, except a created entry's data."""
    shown = {k: v for k, v in result.items() if k not in ("data", "result")}
    assert token not in repr(shown)


def add_entry(
    hass: HomeAssistant,
    *,
    unique_id: Any = BRIDGE_ID,
    host: str = "127.0.0.1",
    port: int = 8080,
    token: str = TOKEN,
    extra: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """A config entry as the built-in integration stores it (no token_mode)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=unique_id,
        title=BRIDGE_ID,
        data={
            CONF_HOST: host,
            CONF_PORT: port,
            CONF_TOKEN: token,
            CONF_ENCRYPT_TOKEN: True,
            **(extra or {}),
        },
    )
    entry.add_to_hass(hass)
    return entry


async def start_user_flow(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "bridge"
    assert result["errors"] == {}
    return result


async def configure(hass: HomeAssistant, flow_id: str, data: dict[str, Any] | None = None) -> Any:
    result = await hass.config_entries.flow.async_configure(flow_id, data)
    assert_no_token(result)
    return result


def assert_created(result: Any, sim: BridgeSimulator, mode: str = "encrypted") -> None:
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Nuki Bridge {BRIDGE_ID}"
    assert result["result"].unique_id == BRIDGE_ID
    assert result["data"] == {
        CONF_HOST: sim.host,
        CONF_PORT: sim.port,
        CONF_TOKEN: TOKEN,
        CONF_ENCRYPT_TOKEN: mode == "encrypted",
        CONF_TOKEN_MODE: mode,
    }


# -- user step -------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["encrypted", "hashed", "plain"])
async def test_user_creates_entry(
    hass: HomeAssistant, bridge: BridgeSimulator, mock_setup_entry: AsyncMock, mode: str
) -> None:
    result = await start_user_flow(hass)
    result = await configure(hass, result["flow_id"], user_input(bridge, token_mode=mode))
    await hass.async_block_till_done()

    assert_created(result, bridge, mode)
    assert len(mock_setup_entry.mock_calls) == 1
    assert bridge.stats.requests["/info"] == 1


async def test_user_defaults_port_and_mode(hass: HomeAssistant) -> None:
    result = await start_user_flow(hass)
    defaults = {
        str(key): key.default()
        for key in result["data_schema"].schema
        if key.default is not vol.UNDEFINED
    }
    assert defaults == {CONF_PORT: 8080, CONF_TOKEN_MODE: "encrypted"}


async def test_user_software_bridge(hass: HomeAssistant) -> None:
    """A software bridge has no hardwareId; its serverId is the entry's unique id."""
    async with BridgeSimulator(TOKEN, bridge_type=BridgeType.SOFTWARE) as software:
        result = await start_user_flow(hass)
        result = await configure(hass, result["flow_id"], user_input(software))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == f"{software.server_id:X}"


async def test_user_cannot_connect_then_recovers(
    hass: HomeAssistant, bridge: BridgeSimulator, free_port: int
) -> None:
    result = await start_user_flow(hass)
    result = await configure(hass, result["flow_id"], user_input(bridge, port=free_port))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}

    result = await configure(hass, result["flow_id"], user_input(bridge))
    assert_created(result, bridge)


async def test_user_invalid_token_then_recovers(
    hass: HomeAssistant, bridge: BridgeSimulator
) -> None:
    """In plain mode a 401 can only mean a wrong token."""
    result = await start_user_flow(hass)
    result = await configure(
        hass, result["flow_id"], user_input(bridge, token="wrong-token", token_mode="plain")
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert_no_token(result, "wrong-token")

    result = await configure(hass, result["flow_id"], user_input(bridge, token_mode="plain"))
    assert_created(result, bridge, "plain")


@pytest.mark.parametrize("mode", ["encrypted", "hashed"])
async def test_user_clock_out_of_sync_then_recovers(
    hass: HomeAssistant, bridge: BridgeSimulator, mode: str
) -> None:
    bridge.clock_offset = 600  # ten minutes: far outside the 60 s a token is valid
    result = await start_user_flow(hass)
    result = await configure(hass, result["flow_id"], user_input(bridge, token_mode=mode))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "clock_out_of_sync"}

    bridge.clock_offset = 0  # the user fixed the bridge's time
    result = await configure(hass, result["flow_id"], user_input(bridge, token_mode=mode))
    assert_created(result, bridge, mode)


async def test_user_clock_out_of_sync_plain_mode_recovers(
    hass: HomeAssistant, bridge: BridgeSimulator
) -> None:
    """Plain tokens do not depend on the clock: choosing plain is a way out."""
    bridge.clock_offset = -3600
    result = await start_user_flow(hass)
    result = await configure(hass, result["flow_id"], user_input(bridge))
    assert result["errors"] == {"base": "clock_out_of_sync"}

    result = await configure(hass, result["flow_id"], user_input(bridge, token_mode="plain"))
    assert_created(result, bridge, "plain")


@pytest.mark.parametrize("token", ["abc12", "a" * 21, "  abc  "])
async def test_user_token_length_then_recovers(
    hass: HomeAssistant, bridge: BridgeSimulator, token: str
) -> None:
    result = await start_user_flow(hass)
    result = await configure(hass, result["flow_id"], user_input(bridge, token=token))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_TOKEN: "invalid_token_length"}
    assert bridge.stats.total_requests == 0, "a token of the wrong length is not sent"

    result = await configure(hass, result["flow_id"], user_input(bridge))
    assert_created(result, bridge)


@pytest.mark.parametrize(
    "host",
    ["http://127.0.0.1", "http://127.0.0.1:8080/", "127.0.0.1:8080", "bridge/info", "a b", ""],
)
async def test_user_invalid_host_then_recovers(
    hass: HomeAssistant, bridge: BridgeSimulator, host: str
) -> None:
    result = await start_user_flow(hass)
    result = await configure(hass, result["flow_id"], user_input(bridge, host=host))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOST: "invalid_host"}
    assert bridge.stats.total_requests == 0

    result = await configure(hass, result["flow_id"], user_input(bridge))
    assert_created(result, bridge)


@pytest.mark.parametrize(
    "host", ["localhost", "nuki_bridge_3c622613.local", "bridge.example.", "[::1]", "fe80::1"]
)
async def test_user_host_forms_accepted(hass: HomeAssistant, host: str) -> None:
    """Host names (with underscores, as the bridge's own) and IPv6 pass the host check.

    Port 0 stops the flow before it connects anywhere.
    """
    result = await start_user_flow(hass)
    result = await configure(
        hass, result["flow_id"], {CONF_HOST: host, CONF_PORT: 0, CONF_TOKEN: TOKEN}
    )
    assert result["errors"] == {CONF_PORT: "invalid_port"}


@pytest.mark.parametrize("port", [0, 65536, 70000, -1, 8080.5])
async def test_user_port_out_of_range_then_recovers(
    hass: HomeAssistant, bridge: BridgeSimulator, port: float
) -> None:
    result = await start_user_flow(hass)
    result = await configure(hass, result["flow_id"], user_input(bridge, port=port))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_PORT: "invalid_port"}

    result = await configure(hass, result["flow_id"], user_input(bridge))
    assert_created(result, bridge)


async def test_user_form_keeps_input_but_not_token(
    hass: HomeAssistant, bridge: BridgeSimulator, free_port: int
) -> None:
    result = await start_user_flow(hass)
    result = await configure(hass, result["flow_id"], user_input(bridge, port=free_port))
    suggested = {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }
    assert suggested[CONF_HOST] == bridge.host
    assert suggested[CONF_PORT] == free_port
    assert suggested[CONF_TOKEN] is None


async def test_user_unknown_error_then_recovers(
    hass: HomeAssistant, bridge: BridgeSimulator
) -> None:
    bridge.faults.malformed = 1
    result = await start_user_flow(hass)
    result = await configure(hass, result["flow_id"], user_input(bridge))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}

    result = await configure(hass, result["flow_id"], user_input(bridge))
    assert_created(result, bridge)


def flow_records(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    """What the config flow itself logged at ``level`` (set-up is not running here)."""
    return [
        r for r in caplog.records if r.name.startswith(FLOW_LOGGER_PREFIX) and r.levelno == level
    ]


def assert_token_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        assert TOKEN not in record.getMessage(), record.name
        assert record.exc_info is None, "no traceback: its frames may hold the token"
    assert TOKEN not in caplog.text


async def test_user_unexpected_error_logged_without_token(
    hass: HomeAssistant, bridge: BridgeSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever the exception, the form stays usable and one line is logged, redacted."""
    caplog.set_level(logging.DEBUG)
    result = await start_user_flow(hass)
    # No bridge can make the library raise a Python bug: only here is the call patched.
    bug = RuntimeError(f"cannot reuse token {TOKEN}")
    with patch.object(BridgeClient, "info", side_effect=bug) as info:
        result = await configure(hass, result["flow_id"], user_input(bridge))
    assert info.await_count == 1
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "bridge"
    assert result["errors"] == {"base": "unknown"}

    assert [r.getMessage() for r in flow_records(caplog, logging.ERROR)] == [
        f"Unexpected error while checking bridge {bridge.host}:{bridge.port}: "
        "RuntimeError: cannot reuse token **REDACTED**"
    ]
    assert_token_not_logged(caplog)

    result = await configure(hass, result["flow_id"], user_input(bridge))
    assert_created(result, bridge)


@pytest.mark.parametrize("unique_id", [BRIDGE_ID, HARDWARE_ID], ids=["hex", "legacy_int"])
async def test_user_already_configured_updates_address(
    hass: HomeAssistant, bridge: BridgeSimulator, unique_id: Any
) -> None:
    entry = add_entry(hass, unique_id=unique_id, host="192.0.2.1", port=1)
    result = await start_user_flow(hass)
    result = await configure(hass, result["flow_id"], user_input(bridge))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == bridge.host
    assert entry.data[CONF_PORT] == bridge.port
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    assert entry.title == BRIDGE_ID, "an existing entry keeps its title"


async def test_token_not_logged(
    hass: HomeAssistant, bridge: BridgeSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Plain mode puts the token in the URL; it must still stay out of the log."""
    caplog.set_level("DEBUG")
    result = await start_user_flow(hass)
    result = await configure(
        hass, result["flow_id"], user_input(bridge, token="wrong-token", token_mode="plain")
    )
    result = await configure(hass, result["flow_id"], user_input(bridge, token_mode="plain"))
    assert_created(result, bridge, "plain")
    assert "nukilocal" in caplog.text, "the library's debug lines were captured"
    assert TOKEN not in caplog.text
    assert "wrong-token" not in caplog.text


# -- the bridge's button ---------------------------------------------------------


async def press_when_asked(hass: HomeAssistant, sim: BridgeSimulator) -> None:
    """Press the button once /auth is waiting, then let the flow pick the result up."""
    await sim.wait_for_auth_request(timeout=WAIT)
    assert sim.press_button()
    await hass.async_block_till_done()


async def test_button_obtains_token(
    hass: HomeAssistant, bridge: BridgeSimulator, mock_setup_entry: AsyncMock
) -> None:
    result = await start_user_flow(hass)
    result = await configure(hass, result["flow_id"], user_input(bridge, token=None))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "button"
    assert result["description_placeholders"]["button_seconds"] == "30"

    result = await configure(hass, result["flow_id"], {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["progress_action"] == "press_button"

    await press_when_asked(hass, bridge)
    result = await configure(hass, result["flow_id"])
    await hass.async_block_till_done()

    assert_created(result, bridge)
    assert len(mock_setup_entry.mock_calls) == 1


async def test_button_empty_token_is_button(hass: HomeAssistant, bridge: BridgeSimulator) -> None:
    """A token of only spaces counts as no token."""
    result = await start_user_flow(hass)
    result = await configure(hass, result["flow_id"], user_input(bridge, token="   "))
    assert result["step_id"] == "button"


async def test_button_not_pressed_then_pressed(
    hass: HomeAssistant, bridge: BridgeSimulator
) -> None:
    result = await start_user_flow(hass)
    result = await configure(hass, result["flow_id"], user_input(bridge, token=None))
    result = await configure(hass, result["flow_id"], {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS

    # Nobody presses: the stand-in gives up after 30 s of its scaled time.
    await hass.async_block_till_done()
    result = await configure(hass, result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "button"
    assert result["errors"] == {"base": "button_not_pressed"}

    result = await configure(hass, result["flow_id"], {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await press_when_asked(hass, bridge)
    result = await configure(hass, result["flow_id"])
    assert_created(result, bridge)


async def test_button_cannot_connect_back_to_form(
    hass: HomeAssistant, bridge: BridgeSimulator, free_port: int
) -> None:
    result = await start_user_flow(hass)
    result = await configure(
        hass, result["flow_id"], user_input(bridge, port=free_port, token=None)
    )
    result = await configure(hass, result["flow_id"], {})
    await hass.async_block_till_done()
    result = await configure(hass, result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "bridge"
    assert result["errors"] == {"base": "cannot_connect"}

    result = await configure(hass, result["flow_id"], user_input(bridge))
    assert_created(result, bridge)


async def test_button_token_refused_back_to_form(
    hass: HomeAssistant, bridge: BridgeSimulator
) -> None:
    """The new token fails its check (clock): the form comes back to pick another mode."""
    bridge.clock_offset = 600
    result = await start_user_flow(hass)
    result = await configure(hass, result["flow_id"], user_input(bridge, token=None))
    result = await configure(hass, result["flow_id"], {})
    await press_when_asked(hass, bridge)
    result = await configure(hass, result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "bridge"
    assert result["errors"] == {"base": "clock_out_of_sync"}

    result = await configure(hass, result["flow_id"], user_input(bridge, token_mode="plain"))
    assert_created(result, bridge, "plain")


async def test_button_unreadable_answer_back_to_form(
    hass: HomeAssistant, bridge: BridgeSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """An answer to /auth that is not JSON: "unknown", logged without the token it carried."""
    caplog.set_level(logging.DEBUG)
    bridge.faults.malformed = 1  # the next answer: /auth's, with the new token in it
    result = await start_user_flow(hass)
    result = await configure(hass, result["flow_id"], user_input(bridge, token=None))
    result = await configure(hass, result["flow_id"], {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await press_when_asked(hass, bridge)
    result = await configure(hass, result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "bridge"
    assert result["errors"] == {"base": "unknown"}
    assert bridge.faults.malformed == 0, "the stand-in mangled the answer"

    warnings = [r.getMessage() for r in flow_records(caplog, logging.WARNING)]
    assert warnings == [
        f"Token request to {bridge.host} failed: "
        "the bridge answered /auth with something that is not JSON"
    ]
    assert_token_not_logged(caplog)

    result = await configure(hass, result["flow_id"], user_input(bridge))
    assert_created(result, bridge)


async def test_button_unexpected_error_back_to_form(
    hass: HomeAssistant, bridge: BridgeSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever the exception, the flow goes back to the form and logs only its type."""
    caplog.set_level(logging.DEBUG)
    pressed = asyncio.Event()

    async def broken_request_token() -> str:
        await pressed.wait()  # like the bridge: nothing happens before the button
        raise RuntimeError(f"answer was {{'token': '{TOKEN}'}}")

    result = await start_user_flow(hass)
    result = await configure(hass, result["flow_id"], user_input(bridge, token=None))
    # No bridge can make the library raise a Python bug: only here is the call patched.
    with patch.object(BridgeClient, "request_token", side_effect=broken_request_token):
        result = await configure(hass, result["flow_id"], {})
        assert result["type"] is FlowResultType.SHOW_PROGRESS
        pressed.set()
        await hass.async_block_till_done()
        result = await configure(hass, result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "bridge"
    assert result["errors"] == {"base": "unknown"}

    assert [r.getMessage() for r in flow_records(caplog, logging.ERROR)] == [
        f"Unexpected error while requesting a token from {bridge.host}: RuntimeError"
    ]
    assert_token_not_logged(caplog)

    result = await configure(hass, result["flow_id"], user_input(bridge))
    assert_created(result, bridge)


async def test_button_flow_aborted_cancels_request(hass: HomeAssistant) -> None:
    """Closing the dialog while /auth waits cancels the request instead of leaving it."""
    tasks: list[asyncio.Task[Any] | None] = []
    request_token = BridgeClient.request_token

    async def recording_request_token(client: BridgeClient) -> str:
        tasks.append(asyncio.current_task())  # the task the flow runs /auth in
        return await request_token(client)

    async with BridgeSimulator(TOKEN, hardware_id=HARDWARE_ID) as slow:  # waits a real 30 s
        result = await start_user_flow(hass)
        result = await configure(hass, result["flow_id"], user_input(slow, token=None))
        with patch.object(BridgeClient, "request_token", recording_request_token):
            result = await configure(hass, result["flow_id"], {})
        await slow.wait_for_auth_request(timeout=WAIT)
        assert [flow["step_id"] for flow in hass.config_entries.flow.async_progress()] == ["button"]
        [task] = tasks
        assert task is not None
        assert not task.done()

        hass.config_entries.flow.async_abort(result["flow_id"])
        await hass.async_block_till_done()
        assert task.cancelled()
    assert not hass.config_entries.flow.async_progress()
    assert hass.config_entries.async_entries(DOMAIN) == []


# -- DHCP ------------------------------------------------------------------------


def dhcp_info(ip: str = "127.0.0.1", hostname: str = "nuki_bridge_3c622613") -> DhcpServiceInfo:
    return DhcpServiceInfo(ip=ip, hostname=hostname, macaddress="5410ec000001")


async def test_dhcp_new_bridge(hass: HomeAssistant, bridge: BridgeSimulator) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info(bridge.host)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "dhcp_confirm"
    assert result["description_placeholders"]["bridge_id"] == BRIDGE_ID
    suggested = {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }
    assert suggested[CONF_HOST] == bridge.host
    flows = hass.config_entries.flow.async_progress()
    assert flows[0]["context"]["title_placeholders"] == {"name": f"Nuki Bridge {BRIDGE_ID}"}

    result = await configure(hass, result["flow_id"], user_input(bridge, token="x"))
    assert result["errors"] == {CONF_TOKEN: "invalid_token_length"}
    result = await configure(hass, result["flow_id"], user_input(bridge))
    assert_created(result, bridge)


async def test_dhcp_new_bridge_with_button(hass: HomeAssistant, bridge: BridgeSimulator) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info(bridge.host)
    )
    result = await configure(hass, result["flow_id"], user_input(bridge, token=None))
    assert result["step_id"] == "button"
    result = await configure(hass, result["flow_id"], {})
    await press_when_asked(hass, bridge)
    result = await configure(hass, result["flow_id"])
    assert_created(result, bridge)


async def test_dhcp_known_bridge_same_address(hass: HomeAssistant) -> None:
    entry = add_entry(hass, host="192.0.2.10")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info("192.0.2.10")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == "192.0.2.10"


@pytest.mark.parametrize("unique_id", [BRIDGE_ID, HARDWARE_ID], ids=["hex", "legacy_int"])
async def test_dhcp_known_bridge_moved(hass: HomeAssistant, unique_id: Any) -> None:
    entry = add_entry(hass, unique_id=unique_id, host="192.0.2.10", port=8081)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info("192.0.2.77")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == "192.0.2.77"
    assert entry.data[CONF_PORT] == 8081, "DHCP knows nothing about the port"
    assert entry.data[CONF_TOKEN] == TOKEN


async def test_dhcp_moved_loaded_entry_is_reloaded(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    entry = add_entry(hass, unique_id=HARDWARE_ID, host="192.0.2.10")
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    calls = len(mock_setup_entry.mock_calls)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info("192.0.2.77")
    )
    await hass.async_block_till_done()
    assert result["reason"] == "already_configured"
    assert len(mock_setup_entry.mock_calls) == calls + 1


async def test_dhcp_other_bridge_not_matched(hass: HomeAssistant) -> None:
    """An entry of another bridge is left alone; the new one is offered."""
    entry = add_entry(hass, unique_id=OTHER_HARDWARE_ID, host="192.0.2.10")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info("192.0.2.77")
    )
    assert result["type"] is FlowResultType.FORM
    assert entry.data[CONF_HOST] == "192.0.2.10"


async def test_dhcp_not_a_bridge(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info(hostname="nuki_opener")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_nuki_bridge"


# -- re-authentication -----------------------------------------------------------


async def test_reauth_new_token(
    hass: HomeAssistant, bridge: BridgeSimulator, mock_setup_entry: AsyncMock
) -> None:
    entry = add_entry(hass, port=bridge.port, token="old-token-123")
    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert_no_token(result, "old-token-123")

    result = await configure(
        hass, result["flow_id"], {CONF_TOKEN: "still-wrong", CONF_TOKEN_MODE: "plain"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await configure(hass, result["flow_id"], {CONF_TOKEN: "short"})
    assert result["errors"] == {CONF_TOKEN: "invalid_token_length"}

    result = await configure(
        hass, result["flow_id"], {CONF_TOKEN: TOKEN, CONF_TOKEN_MODE: "hashed"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_TOKEN] == TOKEN
    assert entry.data[CONF_TOKEN_MODE] == "hashed"
    assert entry.data[CONF_ENCRYPT_TOKEN] is False
    assert entry.data[CONF_HOST] == bridge.host
    assert len(mock_setup_entry.mock_calls) == 1, "the entry was reloaded"


async def test_reauth_cannot_connect_then_recovers(hass: HomeAssistant, free_port: int) -> None:
    entry = add_entry(hass, port=free_port, token="old-token-123")
    result = await entry.start_reauth_flow(hass)
    result = await configure(hass, result["flow_id"], {CONF_TOKEN: TOKEN})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}

    # The bridge is back (on the stored address) and the user submits again.
    async with BridgeSimulator(TOKEN, port=free_port, hardware_id=HARDWARE_ID):
        result = await configure(hass, result["flow_id"], {CONF_TOKEN: TOKEN})
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_TOKEN] == TOKEN


async def test_reauth_with_button(hass: HomeAssistant, bridge: BridgeSimulator) -> None:
    entry = add_entry(hass, unique_id=HARDWARE_ID, port=bridge.port, token="old-token-123")
    result = await entry.start_reauth_flow(hass)
    result = await configure(hass, result["flow_id"], {CONF_TOKEN_MODE: "encrypted"})
    assert result["step_id"] == "button"
    result = await configure(hass, result["flow_id"], {})
    await press_when_asked(hass, bridge)
    result = await configure(hass, result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_TOKEN] == TOKEN
    assert entry.data[CONF_TOKEN_MODE] == "encrypted"
    assert entry.data[CONF_ENCRYPT_TOKEN] is True


async def test_reauth_button_not_pressed_stays_in_reauth(
    hass: HomeAssistant, bridge: BridgeSimulator
) -> None:
    entry = add_entry(hass, port=bridge.port, token="old-token-123")
    result = await entry.start_reauth_flow(hass)
    result = await configure(hass, result["flow_id"], {CONF_TOKEN_MODE: "encrypted"})
    result = await configure(hass, result["flow_id"], {})
    await hass.async_block_till_done()
    result = await configure(hass, result["flow_id"])
    assert result["step_id"] == "button"
    assert result["errors"] == {"base": "button_not_pressed"}
    assert entry.data[CONF_TOKEN] == "old-token-123"


async def test_reauth_button_token_refused_back_to_reauth_form(
    hass: HomeAssistant, bridge: BridgeSimulator
) -> None:
    """The new token fails its check (clock): the re-authentication form comes back."""
    bridge.clock_offset = 600
    entry = add_entry(hass, port=bridge.port, token="old-token-123")
    result = await entry.start_reauth_flow(hass)
    result = await configure(hass, result["flow_id"], {CONF_TOKEN_MODE: "encrypted"})
    result = await configure(hass, result["flow_id"], {})
    await press_when_asked(hass, bridge)
    result = await configure(hass, result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {"base": "clock_out_of_sync"}
    assert result["description_placeholders"]["name"] == BRIDGE_ID
    assert entry.data[CONF_TOKEN] == "old-token-123"

    result = await configure(hass, result["flow_id"], {CONF_TOKEN: TOKEN, CONF_TOKEN_MODE: "plain"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_TOKEN] == TOKEN
    assert entry.data[CONF_TOKEN_MODE] == "plain"


async def test_reauth_entry_without_unique_id(hass: HomeAssistant, bridge: BridgeSimulator) -> None:
    """An entry without unique id cannot be checked: whichever bridge answers is taken."""
    entry = add_entry(hass, unique_id=None, port=bridge.port, token="old-token-123")
    result = await entry.start_reauth_flow(hass)
    result = await configure(hass, result["flow_id"], {CONF_TOKEN: TOKEN})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_TOKEN] == TOKEN


async def test_reauth_other_bridge_aborts(hass: HomeAssistant) -> None:
    async with BridgeSimulator(TOKEN, hardware_id=OTHER_HARDWARE_ID) as other:
        entry = add_entry(hass, port=other.port, token="old-token-123")
        result = await entry.start_reauth_flow(hass)
        result = await configure(hass, result["flow_id"], {CONF_TOKEN: TOKEN})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_bridge"
    assert result["description_placeholders"] == {
        "expected_id": BRIDGE_ID,
        "found_id": f"{OTHER_HARDWARE_ID:X}",
    }
    assert entry.data[CONF_TOKEN] == "old-token-123"


# -- reconfiguration -------------------------------------------------------------


async def test_reconfigure_same_bridge(
    hass: HomeAssistant, bridge: BridgeSimulator, free_port: int, mock_setup_entry: AsyncMock
) -> None:
    entry = add_entry(hass, port=free_port)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert_no_token(result)

    result = await configure(hass, result["flow_id"], {CONF_HOST: "http://x", CONF_PORT: 0})
    assert result["errors"] == {CONF_HOST: "invalid_host", CONF_PORT: "invalid_port"}
    result = await configure(
        hass, result["flow_id"], {CONF_HOST: bridge.host, CONF_PORT: free_port}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    # An empty token keeps the stored one.
    result = await configure(
        hass,
        result["flow_id"],
        {CONF_HOST: bridge.host, CONF_PORT: bridge.port, CONF_TOKEN_MODE: "plain"},
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert dict(entry.data) == {
        CONF_HOST: bridge.host,
        CONF_PORT: bridge.port,
        CONF_TOKEN: TOKEN,
        CONF_ENCRYPT_TOKEN: False,
        CONF_TOKEN_MODE: "plain",
    }
    assert entry.unique_id == BRIDGE_ID
    assert entry.title == BRIDGE_ID, "an existing entry keeps its title"
    assert len(mock_setup_entry.mock_calls) == 1, "the entry was reloaded"


async def test_reconfigure_new_token(hass: HomeAssistant, bridge: BridgeSimulator) -> None:
    entry = add_entry(hass, port=bridge.port, token="old-token-123")
    result = await entry.start_reconfigure_flow(hass)
    result = await configure(hass, result["flow_id"], user_input(bridge, token="wrong-token"))
    assert result["errors"] == {"base": "clock_out_of_sync"}
    result = await configure(hass, result["flow_id"], user_input(bridge))
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_TOKEN] == TOKEN


async def test_reconfigure_other_bridge_aborts(
    hass: HomeAssistant, bridge: BridgeSimulator
) -> None:
    async with BridgeSimulator(TOKEN, hardware_id=OTHER_HARDWARE_ID) as other:
        entry = add_entry(hass, port=bridge.port)
        result = await entry.start_reconfigure_flow(hass)
        result = await configure(hass, result["flow_id"], user_input(other))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_bridge"
    assert entry.data[CONF_PORT] == bridge.port


# -- input helpers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("unique_id", "expected"),
    [
        (BRIDGE_ID, BRIDGE_ID),
        (BRIDGE_ID.lower(), BRIDGE_ID),
        (HARDWARE_ID, BRIDGE_ID),
        # bool is an int to Python, but True is no bridge id 1.
        (True, None),
        (False, None),
        ("", None),
        (None, None),
        (float(HARDWARE_ID), None),
    ],
)
def test_normalize_bridge_id(unique_id: object, expected: str | None) -> None:
    assert normalize_bridge_id(unique_id) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (8080, 8080),
        (8080.0, 8080),
        ("8080", 8080),
        (None, None),
        ("", None),
        ("http", None),
        ([8080], None),
    ],
)
def test_clean_port(raw: object, expected: int | None) -> None:
    """The port selector hands over numbers; anything else is no port, not an exception."""
    assert clean_port(raw) == expected


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (TOKEN, "token **REDACTED** refused"),
        (None, f"token {TOKEN} refused"),
        # An empty token is no token: message.replace("", ...) would mark every gap.
        ("", f"token {TOKEN} refused"),
    ],
)
def test_redact(token: str | None, expected: str) -> None:
    assert redact(f"token {TOKEN} refused", token) == expected


# -- translations ----------------------------------------------------------------


def test_config_strings_complete() -> None:
    strings = json.loads((COMPONENT / "strings.json").read_text(encoding="utf-8"))["config"]
    english = json.loads((COMPONENT / "translations" / "en.json").read_text(encoding="utf-8"))
    assert english["config"] == strings

    assert set(strings["error"]) >= {
        "cannot_connect",
        "invalid_auth",
        "clock_out_of_sync",
        "invalid_host",
        "invalid_port",
        "invalid_token_length",
        "button_not_pressed",
        "unknown",
    }
    assert set(strings["abort"]) >= {
        "already_configured",
        "already_in_progress",
        "not_nuki_bridge",
        "reauth_successful",
        "reconfigure_successful",
        "wrong_bridge",
    }
    assert "press_button" in strings["progress"]
    assert set(strings["step"]["user"]["menu_options"]) == {"bridge", "wifi_lock"}
    for step_id in ("bridge", "dhcp_confirm", "reconfigure"):
        step = strings["step"][step_id]
        assert (
            set(step["data"])
            == set(step["data_description"])
            == {
                CONF_HOST,
                CONF_PORT,
                CONF_TOKEN,
                CONF_TOKEN_MODE,
            }
        )
    assert set(strings["step"]["reauth_confirm"]["data"]) == {CONF_TOKEN, CONF_TOKEN_MODE}
    assert "button" in strings["step"]
