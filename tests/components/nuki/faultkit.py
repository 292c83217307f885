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
from collections import defaultdict
from typing import Any

import pytest
from aiohttp import web
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant

from nukilocal.sim import ApiCall, BridgeSimulator
from nukilocal.sim.devices import SimDevice
from tests.support.ids import TOKEN
from tests.support.net import free_port
from tests.support.timing import TIME_FACTOR, WAIT

# Loggers whose records the fault tests police.
OUR_LOGGERS = ("custom_components.nuki", "nukilocal")


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


def observed_standin(time_factor: float = TIME_FACTOR) -> ObservedBridge:
    """Not yet started: the default devices, on a fixed port (stopped, it starts there again)."""
    return ObservedBridge(TOKEN, time_factor=time_factor, port=free_port())


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
