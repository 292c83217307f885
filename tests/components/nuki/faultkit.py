"""Shared by the fault, bad-input, secrets and soak tests: an observed bridge, log checks.

:class:`ObservedBridge` is the bridge stand-in plus a record of every API
request it received (path and raw query string, as on the wire) and events a
test can wait for: a request to a path has started, the bridge is idle again.
It only watches, through the stand-in's public interceptor API (stage
"arrival": every API request, the 503s the stand-in answers itself too).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import defaultdict
from typing import Any

import pytest
from aiohttp import web
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.nuki.const import POLL_INTERVAL_NO_PUSH, POLL_INTERVAL_PUSH
from nukilocal.sim import ApiCall, BridgeSimulator
from nukilocal.sim.devices import SimDevice

# Loggers whose records the fault tests police.
OUR_LOGGERS = ("custom_components.nuki", "nukilocal")
# Generous bound for things that happen within milliseconds; never a pacing sleep.
WAIT = 10.0


class ObservedBridge(BridgeSimulator):
    """The stand-in, recording what it received and saying when it is idle."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.queries: list[tuple[str, str]] = []
        self._idle = asyncio.Event()
        self._idle.set()
        self._started: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        super().__init__(*args, **kwargs)
        self.add_interceptor(self._observe, stage="arrival")

    async def _observe(self, call: ApiCall) -> web.StreamResponse:
        self.queries.append((call.path, call.query_string))
        self._idle.clear()
        self._started[call.path].set()
        try:
            return await call.proceed()
        finally:
            if self.stats.in_flight == 0:
                self._idle.set()

    async def wait_idle(self) -> None:
        """Return once no request is being served (a hung one included)."""
        async with asyncio.timeout(WAIT):
            await self._idle.wait()

    def expect_request(self, path: str) -> asyncio.Event:
        """An event set when the next request to ``path`` arrives."""
        event = self._started[path] = asyncio.Event()
        return event


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def count_changes(device: SimDevice) -> list[int]:
    """Every state the device goes through from now on (for at-most-once checks)."""
    seen: list[int] = []
    last = [device.state_id]

    def listener(dev: SimDevice) -> None:
        if dev.state_id != last[0]:
            last[0] = dev.state_id
            seen.append(dev.state_id)

    device.add_listener(listener)
    return seen


async def advance(hass: HomeAssistant, push: bool = True) -> None:
    """Let the next safety-net poll run and finish."""
    interval = POLL_INTERVAL_PUSH if push else POLL_INTERVAL_NO_PUSH
    async_fire_time_changed(hass, dt_util.utcnow() + interval)
    await hass.async_block_till_done(wait_background_tasks=True)


def unavailable(hass: HomeAssistant, *entity_ids: str) -> bool:
    return all(hass.states.get(e).state == STATE_UNAVAILABLE for e in entity_ids)


# Home Assistant 2026.x adds the traceback of an expected failure at debug level
# right after its one-line error: the update coordinator ("Full error:", under
# the coordinator's logger) and a config entry not ready ("Full exception").
_HA_DEBUG_TRACES = ("Full error:", "Full exception")


def _expected_debug_trace(record: logging.LogRecord) -> bool:
    return record.levelno == logging.DEBUG and record.getMessage() in _HA_DEBUG_TRACES


def assert_no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    """No traceback anywhere; no ERROR of ours except the coordinator's one-line notice."""
    with_trace = [
        r
        for r in caplog.records
        if (r.exc_info or r.exc_text or "Traceback" in r.getMessage())
        and not _expected_debug_trace(r)
    ]
    assert not with_trace, [f"{r.name}: {r.getMessage()}" for r in with_trace]
    errors = [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR
        and r.name.startswith(OUR_LOGGERS)
        # DataUpdateCoordinator's own one-liner when a poll first fails.
        and not r.getMessage().startswith("Error fetching")
    ]
    assert not errors, [f"{r.name}: {r.getMessage()}" for r in errors]
