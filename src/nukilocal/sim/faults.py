"""What clients did to the bridge stand-in, and the misbehaviour it is told to show."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class BridgeStats:
    """What clients did to the bridge (control requests are not counted)."""

    requests: Counter[str] = field(default_factory=Counter)
    total_requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    unavailable_sent: int = 0
    callbacks_posted: int = 0
    callbacks_failed: int = 0
    # Deliveries skipped because an earlier callback failed (faults.failed_callback_blocks).
    callbacks_blocked: int = 0
    # Requests that came too soon after the previous answer (faults.burst_window).
    bursts: int = 0
    # Action requests answered 503 because the radio was busy (radio "exclusive").
    radio_refused: int = 0

    def reset(self) -> None:
        self.requests.clear()
        self.total_requests = 0
        self.max_in_flight = self.in_flight
        self.unavailable_sent = 0
        self.callbacks_posted = 0
        self.callbacks_failed = 0
        self.callbacks_blocked = 0
        self.bursts = 0
        self.radio_refused = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "totalRequests": self.total_requests,
            "maxInFlight": self.max_in_flight,
            "unavailableSent": self.unavailable_sent,
            "callbacksPosted": self.callbacks_posted,
            "callbacksFailed": self.callbacks_failed,
            "callbacksBlocked": self.callbacks_blocked,
            "bursts": self.bursts,
            "radioRefused": self.radio_refused,
        }


@dataclass(slots=True)
class BridgeFaults:
    """Misbehaviour to inject. Counters apply to the next N API requests.

    ``latency`` and ``hang`` are real seconds (not scaled by the time factor):
    they model the network and a stuck bridge, not the devices. ``hang`` delays
    only the next request, then clears itself. ``burst_window`` makes the
    bridge as fragile as real ones under bursts: a request that starts less
    than ``burst_window`` seconds after the previous answer hangs for
    ``burst_hang`` seconds, holding the bridge's only slot (others get 503);
    0 turns it off. ``failed_callback_blocks`` models what users report of
    real bridges: callbacks go out in registration order, and one that fails
    (unreachable, timeout) keeps the state change from the callbacks after it.
    ``reset`` drops the connection without an answer; note that aiohttp
    clients silently retry an idempotent request once when that happens, so
    one reset is invisible to them.
    """

    force_503: int = 0
    latency: float = 0.0
    hang: float = 0.0
    reset: int = 0
    malformed: int = 0
    truncated: int = 0
    burst_window: float = 0.0
    burst_hang: float = 0.0
    failed_callback_blocks: bool = False

    def clear(self) -> None:
        self.force_503 = self.reset = self.malformed = self.truncated = 0
        self.latency = self.hang = self.burst_window = self.burst_hang = 0.0
        self.failed_callback_blocks = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "force503": self.force_503,
            "latency": self.latency,
            "hang": self.hang,
            "reset": self.reset,
            "malformed": self.malformed,
            "truncated": self.truncated,
            "burstWindow": self.burst_window,
            "burstHang": self.burst_hang,
            "failedCallbackBlocks": self.failed_callback_blocks,
        }
