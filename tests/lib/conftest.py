"""Shared fixtures of the library tests: a running bridge stand-in and an HTTP session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from nukilocal.sim import BridgeSimulator

SIM_TOKEN = "abc123def456"
# 1/100 of real time: a lock motor run takes 15 ms, lock 'n' go 200 ms.
SIM_TIME_FACTOR = 0.01
FRONT_DOOR = 1015571181
BACK_DOOR = 437991291
OPENER = 930999314


@pytest.fixture
async def bridge_sim() -> AsyncIterator[BridgeSimulator]:
    """A started hardware bridge stand-in with the default devices."""
    async with BridgeSimulator(SIM_TOKEN, time_factor=SIM_TIME_FACTOR) as sim:
        yield sim


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
