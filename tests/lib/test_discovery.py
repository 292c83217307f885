"""Discovery helpers: DHCP hostnames, and the discovery service on a local stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from nukilocal.discovery import discover_bridges, parse_bridge_hostname
from nukilocal.exceptions import (
    NukiConnectionError,
    NukiInvalidResponseError,
    NukiTimeoutError,
)


@pytest.mark.parametrize(
    ("hostname", "expected"),
    [
        ("nuki_bridge_3c622613", "3C622613"),
        ("NUKI_BRIDGE_3C622613", "3C622613"),
        ("nuki_bridge_3c622613.fritz.box", "3C622613"),
        ("nuki_bridge_", None),
        ("nuki_bridge_xyz", None),
        ("other_host", None),
    ],
)
def test_dhcp_hostnames(hostname: str, expected: str | None) -> None:
    assert parse_bridge_hostname(hostname) == expected


class DiscoveryService:
    """Answers like Nuki's discovery service, with whatever the test sets."""

    def __init__(self) -> None:
        self.status = 200
        self.body: Any = {
            "bridges": [
                {
                    "bridgeId": 2117604523,
                    "ip": "192.168.1.50",
                    "port": 8080,
                    "dateUpdated": "2017-06-14T06:53:44Z",
                },
                {"bridgeId": 5, "ip": "0.0.0.0", "port": 0, "dateUpdated": "2017-06-14T06:53:44Z"},
            ],
            "errorCode": 0,
        }
        self.hang = False

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.hang:
            await request.app["never"].wait()
        if isinstance(self.body, str):
            return web.Response(status=self.status, text=self.body)
        return web.json_response(self.body, status=self.status)


@pytest.fixture
async def service() -> AsyncIterator[tuple[DiscoveryService, str]]:
    stand_in = DiscoveryService()
    app = web.Application()
    app["never"] = asyncio.Event()
    app.router.add_get("/discover/bridges", stand_in.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield stand_in, f"http://127.0.0.1:{port}/discover/bridges"
    app["never"].set()
    await runner.cleanup()


async def test_discovery_service_answer(service: tuple[DiscoveryService, str]) -> None:
    _, url = service
    async with aiohttp.ClientSession() as session:
        bridges = await discover_bridges(session, url=url)
    assert [(b.bridge_id, b.host, b.port) for b in bridges] == [
        (2117604523, "192.168.1.50", 8080),
        (5, "0.0.0.0", 0),
    ]
    assert [b.discovery_enabled for b in bridges] == [True, False]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, {"bridges": []}),
        (200, "not json"),
        (200, {"nothing": 1}),
        (200, {"bridges": [], "errorCode": 3}),
    ],
)
async def test_discovery_service_errors(
    service: tuple[DiscoveryService, str], status: int, body: object
) -> None:
    stand_in, url = service
    stand_in.status, stand_in.body = status, body
    async with aiohttp.ClientSession() as session:
        with pytest.raises(NukiInvalidResponseError):
            await discover_bridges(session, url=url)


async def test_discovery_service_timeout_and_unreachable(
    service: tuple[DiscoveryService, str], unused_tcp_port: int
) -> None:
    stand_in, url = service
    stand_in.hang = True
    async with aiohttp.ClientSession() as session:
        with pytest.raises(NukiTimeoutError):
            await discover_bridges(session, url=url, timeout=0.2)
        with pytest.raises(NukiConnectionError):
            await discover_bridges(session, url=f"http://127.0.0.1:{unused_tcp_port}/x")
