"""Time as the stand-ins see it: scaled durations and a skewable wall clock.

Every duration in the stand-ins is written as its real-world value and goes
through :meth:`SimClock.seconds`, so tests run the same sequences at 1/100 of
the speed of the hardware. The wall clock can be shifted to test clients
against a bridge whose clock is wrong (hashed and encrypted tokens depend on it).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta


class SimClock:
    """Real UTC time plus ``offset``; durations multiplied by ``time_factor``."""

    __slots__ = ("offset", "time_factor")

    def __init__(self, time_factor: float = 1.0, offset: timedelta | None = None) -> None:
        if time_factor < 0:
            raise ValueError("time_factor must not be negative")
        self.time_factor = time_factor
        self.offset = offset or timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def seconds(self, nominal: float) -> float:
        """How long ``nominal`` real-world seconds last in this simulation."""
        return nominal * self.time_factor

    async def sleep(self, nominal: float) -> None:
        await asyncio.sleep(self.seconds(nominal))
