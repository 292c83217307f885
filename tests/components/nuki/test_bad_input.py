"""Bad input at the webhook and in the config flow: refused or ignored, never a crash.

The webhook is fed over Home Assistant's real HTTP stack: a 1 MB body, a
callback for the other device type with a lock's id, a flood of 1000 callbacks
(valid and garbage) and property-based bodies from hypothesis. Hypothesis runs
in an executor thread and hands each example to Home Assistant's loop, so every
example is a real POST through aiohttp, the webhook component and the handler.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine
from typing import Any

import pytest
from homeassistant.components.lock import LockState as HaLockState
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.nuki.const import CONF_TOKEN_MODE, DOMAIN, MAX_CALLBACK_BODY
from nukilocal.const import DeviceType, LockState, Mode, OpenerState
from nukilocal.models import DeviceKey
from nukilocal.sim.bridge import BridgeSimulator

from .conftest import FRONT_DOOR, OPENER, TOKEN, WEBHOOK_ID
from .faultkit import assert_no_tracebacks

WEBHOOK_PATH = f"/api/webhook/{WEBHOOK_ID}"
FRONT = "lock.front_door"
ENTRANCE = "lock.building_entrance"
# States a lock entity of this integration may show.
LOCK_STATES = {s.value for s in HaLockState} | {"unknown", "unavailable"}


def run_in_loop[T](
    loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T], timeout: float = 30
) -> T:
    """From the hypothesis thread: run one coroutine on Home Assistant's loop."""
    return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)


