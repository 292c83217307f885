"""The bridge stand-in over real loopback HTTP, with raw aiohttp requests."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from nukilocal.auth import auth_params
from nukilocal.const import (
    DeviceType,
    LockState,
    Mode,
    OpenerState,
    TokenMode,
)
from nukilocal.sim import BridgeSimulator, SimOpener, SimSmartLock
from tests.support.ids import BACK_DOOR, FRONT_DOOR, OPENER, TOKEN
from tests.support.timing import WAIT


async def call(
    http: aiohttp.ClientSession,
    sim: BridgeSimulator,
    path: str,
    *,
    auth: dict[str, str] | None = None,
    timeout: float = WAIT,
    **params: Any,
) -> tuple[int, Any]:
    """GET an endpoint; JSON answers decoded, anything else as text."""
    query = {"token": TOKEN} if auth is None else dict(auth)
    query.update({k: str(v) for k, v in params.items()})
    async with http.get(
        f"{sim.base_url}{path}", params=query, timeout=aiohttp.ClientTimeout(total=timeout)
    ) as response:
        text = await response.text()
        if response.content_type == "application/json":
            return response.status, json.loads(text)
        return response.status, text


# -- /list, /info, /lockState ------------------------------------------------


async def test_list_has_every_device_as_a_real_bridge_sends_it(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    status, data = await call(http, bridge_sim, "/list")
    assert status == 200
    assert [(d["nukiId"], d["deviceType"]) for d in data] == [
        (FRONT_DOOR, 4),
        (BACK_DOOR, 0),
        (OPENER, 2),
    ]
    front = data[0]
    assert list(front) == ["deviceType", "nukiId", "name", "firmwareVersion", "lastKnownState"]
    assert front["lastKnownState"] == {
        "mode": 2,
        "state": 1,
        "stateName": "locked",
        "batteryCritical": False,
        "batteryCharging": False,
        "batteryChargeState": 96,
        "keypadBatteryCritical": False,
        "doorsensorState": 2,
        "doorsensorStateName": "door closed",
        "timestamp": front["lastKnownState"]["timestamp"],
    }
    assert front["lastKnownState"]["timestamp"].endswith("+00:00")
    assert "doorsensorState" not in data[1]["lastKnownState"]
    opener_state = data[2]["lastKnownState"]
    assert opener_state["ringactionState"] is False
    assert opener_state["stateName"] == "online"


async def test_info_hardware(bridge_sim: BridgeSimulator, http: aiohttp.ClientSession) -> None:
    status, data = await call(http, bridge_sim, "/info")
    assert status == 200
    assert list(data) == [
        "bridgeType",
        "ids",
        "versions",
        "uptime",
        "currentTime",
        "wlanConnected",
        "serverConnected",
        "scanResults",
    ]
    assert data["bridgeType"] == 1
    assert data["ids"] == {"hardwareId": 1013065235, "serverId": 1754925342}
    assert data["versions"] == {"firmwareVersion": "2.17.0", "wifiFirmwareVersion": "2.4.0"}
    now = datetime.now(UTC)
    current = datetime.fromisoformat(data["currentTime"])
    assert abs(current - now) < timedelta(seconds=5)
    assert {
        "deviceType": 2,
        "nukiId": OPENER,
        "name": "Nuki_Opener_377DEC12",
        "rssi": -59,
        "paired": True,
    } in data["scanResults"]


async def test_lock_state(bridge_sim: BridgeSimulator, http: aiohttp.ClientSession) -> None:
    status, data = await call(http, bridge_sim, "/lockState", nukiId=FRONT_DOOR, deviceType=4)
    assert status == 200
    assert data["success"] is True
    assert data["state"] == 1
    assert "timestamp" not in data
    # deviceType omitted (defaults to 0 on a real bridge): the unambiguous id still works.
    status, data = await call(http, bridge_sim, "/lockState", nukiId=FRONT_DOOR)
    assert (status, data["stateName"]) == (200, "locked")
    assert await call(http, bridge_sim, "/lockState", nukiId=FRONT_DOOR, deviceType=2) == (
        404,
        "HTTP 404 Not Found",
    )
    assert (await call(http, bridge_sim, "/lockState", nukiId=1))[0] == 404
    assert await call(http, bridge_sim, "/lockState") == (400, "HTTP 400 Bad Request")
    assert (await call(http, bridge_sim, "/lockState", nukiId="x"))[0] == 400
    bridge_sim.device(BACK_DOOR).set_online(False)
    assert await call(http, bridge_sim, "/lockState", nukiId=BACK_DOOR, deviceType=0) == (
        503,
        "HTTP 503 Unavailable",
    )


# -- actions -----------------------------------------------------------------


async def test_lock_action_waits_for_the_result(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    lock = bridge_sim.lock(FRONT_DOOR)
    seen: list[int] = []
    lock.add_listener(lambda d: seen.append(d.state_id))
    status, data = await call(
        http, bridge_sim, "/lockAction", nukiId=FRONT_DOOR, deviceType=4, action=1
    )
    assert (status, data) == (200, {"success": True, "batteryCritical": False})
    assert lock.state is LockState.UNLOCKED
    assert seen == [LockState.UNLOCKING, LockState.UNLOCKED]


@pytest.mark.parametrize("spelling", ["nowait", "noWait"])
async def test_lock_action_nowait_answers_at_once(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession, spelling: str
) -> None:
    lock = bridge_sim.lock(FRONT_DOOR)
    lock.clock.time_factor = 1.0  # a real 1.5 s motor run: the answer must not wait for it
    params = {"nukiId": FRONT_DOOR, "deviceType": 4, "action": 2, spelling: 1}
    lock.turn_knob(lock=False)
    status, data = await call(http, bridge_sim, "/lockAction", **params)
    assert (status, data["success"]) == (200, True)
    assert lock.state is LockState.LOCKING
    # The lock is busy: with the radio "exclusive" (the default) the bridge answers 503.
    lock.clock.time_factor = 0.01
    status, data = await call(
        http, bridge_sim, "/lockAction", nukiId=FRONT_DOOR, deviceType=4, action=1
    )
    assert (status, data) == (503, "HTTP 503 Unavailable")
    # With "parallel" the bridge passes it on and the device refuses it.
    bridge_sim.radio = "parallel"
    status, data = await call(
        http, bridge_sim, "/lockAction", nukiId=FRONT_DOOR, deviceType=4, action=1
    )
    assert (status, data["success"]) == (200, False)
    await lock.close()


async def test_lock_action_errors(bridge_sim: BridgeSimulator, http: aiohttp.ClientSession) -> None:
    base = {"nukiId": FRONT_DOOR, "deviceType": 4}
    assert (await call(http, bridge_sim, "/lockAction", **base, action=6))[0] == 400
    assert (await call(http, bridge_sim, "/lockAction", **base))[0] == 400
    assert (await call(http, bridge_sim, "/lockAction", **base, action="x"))[0] == 400
    assert (await call(http, bridge_sim, "/lockAction", **base, action=1, nowait=7))[0] == 400
    assert (await call(http, bridge_sim, "/lockAction", nukiId=5, deviceType=0, action=1))[0] == 404
    bridge_sim.device(FRONT_DOOR).set_online(False)
    assert (await call(http, bridge_sim, "/lockAction", **base, action=1))[0] == 503
    assert (await call(http, bridge_sim, "/unlock", **base))[0] == 503
    assert bridge_sim.stats.unavailable_sent == 2


async def test_jammed_action_fails_then_settles(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    lock = bridge_sim.lock(BACK_DOOR)
    lock.jam()
    status, data = await call(http, bridge_sim, "/lock", nukiId=BACK_DOOR, deviceType=0)
    assert (status, data["success"]) == (200, False)
    assert lock.state is LockState.MOTOR_BLOCKED
    await lock.wait_for_state(LockState.UNLOCKED, timeout=WAIT)


async def test_lock_n_go_over_http(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    lock = bridge_sim.lock(FRONT_DOOR)
    _status, data = await call(
        http, bridge_sim, "/lockAction", nukiId=FRONT_DOOR, deviceType=4, action=5
    )
    assert data["success"] is True
    assert lock.state is LockState.UNLATCHED
    await lock.wait_for_state(LockState.UNLOCKED_LOCK_N_GO, timeout=WAIT)
    await lock.wait_for_state(LockState.LOCKED, timeout=WAIT)


async def test_simple_actions_and_opener(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    _status, data = await call(http, bridge_sim, "/unlock", nukiId=FRONT_DOOR, deviceType=4)
    assert data["success"] is True
    assert bridge_sim.lock(FRONT_DOOR).state is LockState.UNLOCKED
    opener = bridge_sim.opener(OPENER)
    await call(http, bridge_sim, "/unlock", nukiId=OPENER, deviceType=2)
    assert opener.state is OpenerState.RTO_ACTIVE
    await call(http, bridge_sim, "/lock", nukiId=OPENER, deviceType=2)
    assert opener.state is OpenerState.ONLINE
    await call(http, bridge_sim, "/lockAction", nukiId=OPENER, deviceType=2, action=4)
    _status, data = await call(http, bridge_sim, "/lockState", nukiId=OPENER, deviceType=2)
    assert (data["mode"], data["state"], data["stateName"]) == (3, 3, "rto active")
    _status, data = await call(
        http, bridge_sim, "/lockAction", nukiId=OPENER, deviceType=2, action=3
    )
    assert data["success"] is True
    assert opener.state is OpenerState.OPEN
    await opener.wait_for(lambda d: not d.busy, WAIT)
    assert opener.mode is Mode.CONTINUOUS


async def test_unpair(bridge_sim: BridgeSimulator, http: aiohttp.ClientSession) -> None:
    assert await call(http, bridge_sim, "/unpair", nukiId=BACK_DOOR, deviceType=0) == (
        200,
        {"success": True},
    )
    _status, data = await call(http, bridge_sim, "/list")
    assert BACK_DOOR not in [d["nukiId"] for d in data]
    assert (await call(http, bridge_sim, "/lockState", nukiId=BACK_DOOR))[0] == 404


# -- authentication ----------------------------------------------------------


async def test_plain_token_refusals(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    assert await call(http, bridge_sim, "/list", auth={}) == (401, "HTTP 401 Unauthorized")
    assert (await call(http, bridge_sim, "/list", auth={"token": "wrong0"}))[0] == 401
    assert (await call(http, bridge_sim, "/info", auth={"token": TOKEN + "x"}))[0] == 401


async def test_hashed_token_once_and_fresh(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    params = auth_params(TOKEN, TokenMode.HASHED)
    assert (await call(http, bridge_sim, "/list", auth=params))[0] == 200
    # Replayed: refused.
    assert (await call(http, bridge_sim, "/list", auth=params))[0] == 401
    ts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    wrong = hashlib.sha256(f"{ts},1,{TOKEN}x".encode()).hexdigest()
    assert (await call(http, bridge_sim, "/list", auth={"ts": ts, "rnr": "1", "hash": wrong}))[
        0
    ] == 401


@pytest.mark.parametrize("nonce_key", ["nonce", "nounce"])
async def test_encrypted_token(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession, nonce_key: str
) -> None:
    params = auth_params(TOKEN, TokenMode.ENCRYPTED)
    params[nonce_key] = params.pop("nonce")
    assert (await call(http, bridge_sim, "/info", auth=params))[0] == 200
    assert (await call(http, bridge_sim, "/info", auth=params))[0] == 401
    other = auth_params("another-token", TokenMode.ENCRYPTED)
    assert (await call(http, bridge_sim, "/info", auth=other))[0] == 401


@pytest.mark.parametrize("mode", [TokenMode.HASHED, TokenMode.ENCRYPTED])
async def test_clock_offset_makes_tokens_stale(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession, mode: TokenMode
) -> None:
    bridge_sim.clock_offset = timedelta(minutes=5)
    assert (await call(http, bridge_sim, "/list", auth=auth_params(TOKEN, mode)))[0] == 401
    # A client that reads the bridge's clock from /info gets in.
    _status, info = await call(http, bridge_sim, "/info")
    bridge_now = datetime.fromisoformat(info["currentTime"])
    assert bridge_now - datetime.now(UTC) > timedelta(minutes=4)
    fresh = auth_params(TOKEN, mode, now=bridge_now)
    assert (await call(http, bridge_sim, "/list", auth=fresh))[0] == 200
    # Plain tokens do not depend on the clock.
    assert (await call(http, bridge_sim, "/list"))[0] == 200


# -- /auth, /configAuth ----------------------------------------------------------


async def test_auth_with_button(bridge_sim: BridgeSimulator, http: aiohttp.ClientSession) -> None:
    assert bridge_sim.press_button() is False  # nobody is waiting
    request = asyncio.ensure_future(call(http, bridge_sim, "/auth", auth={}))
    await bridge_sim.wait_for_auth_request(timeout=WAIT)
    assert bridge_sim.press_button() is True
    assert await request == (200, {"token": TOKEN, "success": True})


async def test_auth_times_out_without_button(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    # AUTH_BUTTON_SECONDS scaled by 0.01: 0.3 s.
    assert await call(http, bridge_sim, "/auth", auth={}) == (200, {"success": False})


async def test_config_auth(bridge_sim: BridgeSimulator, http: aiohttp.ClientSession) -> None:
    assert (await call(http, bridge_sim, "/configAuth", enable=2))[0] == 400
    assert (await call(http, bridge_sim, "/configAuth", auth={}, enable=0))[0] == 401
    assert await call(http, bridge_sim, "/configAuth", enable=0) == (200, {"success": True})
    assert await call(http, bridge_sim, "/auth", auth={}) == (403, "HTTP 403 Forbidden")
    assert (await call(http, bridge_sim, "/configAuth", enable=1))[0] == 200
    assert bridge_sim.auth_enabled


# -- one request at a time -----------------------------------------------------


async def test_concurrent_requests_get_503(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    bridge_sim.faults.latency = 0.3
    results = await asyncio.gather(*(call(http, bridge_sim, "/list") for _ in range(5)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 503, 503, 503, 503]
    assert (503, "HTTP 503 Unavailable") in results
    stats = bridge_sim.stats
    assert stats.max_in_flight == 2
    assert stats.unavailable_sent == 4
    assert stats.requests["/list"] == 5
    assert stats.total_requests == 5


async def test_sequential_requests_never_overlap(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    for _ in range(3):
        assert (await call(http, bridge_sim, "/list"))[0] == 200
    assert bridge_sim.stats.max_in_flight == 1
    bridge_sim.stats.reset()
    assert bridge_sim.stats.total_requests == 0


async def test_waiting_action_holds_the_bridge(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    lock = bridge_sim.lock(FRONT_DOOR)
    lock.clock.time_factor = 0.2  # 300 ms motor run
    action = asyncio.ensure_future(
        call(http, bridge_sim, "/lockAction", nukiId=FRONT_DOOR, deviceType=4, action=1)
    )
    await lock.wait_for_state(LockState.UNLOCKING, timeout=WAIT)
    assert (await call(http, bridge_sim, "/list"))[0] == 503
    assert (await action)[1]["success"] is True


# -- callbacks -----------------------------------------------------------------


class CallbackReceiver:
    """A small HTTP server collecting callback bodies."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/nuki", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/nuki"

    async def stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        self.arrived.set()
        return web.Response()

    async def wait_for(self, count: int) -> list[dict[str, Any]]:
        async with asyncio.timeout(WAIT):
            while len(self.bodies) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.bodies


