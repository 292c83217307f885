"""pytest pieces shared by the test suites: an HTTP session, a Mosquitto or a skip.

``http`` is a fixture: a suite's conftest takes it in with
``from tests.support.fixtures import http as http``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from tests.support import mosquitto


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@contextlib.contextmanager
def mosquitto_or_skip(users: dict[str, str] | None = None) -> Iterator[mosquitto.Mosquitto]:
    """A started Mosquitto for a fixture to yield, stopped by its pid afterwards.

    ``users`` switches anonymous access off. Where Mosquitto is not installed
    the test is skipped.
    """
    if not mosquitto.available():
        pytest.skip("mosquitto is not installed")
    with mosquitto.running_mosquitto(users) as broker:
        yield broker
