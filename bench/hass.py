"""One Home Assistant process for a benchmark run, with or without this integration.

Builds on the demo's runner (``demo/hass.py``): its process handling, REST
client and WebSocket client are reused as they are. What the benchmark adds:

- a config dir made fresh for every run, with ``custom_components/nuki``
  linked in or left out (then ``nuki`` resolves to the built-in integration);
- a readiness check that accepts any HTTP answer (the demo's waits for a
  route that only answers 200 once onboarding is done, and ours never is:
  the owner account is all the benchmark needs);
- WebSocket messages stamped with ``time.monotonic()`` the moment they are
  read, before they queue up behind other work of the benchmark;
- the process's CPU time and resident memory through psutil.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import aiohttp
import psutil  # type: ignore[import-untyped]

from demo.hass import (
    INTEGRATION_DIR,
    HassClient,
    HassError,
    HassProcess,
    HassWebSocket,
)
from tests.support.net import free_port

OURS: Final = "ours"
BUILTIN: Final = "builtin"
LABELS: Final = {OURS: "this integration", BUILTIN: "built-in"}

USERNAME: Final = "bench"
PASSWORD: Final = "nuki-bench"
ARRIVED: Final = "_arrived"


class StampedWebSocket(HassWebSocket):
    """Every event carries the monotonic time its message was read off the socket."""

    def _dispatch(self, item: dict[str, Any]) -> None:
        event = item.get("event")
        if isinstance(event, dict):
            event[ARRIVED] = time.monotonic()
        super()._dispatch(item)


def configuration_yaml(port: int) -> str:
    """Offline and small: no ``default_config`` (its integrations need packages) and no
    recorder; the frontend stays, as every user has it. Warnings only: log lines
    cost CPU, and both runs must pay the same."""
    url = f"http://127.0.0.1:{port}"
    return f"""\
# Written by bench/hass.py for one benchmark run.
homeassistant:
  name: Nuki benchmark
  unit_system: metric
  # The bridge stand-ins call the integration's webhook at this address.
  internal_url: {url}

http:
  server_host: 127.0.0.1
  server_port: {port}

frontend:

logger:
  default: warning
