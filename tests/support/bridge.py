"""The bridge stand-in as the library's and the integration's tests run it."""

from __future__ import annotations

from typing import Any

from nukilocal.sim import BridgeSimulator
from tests.support.ids import TOKEN
from tests.support.timing import TIME_FACTOR


def bridge_standin(**options: Any) -> BridgeSimulator:
    """Not yet started: the default devices, :data:`TOKEN`, devices at :data:`TIME_FACTOR`.

    ``options`` go to :class:`BridgeSimulator` (``devices``, ``bridge_type`` ...).
    """
    options.setdefault("time_factor", TIME_FACTOR)
    return BridgeSimulator(TOKEN, **options)