@pytest.fixture
async def receiver() -> AsyncIterator[CallbackReceiver]:
    server = CallbackReceiver()
    await server.start()
    yield server
    await server.stop()


async def test_callbacks_delivered_in_order(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession, receiver: CallbackReceiver
) -> None:
    assert await call(http, bridge_sim, "/callback/add", url=receiver.url) == (
        200,
        {"success": True},
    )
    assert await call(http, bridge_sim, "/callback/list") == (
        200,
        {"callbacks": [{"id": 0, "url": receiver.url}]},
    )
    await call(http, bridge_sim, "/lockAction", nukiId=FRONT_DOOR, deviceType=4, action=1)
    bodies = await receiver.wait_for(2)
    assert [b["state"] for b in bodies] == [2, 3]
    assert bodies[1] == {
        "nukiId": FRONT_DOOR,
        "deviceType": 4,
        "mode": 2,
        "state": 3,
        "stateName": "unlocked",
        "batteryCritical": False,
        "batteryCharging": False,
        "batteryChargeState": 96,
        "keypadBatteryCritical": False,
        "doorsensorState": 2,
        "doorsensorStateName": "door closed",
    }
    opener = bridge_sim.opener(OPENER)
    opener.ring()
    bodies = await receiver.wait_for(3)
    assert bodies[2]["ringactionState"] is True
    assert bodies[2]["deviceType"] == 2
    await bridge_sim.drain_callbacks()
    assert bridge_sim.stats.callbacks_posted == 3