async def test_one_megabyte_body(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await hass_client_no_auth()
    coordinator = init_integration.runtime_data.bridge
    # Valid JSON that would unlock the door, padded to 1 MB: refused unread.
    body = json.dumps(
        {"nukiId": FRONT_DOOR, "deviceType": 4, "state": 3, "pad": "x" * (1 << 20)}
    ).encode()
    caplog.clear()
    with caplog.at_level(logging.WARNING, "custom_components.nuki"):
        response = await client.post(WEBHOOK_PATH, data=body)
    assert response.status == 413
    ours = [r for r in caplog.records if r.name.startswith("custom_components.nuki")]
    assert len(ours) == 1
    assert f"larger than {MAX_CALLBACK_BODY} bytes" in ours[0].getMessage()
    assert coordinator.push.health.rejected == 1
    assert hass.states.get(FRONT).state == HaLockState.LOCKED
    assert_no_tracebacks(caplog)


async def test_other_device_type_with_a_locks_id(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An opener's state under a lock's nukiId is not the lock's state."""
    client = await hass_client_no_auth()
    coordinator = init_integration.runtime_data.bridge
    before = coordinator.data[DeviceKey(FRONT_DOOR, opener=False)].state
    body = {
        "nukiId": FRONT_DOOR,
        "deviceType": int(DeviceType.OPENER),
        "mode": int(Mode.CONTINUOUS),
        "state": int(OpenerState.RTO_ACTIVE),
        "batteryCritical": True,
    }
    response = await client.post(WEBHOOK_PATH, json=body)
    assert response.status == 200
    await hass.async_block_till_done()
    assert coordinator.data[DeviceKey(FRONT_DOOR, opener=False)].state == before
    assert hass.states.get(FRONT).state == HaLockState.LOCKED
    assert hass.states.get("binary_sensor.front_door_battery_critical").state == "off"

    # The same the other way round: a lock's state under the opener's id.
    body = {"nukiId": OPENER, "deviceType": 4, "state": int(LockState.UNLOCKED)}
    response = await client.post(WEBHOOK_PATH, json=body)
    assert response.status == 200
    await hass.async_block_till_done()
    assert hass.states.get(ENTRANCE).state == HaLockState.LOCKED

    # A lock's callback without deviceType (software bridges) still applies.
    body = {"nukiId": FRONT_DOOR, "state": int(LockState.UNLOCKED)}
    response = await client.post(WEBHOOK_PATH, json=body)
    assert response.status == 200
    await hass.async_block_till_done()
    assert hass.states.get(FRONT).state == HaLockState.UNLOCKED
    assert_no_tracebacks(caplog)


async def test_flood_of_callbacks(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """1000 callbacks and 1000 garbage bodies in parallel batches: all counted, state right."""
    client = await hass_client_no_auth()
    coordinator = init_integration.runtime_data.bridge
    lock = bridge.lock(FRONT_DOOR)
    requests = bridge.stats.total_requests
    # Debug lines of a thousand state changes would dominate the run time.
    caplog.set_level(logging.WARNING)

    async def post(body: Any) -> int:
        response = await client.post(WEBHOOK_PATH, data=body)
        return response.status

    # Bursts of 20 identical callbacks at once, the state alternating between bursts.
    for burst in range(50):
        state = LockState.UNLOCKED if burst % 2 == 0 else LockState.LOCKED
        body = json.dumps(lock.callback_body() | {"state": int(state)})
        assert await asyncio.gather(*(post(body) for _ in range(20))) == [200] * 20
        expected = HaLockState.UNLOCKED if burst % 2 == 0 else HaLockState.LOCKED
        assert hass.states.get(FRONT).state == expected
    assert coordinator.push.health.received == 1000
    assert hass.states.get(FRONT).state == HaLockState.LOCKED

    caplog.clear()
    statuses = await asyncio.gather(*(post(b"{garbage" + bytes([i % 256])) for i in range(1000)))
    assert set(statuses) == {400}
    assert coordinator.push.health.rejected == 1000
    warnings = [r for r in caplog.records if r.name == "custom_components.nuki.push"]
    assert len(warnings) == 1000, "one line per refused body"
    assert hass.states.get(FRONT).state == HaLockState.LOCKED
    assert bridge.stats.total_requests == requests, "callbacks cost the bridge nothing"
    assert_no_tracebacks(caplog)


# -- property-based ---------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "nukiId",
        "deviceType",
        "mode",
        "state",
        "stateName",
        "batteryCritical",
        "batteryCharging",
        "batteryChargeState",
        "keypadBatteryCritical",
        "doorsensorState",
        "doorsensorBatteryCritical",
        "ringactionState",
        "ringactionTimestamp",
        "timestamp",
    ]
)
known_ids = st.sampled_from([FRONT_DOOR, OPENER, 42, str(FRONT_DOOR), float(OPENER)])
callback_like = st.fixed_dictionaries(
    {"nukiId": known_ids}, optional={"deviceType": st.sampled_from([0, 2, 3, 4, 5, 99, "4", None])}
).flatmap(
    lambda base: st.dictionaries(field_names, json_values, max_size=8).map(
        lambda extra: {**extra, **base}
    )
)
bodies = st.one_of(
    callback_like.map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
)


async def test_webhook_property_based(
    hass: HomeAssistant,
    bridge: BridgeSimulator,
    init_integration: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Whatever the body: 200, 400 or 413; no traceback; devices and entities consistent."""
    client = await hass_client_no_auth()
    coordinator = init_integration.runtime_data.bridge
    keys = set(coordinator.data)
    loop = asyncio.get_running_loop()
    posted: list[int] = []

    async def post(body: bytes) -> int:
        response = await client.post(WEBHOOK_PATH, data=body)
        await hass.async_block_till_done()
        return response.status

    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(body=bodies)
    def property_holds(body: bytes) -> None:
        status = run_in_loop(loop, post(body))
        posted.append(status)
        assert status in (200, 400, 413)
        assert set(coordinator.data) == keys
        for entity_id in ("lock.front_door", "lock.back_door", "lock.building_entrance"):
            assert hass.states.get(entity_id).state in LOCK_STATES

    await hass.async_add_executor_job(property_holds)
    assert len(posted) >= 150
    assert coordinator.push.health.received + coordinator.push.health.rejected <= len(posted)
    assert coordinator.push.health.rejected == posted.count(400) + posted.count(413)
    assert_no_tracebacks(caplog)


QUICK = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


# -- config flow ---------------------------------------------------------------------


async def test_config_flow_property_based(
    hass: HomeAssistant, bridge: BridgeSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Any token: wrong lengths are refused unsent, the rest asked at the bridge.

    Hosts that carry a scheme, path or port are refused unsent too. The
    integration's set-up is not reached: the right token is never generated.
    """
    loop = asyncio.get_running_loop()

    async def submit(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
        sent = bridge.stats.total_requests
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
        if result["type"] is FlowResultType.FORM:
            hass.config_entries.flow.async_abort(result["flow_id"])
        return result, bridge.stats.total_requests - sent

    def form(**changes: Any) -> dict[str, Any]:
        return {
            CONF_HOST: bridge.host,
            CONF_PORT: bridge.port,
            CONF_TOKEN: TOKEN,
            CONF_TOKEN_MODE: "hashed",
        } | changes

    @QUICK
    @given(
        token=st.one_of(st.text(max_size=5), st.text(min_size=21, max_size=40)).filter(
            lambda t: t.strip() and not 6 <= len(t.strip()) <= 20
        )
    )
    def tokens(token: str) -> None:
        result, sent = run_in_loop(loop, submit(form(token=token)))
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {CONF_TOKEN: "invalid_token_length"}
        assert sent == 0
        if len(token.strip()) > 20:
            assert token.strip() not in repr(result)

    # The boundaries are accepted and asked at the bridge (which refuses them).
    for token in ("abcdef", "x" * 20, "  abcdef  "):
        result, sent = await submit(form(token=token))
        assert result["errors"] == {"base": "clock_out_of_sync"}
        assert sent == 1

    @QUICK
    @given(
        scheme=st.sampled_from(["http://", "https://", "ftp://", "//", ""]),
        suffix=st.sampled_from([":8080", "/", "/info", ":8080/list?token=x", "?a=b", "#x"]),
        port=st.one_of(st.integers(max_value=0), st.integers(min_value=65536)),
    )
    def hosts_and_ports(scheme: str, suffix: str, port: int) -> None:
        result, sent = run_in_loop(loop, submit(form(host=f"{scheme}127.0.0.1{suffix}", port=port)))
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {CONF_HOST: "invalid_host", CONF_PORT: "invalid_port"}
        assert sent == 0

    await hass.async_add_executor_job(tokens)
    await hass.async_add_executor_job(hosts_and_ports)
    assert not hass.config_entries.async_entries(DOMAIN)
    assert_no_tracebacks(caplog)