"""


def write_config_dir(config_dir: Path, port: int, *, with_integration: bool) -> None:
    """A fresh config dir: no state of an earlier run may leak into this one."""
    if config_dir.exists():
        shutil.rmtree(config_dir)
    config_dir.mkdir(parents=True)
    (config_dir / "configuration.yaml").write_text(configuration_yaml(port))
    if with_integration:
        custom = config_dir / "custom_components"
        custom.mkdir()
        (custom / "nuki").symlink_to(INTEGRATION_DIR, target_is_directory=True)


class BenchHass:
    """A Home Assistant with an owner account and an open WebSocket."""

    def __init__(self, variant: str, config_dir: Path) -> None:
        self.variant = variant
        self.config_dir = config_dir
        self.port = free_port()
        self.process = HassProcess(config_dir, self.port)
        self.client: HassClient | None = None
        self.ws: StampedWebSocket | None = None
        self._ps: psutil.Process | None = None
        self.start_seconds: float | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid

    async def start(self, session: aiohttp.ClientSession, timeout: float = 180.0) -> None:
        write_config_dir(self.config_dir, self.port, with_integration=self.variant == OURS)
        started = time.monotonic()
        self.process.start()
        assert self.process.pid is not None
        self._ps = psutil.Process(self.process.pid)
        await self.process.wait_http(session, timeout)
        self.client = HassClient(session, self.process.url)
        await self.client.create_owner(USERNAME, PASSWORD, "Bench")
        await self.client.wait_running(timeout - (time.monotonic() - started))
        self.start_seconds = time.monotonic() - started
        assert self.client.tokens is not None
        self.ws = await StampedWebSocket.connect(
            session, self.process.url, self.client.tokens.access_token
        )

    # -- process figures ------------------------------------------------------------

    def rss_mib(self) -> float:
        assert self._ps is not None
        return float(self._ps.memory_info().rss) / 2**20

    def cpu_seconds(self) -> float:
        """CPU time of all the process's threads, in nanoseconds where Linux tells it.

        ``/proc/<pid>/task/*/schedstat`` counts each thread's time on a CPU in
        ns; the user and system times are whole clock ticks (10 ms), too coarse
        for a round of 75 updates of under a millisecond each. A thread that
        ended takes its count with it: the benchmark's windows are seconds long
        and Home Assistant's worker threads live on.
        """
        assert self._ps is not None
        try:
            total_ns = 0
            for stat in Path(f"/proc/{self._ps.pid}/task").glob("*/schedstat"):
                with contextlib.suppress(FileNotFoundError):
                    total_ns += int(stat.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            times = self._ps.cpu_times()
            return float(times.user + times.system)
        return total_ns / 1e9

    # -- configuration ----------------------------------------------------------------

    def nuki_flow_input(self, host: str, port: int, token: str) -> dict[str, Any]:
        """What a user types into each integration's form."""
        data: dict[str, Any] = {"host": host, "port": port, "token": token}
        if self.variant == OURS:
            data["token_mode"] = "encrypted"
        # The built-in's first form has no encrypt_token field; it defaults to on.
        return data

    async def add_bridge(self, host: str, port: int, token: str) -> dict[str, Any]:
        """The user flow as clicked: with MQTT set up ours first asks bridge or Wi-Fi lock."""
        assert self.client is not None
        client = self.client
        step = await client.start_flow("nuki")
        if step.get("type") == "menu":
            step = await client.submit_flow(step["flow_id"], {"next_step_id": "bridge"})
        if step.get("type") != "form":
            raise HassError(f"the {self.variant} nuki flow did not show a form: {step}")
        result = await client.submit_flow(step["flow_id"], self.nuki_flow_input(host, port, token))
        if result.get("type") != "create_entry":
            with contextlib.suppress(HassError):
                await client.delete(f"/api/config/config_entries/flow/{step['flow_id']}")
            raise HassError(f"the {self.variant} nuki flow ended with {result}")
        return result

    async def lock_entities(self) -> dict[str, str]:
        """unique id (the nukiId as text) -> entity id, for every nuki lock entity."""
        assert self.ws is not None
        entries = await self.ws.call("config/entity_registry/list")
        return {
            str(e["unique_id"]): e["entity_id"]
            for e in entries
            if e.get("platform") == "nuki" and str(e.get("entity_id", "")).startswith("lock.")
        }

    async def nuki_entity_count(self) -> int:
        assert self.ws is not None
        entries = await self.ws.call("config/entity_registry/list")
        return sum(1 for e in entries if e.get("platform") == "nuki")

    async def states(self) -> dict[str, Mapping[str, Any]]:
        assert self.ws is not None
        return {s["entity_id"]: s for s in await self.ws.call("get_states")}

    async def wait_entities_ready(self, unique_ids: set[str], timeout: float) -> float:
        """Until every lock entity of ``unique_ids`` exists with a usable state; monotonic end."""
        deadline = time.monotonic() + timeout
        while True:
            entities = await self.lock_entities()
            if unique_ids <= entities.keys():
                states = await self.states()
                ready = [
                    states.get(entities[u], {}).get("state") not in (None, "unavailable", "unknown")
                    for u in unique_ids
                ]
                if all(ready):
                    return time.monotonic()
            if time.monotonic() > deadline:
                raise HassError(
                    f"{self.variant}: lock entities not ready in {timeout:.0f} s "
                    f"({len(unique_ids & entities.keys())} of {len(unique_ids)} exist)"
                )
            await asyncio.sleep(0.1)

    # -- stop ---------------------------------------------------------------------------

    async def close_ws(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
            self.ws = None

    def stop(self) -> int | None:
        return self.process.stop(timeout=45.0)
