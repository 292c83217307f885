"""Ids and tokens of the stand-ins the tests and the benchmark run against.

The bridge stand-in's default devices (``nukilocal.sim.config``) and the token
the tests give it. The Wi-Fi lock of the MQTT tests is the example lock of
Nuki's MQTT API document, ``3C8862ED``: the same id as the front door.
"""

from __future__ import annotations

from typing import Final

TOKEN: Final = "abc123def456"
FRONT_DOOR: Final = 1015571181
BACK_DOOR: Final = 437991291
OPENER: Final = 930999314
LOCK_ID: Final = 0x3C8862ED