async def test_callbacks_on_final_states_only(
    http: aiohttp.ClientSession, receiver: CallbackReceiver
) -> None:
    async with BridgeSimulator(TOKEN, time_factor=0.01, callback_transitional=False) as sim:
        sim.add_callback(receiver.url)
        await call(http, sim, "/lockAction", nukiId=FRONT_DOOR, deviceType=4, action=3)
        lock = sim.lock(FRONT_DOOR)
        await lock.wait_for_state(LockState.UNLOCKED, timeout=WAIT)
        bodies = await receiver.wait_for(2)
        assert [b["state"] for b in bodies] == [LockState.UNLATCHED, LockState.UNLOCKED]


async def test_callback_add_rules(bridge_sim: BridgeSimulator, http: aiohttp.ClientSession) -> None:
    assert (await call(http, bridge_sim, "/callback/add", url="https://x.test/a"))[0] == 400
    assert (await call(http, bridge_sim, "/callback/add", url="not a url"))[0] == 400
    assert (await call(http, bridge_sim, "/callback/add"))[0] == 400
    long_url = "http://h.test/" + "a" * 241
    assert len(long_url) == 255
    assert (await call(http, bridge_sim, "/callback/add", url=long_url))[0] == 400
    assert (await call(http, bridge_sim, "/callback/add", url=long_url[:-1]))[1]["success"]
    for n in range(2):
        assert (await call(http, bridge_sim, "/callback/add", url=f"http://h.test/{n}"))[1][
            "success"
        ]
    assert await call(http, bridge_sim, "/callback/add", url="http://h.test/0") == (
        200,
        {"success": False, "message": "callback already added"},
    )
    assert await call(http, bridge_sim, "/callback/add", url="http://h.test/9") == (
        200,
        {"success": False, "message": "too many callbacks registered"},
    )
    assert await call(http, bridge_sim, "/callback/remove", id=0) == (200, {"success": True})
    _status, data = await call(http, bridge_sim, "/callback/list")
    assert data["callbacks"] == [
        {"id": 0, "url": "http://h.test/0"},
        {"id": 1, "url": "http://h.test/1"},
    ]
    _status, data = await call(http, bridge_sim, "/callback/remove", id=5)
    assert data["success"] is False
    assert (await call(http, bridge_sim, "/callback/remove", id="x"))[0] == 400


