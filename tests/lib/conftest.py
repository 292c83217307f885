"""Shared fixtures of the library tests: a running bridge stand-in and an HTTP session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from nukilocal.sim import BridgeSimulator
from tests.support.bridge import bridge_standin
from tests.support.fixtures import http as http


@pytest.fixture
async def bridge_sim() -> AsyncIterator[BridgeSimulator]:
    """A started hardware bridge stand-in with the default devices."""
    async with bridge_standin() as sim:
        yield sim
