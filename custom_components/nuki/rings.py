"""Doorbell rings of one opener, counted once however callbacks and polls report them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from homeassistant.util import dt as dt_util

from nukilocal.models import DeviceState

type ReportSource = Literal["callback", "poll", "mqtt"]


@dataclass(slots=True)
class RingTrack:
    """What each source told of one opener's rings.

    Each source is read as a stream of its own: the bridge sends callbacks in
    order, and polls follow each other. A stream shows a ring when its
    ringactionTimestamp moves on, or, since stamps have whole seconds, when
    ringactionState rises again with the same stamp. The streams do not
    interleave in order: a ring's callback can arrive after a poll that read
    the ring already over. So rings are counted per stream, and as many fire
    as the stream that showed most of them at the newest stamp.
    """

    stamp: datetime | None = None
    # Rings at ``stamp`` fired (at start: already past, never fired).
    fired: int = 0
    counted: Counter[ReportSource] = field(default_factory=Counter)
    # Each stream's last report: ringactionTimestamp, ringactionState.
    last: dict[ReportSource, tuple[datetime | None, bool]] = field(default_factory=dict)
    started: bool = False

    def report(self, source: ReportSource, old: DeviceState | None, new: DeviceState) -> bool:
        """Whether this report shows a ring no report fired yet.

        ``old`` is the device's state before this report: where the stream of
        ``source`` starts when this is its first report. The first report of all
        only sets the baseline, so a ring from before start never fires.
        """
        stamp = new.ring_action_timestamp
        ringing = bool(new.ring_action_state)
        if not self.started:
            self.started = True
            self.stamp = stamp
            self.last[source] = (stamp, ringing)
            if stamp is not None:
                self.fired = self.counted[source] = 1
            return False
        before = self.last.get(source)
        if before is None and old is not None:
            before = (old.ring_action_timestamp, bool(old.ring_action_state))
        last_stamp, was_ringing = before or (None, False)
        rising = ringing and not was_ringing
        if stamp is None:
            if not rising:
                self.last[source] = (last_stamp, ringing)
                return False
            # No timestamp in this report: a poll carrying it (older) must not fire again.
            stamp = dt_util.utcnow()
            new_ring = True
        else:
            new_ring = last_stamp is None or stamp > last_stamp or rising
        self.last[source] = (stamp, ringing)
        return self._count(source, stamp, new_ring=new_ring)

    def _count(self, source: ReportSource, stamp: datetime, *, new_ring: bool) -> bool:
        if self.stamp is not None and stamp < self.stamp:
            # A ring older than one already reported.
            return False
        if self.stamp is None or stamp > self.stamp:
            self.stamp, self.fired = stamp, 0
            self.counted.clear()
        if not new_ring:
            return False
        self.counted[source] += 1
        if self.counted[source] <= self.fired:
            # Another stream reported this ring first.
            return False
        self.fired += 1
        return True