async def test_failing_callback_is_counted_not_fatal(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession, receiver: CallbackReceiver
) -> None:
    bridge_sim.add_callback("http://127.0.0.1:9/nothing-listens")
    bridge_sim.add_callback(receiver.url)
    bridge_sim.device(FRONT_DOOR).set_door(is_open=True)
    bodies = await receiver.wait_for(1)
    assert bodies[0]["doorsensorState"] == 3
    await bridge_sim.drain_callbacks()
    assert bridge_sim.stats.callbacks_failed == 1
    assert bridge_sim.stats.callbacks_posted == 1


async def test_failed_callback_can_block_the_ones_after_it(
    bridge_sim: BridgeSimulator, receiver: CallbackReceiver
) -> None:
    """The users' report, as a fault: the second receiver hears only while the first works."""
    bridge_sim.faults.failed_callback_blocks = True
    bridge_sim.add_callback(receiver.url)
    bridge_sim.add_callback("http://127.0.0.1:9/nothing-listens")
    later = CallbackReceiver()
    await later.start()
    try:
        bridge_sim.add_callback(later.url)
        door = bridge_sim.device(FRONT_DOOR)
        door.set_door(is_open=True)
        await bridge_sim.drain_callbacks()
        assert [b["doorsensorState"] for b in await receiver.wait_for(1)] == [3]
        assert later.bodies == []
        assert bridge_sim.stats.callbacks_blocked == 1
        # Without the fault every receiver hears every change.
        bridge_sim.faults.clear()
        door.set_door(is_open=False)
        await bridge_sim.drain_callbacks()
        assert [b["doorsensorState"] for b in await later.wait_for(1)] == [2]
        assert bridge_sim.stats.callbacks_blocked == 1
    finally:
        await later.stop()


