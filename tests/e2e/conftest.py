"""End-to-end: the demo stack (stand-ins, broker, a real Home Assistant) once per session.

Run without Home Assistant's test plugin, which blocks sockets:
``pytest -p no:homeassistant tests/e2e``. Home Assistant's log and the
dashboard screenshot end up in ``.artifacts/``.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from demo.hass import REPO_ROOT, HassClient, HassWebSocket
from demo.stack import DemoStack, Ports
from nukilocal.sim.control import SimControlClient
from tests.support.fixtures import http as http

from .support import Entities

ARTIFACTS = REPO_ROOT / ".artifacts"
# Motors ten times faster (lock 'n' go waits 2 s): commands still pass through
# every transitional state, the bridge's request spacing still applies.
TIME_FACTOR = 0.1


@dataclass(slots=True)
class RunningStack:
    stack: DemoStack
    hass_url: str
    bridge_url: str
    broker_url: str
    bridge_token: str
    # A long-lived token: no expiry to think about however long the run takes.
    access_token: str

    @property
    def log_path(self) -> Path:
        return self.stack.config_dir / "home-assistant.log"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "last: run after every other end-to-end test")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees the whole session's items, not only this directory's.
    here = Path(__file__).parent
    if config.pluginmanager.has_plugin("homeassistant"):
        skip = pytest.mark.skip(reason="needs real sockets: run with -p no:homeassistant")
        for item in items:
            if item.path.is_relative_to(here):
                item.add_marker(skip)
    # The log check must see what every other test made Home Assistant do.
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)


async def _start(stack: DemoStack) -> str:
    async with aiohttp.ClientSession() as session:
        client = await stack.start(session)
        async with client.websocket() as ws:
            token: str = await ws.call(
                "auth/long_lived_access_token", client_name="nuki e2e", lifespan=1
            )
        return token


@pytest.fixture(scope="session")
def running_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    state_dir = tmp_path_factory.mktemp("demo-stack")
    stack = DemoStack(
        state_dir,
        ports=Ports(hass=0, bridge=0, broker=0),
        time_factor=TIME_FACTOR,
        log_level="debug",
        remember_ports=False,
    )
    try:
        token = asyncio.run(_start(stack))
    except BaseException:
        stack.stop()
        _keep_logs(stack)
        raise
    yield RunningStack(
        stack=stack,
        hass_url=stack.hass_url,
        bridge_url=stack.bridge_url,
        broker_url=stack.broker_url,
        bridge_token=stack.token,
        access_token=token,
    )
    left = stack.stop()
    _keep_logs(stack)
    assert not left, f"processes left behind: {left}"


def _keep_logs(stack: DemoStack) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for source, name in (
        (stack.config_dir / "home-assistant.log", "e2e-home-assistant.log"),
        (stack.state_dir / "standins.log", "e2e-standins.log"),
    ):
        if source.exists():
            shutil.copyfile(source, ARTIFACTS / name)


@pytest.fixture
async def hass(running_stack: RunningStack, http: aiohttp.ClientSession) -> HassClient:
    """The REST client, logged in as the demo user would be."""
    client = HassClient(http, running_stack.hass_url)
    client.use_token(running_stack.access_token)
    return client


@pytest.fixture
async def ws(
    running_stack: RunningStack, http: aiohttp.ClientSession
) -> AsyncIterator[HassWebSocket]:
    socket = await HassWebSocket.connect(http, running_stack.hass_url, running_stack.access_token)
    try:
        yield socket
    finally:
        await socket.close()


@pytest.fixture
async def world(running_stack: RunningStack) -> AsyncIterator[SimControlClient]:
    """The stand-ins' physical world: rings, knobs, jams."""
    async with SimControlClient(running_stack.bridge_url, running_stack.bridge_token) as client:
        yield client


@pytest.fixture
async def entities(ws: HassWebSocket) -> Entities:
    return await Entities.load(ws)
