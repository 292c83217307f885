"""Extending the bridge stand-in through its public API, over real loopback HTTP.

``add_interceptor`` (delay a request, answer instead, change the answer; stage
"endpoint" or "arrival"), ``add_routes`` (more routes, optionally behind the
control token) and ``add_callback_interceptor`` (hold back or drop callbacks).
"""

from __future__ import annotations

import ast
import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import nukilocal.sim
from nukilocal.sim import ApiCall, BridgeSimulator, CallbackDelivery, SimSmartLock
from nukilocal.sim.bridge import json_answer, plain_error
from nukilocal.sim.control import TOKEN_HEADER
from tests.support.ids import BACK_DOOR, FRONT_DOOR, TOKEN
from tests.support.timing import WAIT


async def get(
    http: aiohttp.ClientSession,
    sim: BridgeSimulator,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    **params: Any,
) -> tuple[int, Any]:
    query = {k: str(v) for k, v in params.items()}
    async with http.get(
        f"{sim.base_url}{path}",
        params=query,
        headers=headers,
        timeout=aiohttp.ClientTimeout(total=WAIT),
    ) as response:
        text = await response.text()
        if response.content_type == "application/json":
            return response.status, json.loads(text)
        return response.status, text


async def test_answer_instead_for_one_path_only(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    seen: list[str] = []

    async def garbage(call: ApiCall) -> web.StreamResponse:
        seen.append(call.query_string)
        return web.Response(text='{"callbacks": [', content_type="application/json")

    bridge_sim.add_interceptor(garbage, paths="/callback/list")
    async with http.get(
        f"{bridge_sim.base_url}/callback/list", params={"token": TOKEN}
    ) as response:
        assert (response.status, await response.text()) == (200, '{"callbacks": [')
    assert seen == [f"token={TOKEN}"]
    assert (await get(http, bridge_sim, "/info", token=TOKEN))[0] == 200
    # Counted like any API request.
    assert bridge_sim.stats.requests["/callback/list"] == 1
    assert seen == [f"token={TOKEN}"]


async def test_delay_holds_the_only_request_slot(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    arrived, release = asyncio.Event(), asyncio.Event()

    async def hold(call: ApiCall) -> web.StreamResponse:
        arrived.set()
        await release.wait()
        return await call.proceed()

    bridge_sim.add_interceptor(hold, paths=["/list"])
    held = asyncio.ensure_future(get(http, bridge_sim, "/list", token=TOKEN))
    async with asyncio.timeout(WAIT):
        await arrived.wait()
    assert await get(http, bridge_sim, "/info", token=TOKEN) == (503, "HTTP 503 Unavailable")
    release.set()
    status, devices = await held
    assert status == 200
    assert [d["nukiId"] for d in devices][:2] == [FRONT_DOOR, BACK_DOOR]


async def test_change_the_answer_with_the_query_and_the_device(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    async def low_battery(call: ApiCall) -> web.StreamResponse:
        response = await call.proceed()
        device = call.device
        if isinstance(device, SimSmartLock) and call.query.get("deviceType") == "4":
            assert isinstance(response, web.Response)
            assert isinstance(response.body, bytes)
            data = json.loads(response.body) | {"batteryChargeState": 7, "name": device.name}
            return json_answer(data)
        return response

    bridge_sim.add_interceptor(low_battery, paths="/lockState")
    _status, data = await get(
        http, bridge_sim, "/lockState", token=TOKEN, nukiId=FRONT_DOOR, deviceType=4
    )
    assert (data["batteryChargeState"], data["name"], data["state"]) == (7, "Front door", 1)
    _status, data = await get(http, bridge_sim, "/lockState", token=TOKEN, nukiId=BACK_DOOR)
    assert data["batteryChargeState"] == 64
    # A request naming no device: None, and the stand-in's own 400.
    status, _text = await get(http, bridge_sim, "/lockState", token=TOKEN)
    assert status == 400


async def test_endpoint_answers_are_still_mangled_by_faults(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    async def mine(call: ApiCall) -> web.StreamResponse:
        return json_answer({"mine": True})

    bridge_sim.add_interceptor(mine, paths="/info")
    bridge_sim.faults.truncated = 1
    async with http.get(f"{bridge_sim.base_url}/info", params={"token": TOKEN}) as response:
        assert await response.text() == '{"mine'
    assert await get(http, bridge_sim, "/info", token=TOKEN) == (200, {"mine": True})


async def test_arrival_sees_every_request_and_the_stand_ins_503s(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    arrival: list[tuple[str, int]] = []
    endpoint: list[str] = []

    async def record(call: ApiCall) -> web.StreamResponse:
        response = await call.proceed()
        arrival.append((call.path, response.status))
        return response

    async def count(call: ApiCall) -> web.StreamResponse:
        endpoint.append(call.path)
        return await call.proceed()

    bridge_sim.add_interceptor(record, stage="arrival")
    bridge_sim.add_interceptor(count)
    bridge_sim.faults.force_503 = 1
    assert (await get(http, bridge_sim, "/list", token=TOKEN))[0] == 503
    assert (await get(http, bridge_sim, "/list", token=TOKEN))[0] == 200
    bridge_sim.faults.latency = 0.2
    statuses = sorted(
        s for s, _ in await asyncio.gather(*(get(http, bridge_sim, "/info") for _ in range(2)))
    )
    assert statuses == [401, 503]
    assert sorted(arrival[:2]) == [("/list", 200), ("/list", 503)]
    assert sorted(arrival[2:]) == [("/info", 401), ("/info", 503)]
    # The endpoint stage runs only for requests the stand-in serves.
    assert endpoint == ["/list", "/info"]
    # Neither sees the control interface.
    async with http.get(f"{bridge_sim.base_url}/sim/stats", params={"token": TOKEN}) as r:
        assert r.status == 200
    assert len(arrival) == 4


async def test_order_removal_and_proceed_once(
    bridge_sim: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    order: list[str] = []

    def tagged(tag: str) -> Any:
        async def interceptor(call: ApiCall) -> web.StreamResponse:
            order.append(f"{tag}>")
            response = await call.proceed()
            order.append(f"<{tag}")
            return response

        return interceptor

    bridge_sim.add_interceptor(tagged("outer"))
    remove_inner = bridge_sim.add_interceptor(tagged("inner"))
    assert (await get(http, bridge_sim, "/info", token=TOKEN))[0] == 200
    assert order == ["outer>", "inner>", "<inner", "<outer"]
    remove_inner()
    remove_inner()  # twice is harmless
    order.clear()
    await get(http, bridge_sim, "/info", token=TOKEN)
    assert order == ["outer>", "<outer"]

    async def twice(call: ApiCall) -> web.StreamResponse:
        await call.proceed()
        with pytest.raises(RuntimeError, match="already"):
            await call.proceed()
        return plain_error(403)

    bridge_sim.add_interceptor(twice, paths="/list")
    assert await get(http, bridge_sim, "/list", token=TOKEN) == (403, "HTTP 403 Forbidden")
    with pytest.raises(ValueError, match="stage"):
        bridge_sim.add_interceptor(twice, stage="later")  # type: ignore[arg-type]


async def test_added_routes_with_and_without_the_token(http: aiohttp.ClientSession) -> None:
    sim = BridgeSimulator(TOKEN, time_factor=0.01)
    pressed: list[str] = []

    async def press(request: web.Request) -> web.Response:
        pressed.append(request.method)
        return web.json_response({"success": True})

    async def health(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    sim.add_routes({"/demo/press": press})
    sim.add_routes({"/demo/health": health}, require_token=False, methods=["GET"])
    async with sim:
        with pytest.raises(RuntimeError, match="before"):
            sim.add_routes({"/demo/late": health})
        assert (await get(http, sim, "/demo/press"))[0] == 401
        assert (await get(http, sim, "/demo/press", token="wrong-token"))[0] == 401
        assert await get(http, sim, "/demo/press", token=TOKEN) == (200, {"success": True})
        status, _ = await get(http, sim, "/demo/press", headers={TOKEN_HEADER: TOKEN})
        assert status == 200
        async with http.post(f"{sim.base_url}/demo/press", params={"token": TOKEN}) as r:
            assert r.status == 200
        assert await get(http, sim, "/demo/health") == (200, "ok")
        # Outside the API: not counted, and served while an API request holds the slot.
        arrived, release = asyncio.Event(), asyncio.Event()

        async def hold(call: ApiCall) -> web.StreamResponse:
            arrived.set()
            await release.wait()
            return await call.proceed()

        sim.add_interceptor(hold, paths="/list")
        held = asyncio.ensure_future(get(http, sim, "/list", token=TOKEN))
        async with asyncio.timeout(WAIT):
            await arrived.wait()
        assert await get(http, sim, "/demo/health") == (200, "ok")
        assert (await get(http, sim, "/demo/press", token=TOKEN))[0] == 200
        release.set()
        assert (await held)[0] == 200
        assert pressed == ["GET", "GET", "POST", "GET"]
        assert set(sim.stats.requests) == {"/list"}


async def test_callback_interceptor_holds_back_and_drops(bridge_sim: BridgeSimulator) -> None:
    release = asyncio.Event()
    held: list[dict[str, Any]] = []
    posted: list[str] = []

    async def receive(request: web.Request) -> web.Response:
        posted.append((await request.json())["stateName"])
        return web.Response()

    app = web.Application()
    app.router.add_post("/cb", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        bridge_sim.add_callback(f"http://127.0.0.1:{port}/cb")

        async def hold_then_drop_locking(delivery: CallbackDelivery) -> bool:
            held.append(delivery.body)
            await release.wait()
            if delivery.body["stateName"] == "locking":
                return False
            return await delivery.proceed()

        bridge_sim.add_callback_interceptor(hold_then_drop_locking)
        lock = bridge_sim.lock(BACK_DOOR)
        assert (await lock.perform(2)).name == "SUCCESS"
        assert [b["stateName"] for b in held] == ["locking"]
        assert posted == []
        release.set()
        await bridge_sim.drain_callbacks()
        assert posted == ["locked"]
        assert bridge_sim.stats.callbacks_posted == 1
    finally:
        await runner.cleanup()


def test_model_server_and_control_import_no_cycle() -> None:
    """model <- control <- server <- bridge: no module of the stand-in imports one above it."""
    root = Path(nukilocal.sim.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in root.glob("*.py"):
        deps = graph.setdefault(path.stem, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                deps.add(node.module.split(".")[0])
    graph.pop("__init__")

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for dep in graph.get(start, set()) - seen:
            if dep == goal or reaches(dep, goal, seen | {dep}):
                return True
        return False

    assert [m for m in sorted(graph) if reaches(m, m, set())] == []
    assert not reaches("model", "server", set())
    assert not reaches("model", "control", set())
    assert not reaches("control", "server", set())
    assert not reaches("server", "bridge", set())
