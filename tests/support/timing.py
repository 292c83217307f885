"""How fast the stand-ins run in the tests, and how long a test waits at the most."""

from __future__ import annotations

from typing import Final

# Devices run 100 times faster than real ones: a motor turn takes 15 ms,
# lock 'n' go 200 ms, /auth gives up after 0.3 s instead of 30 s.
TIME_FACTOR: Final = 0.01
# Bound for every wait on something that happens within milliseconds; never a
# pacing sleep. An upper bound only (waits end on the event): generous, so a
# busy CI machine passes too.
WAIT: Final = 20.0