async def test_reboot_can_forget_callbacks(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    await call(http, bridge_sim, "/callback/add", url="http://h.test/a")
    status, body = await call(http, bridge_sim, "/reboot")
    assert (status, body) == (200, "")
    assert bridge_sim.callback_urls == ["http://h.test/a"]
    await bridge_sim.reboot(forget_callbacks=True)
    assert (await call(http, bridge_sim, "/callback/list"))[1] == {"callbacks": []}
    status, info = await call(http, bridge_sim, "/info")
    assert info["uptime"] == 0


# -- maintenance ----------------------------------------------------------------


async def test_log_and_maintenance(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    bridge_sim.device(FRONT_DOOR).set_door(is_open=True)
    status, log = await call(http, bridge_sim, "/log", count=1)
    assert status == 200
    assert len(log) == 1
    assert log[0]["type"] == "DeviceStateChanged"
    assert log[0]["timestamp"].endswith("+00:00")
    assert (await call(http, bridge_sim, "/log", offset=-1))[0] == 400
    assert await call(http, bridge_sim, "/clearlog") == (200, "")
    assert await call(http, bridge_sim, "/log") == (200, [])
    assert await call(http, bridge_sim, "/fwupdate", scope=1) == (200, "")
    assert (await call(http, bridge_sim, "/fwupdate", scope=3))[0] == 400
    await call(http, bridge_sim, "/configAuth", enable=0)
    bridge_sim.add_callback("http://h.test/x")
    assert await call(http, bridge_sim, "/factoryReset") == (200, "")
    assert bridge_sim.auth_enabled
    assert bridge_sim.callback_urls == []
    assert await call(http, bridge_sim, "/nothing") == (404, "HTTP 404 Not Found")


# -- faults ----------------------------------------------------------------------


async def test_forced_503(bridge_sim: BridgeSimulator, http: aiohttp.ClientSession) -> None:
    bridge_sim.faults.force_503 = 2
    assert [(await call(http, bridge_sim, "/list"))[0] for _ in range(3)] == [503, 503, 200]


async def test_connection_reset(bridge_sim: BridgeSimulator, http: aiohttp.ClientSession) -> None:
    # aiohttp silently retries an idempotent request once on a dropped connection.
    bridge_sim.faults.reset = 2
    with pytest.raises(aiohttp.ClientConnectionError):
        await call(http, bridge_sim, "/list")
    assert bridge_sim.stats.requests["/list"] == 2
    assert bridge_sim.faults.reset == 0
    assert (await call(http, bridge_sim, "/list"))[0] == 200


async def test_malformed_and_truncated_json(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    bridge_sim.faults.malformed = 1
    bridge_sim.faults.truncated = 1
    for _ in range(2):
        with pytest.raises(json.JSONDecodeError):
            await call(http, bridge_sim, "/list")
    assert (await call(http, bridge_sim, "/list"))[0] == 200


async def test_hang_outlasts_a_client_timeout(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    bridge_sim.faults.hang = 0.5
    with pytest.raises(TimeoutError):
        await call(http, bridge_sim, "/list", timeout=0.1)
    assert bridge_sim.faults.hang == 0


async def test_unknown_device_type_in_list(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    bridge_sim.add_unknown_device(nuki_id=77, device_type=99)
    bridge_sim.remove_device(OPENER, DeviceType.OPENER)
    _status, data = await call(http, bridge_sim, "/list")
    assert [(d["nukiId"], d["deviceType"]) for d in data] == [
        (FRONT_DOOR, 4),
        (BACK_DOOR, 0),
        (77, 99),
    ]
    assert (await call(http, bridge_sim, "/lockState", nukiId=77, deviceType=99))[0] == 200


# -- software bridge ----------------------------------------------------------------


async def test_software_bridge(http: aiohttp.ClientSession) -> None:
    devices = [SimSmartLock(11, "Home"), SimOpener(12, "Gate")]
    async with BridgeSimulator(TOKEN, devices=devices, bridge_type=2, time_factor=0.01) as sim:
        status, data = await call(http, sim, "/list")
        assert status == 200
        assert all("deviceType" not in item for item in data)
        status, info = await call(http, sim, "/info")
        assert info["bridgeType"] == 2
        assert info["versions"] == {"appVersion": "1.4.6"}
        assert "hardwareId" not in info["ids"]
        assert "wlanConnected" not in info
        for path in ("/unpair", "/auth", "/configAuth", "/log", "/reboot", "/fwupdate"):
            assert (await call(http, sim, path, nukiId=11))[0] == 404, path
        status, data = await call(http, sim, "/lockAction", nukiId=11, action=1)
        assert data["success"] is True
