"""The measurements, each against one Home Assistant and its bridge stand-ins.

Every function returns plain data (milliseconds, counts) for ``results.json``;
what each figure means and how it is taken is written next to it in
``METHODS`` (also copied into the JSON) and in ``bench/README.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Final

from demo.hass import HassCommandError, HassError, Subscription
from nukilocal.const import LockState, OpenerState
from nukilocal.sim import SimDevice, SimOpener, SimSmartLock
from nukilocal.sim.devices import MOTOR_SECONDS

from .hass import ARRIVED, BenchHass
from .standins import TOKEN, BenchBridge

type Event = dict[str, Any]

# What this integration's hourly callback check asks the bridge (the callback
# list, and /info since the integration reads it with the check).
HOURLY_CHECK_PATHS: Final = ("/callback/list", "/info")

METHODS: Final = {
    "state_latency": (
        "A lock's knob is turned in the stand-in (turn_knob, no transitional state). "
        "Start: time.monotonic() when the stand-in's device listener fires (the bridge "
        "queues its callback in the same call). End: time.monotonic() when the matching "
        "state_changed event is read from Home Assistant's WebSocket, in the same process "
        "and event loop as the stand-in, so one clock measures both ends. This includes "
        "the bridge's callback POST, Home Assistant's processing and the WebSocket leg "
        "back. Also reported: the event's time_fired (Home Assistant's wall clock) minus "
        "time.time() at the listener, which leaves the WebSocket leg out; both clocks "
        "are the same machine's. Turns alternate over the three smart locks, one at a "
        "time, each after the previous one arrived. The JSON also has the figure "
        "without each lock's first change."
    ),
    "mqtt_latency": (
        "Same as state_latency for three Wi-Fi lock stand-ins over MQTT (Mosquitto), "
        "added by confirming the integration's discovery flows; measured only when the "
        "integration's manifest has an 'mqtt' key. The stand-in's MQTT client leaves "
        "Nagle's algorithm on, so a publish right behind another can wait ~40 ms for the "
        "broker's delayed ACK; the figure is measured as is, then again with TCP_NODELAY "
        "set on the stand-ins' sockets (stand_in_nodelay) to show the integration's part."
    ),
    "rings": (
        "The opener stand-in rings (ring()) N times, spaced apart. Start: monotonic time "
        "at the device listener; end: arrival of a nuki_event of type ring over the "
        "WebSocket. Events are collected until one full poll interval of the built-in "
        "integration (30 s) after the last ring, so rings found by polling count too. "
        "Each event is matched to the latest ring before it."
    ),
    "service_call": (
        "lock.unlock / lock.lock on the Front door over the WebSocket (call_service), "
        "alternating. Times from sending the call to the first transitional state "
        "(unlocking/locking) and to the final state arriving over the WebSocket. The "
        "motor time is measured at the stand-in (listener: moving state to final state; "
        "nominal 1.5 s at time factor 1). Overhead = time to final state minus the "
        "measured motor time: the command's way in plus the report's way out."
    ),
    "idle_requests": (
        "Requests the bridge stand-in (4 devices) received during an idle window that "
        "starts once the earlier phases have settled (devices idle, 5 s later), every "
        "endpoint counted (/list, /callback/list, /info, ...; recorded on arrival, 503s "
        "included) and scaled to one hour (count x 3600 / window). No stand-in time "
        "factor is involved: the polling timers are Home Assistant's. A 300 s window "
        "holds exactly one cycle of a 5-minute poll and ten of a 30-second one, but not "
        "this integration's hourly callback check (/callback/list, and /info since the "
        "integration reads it with the check), which comes about an hour after set-up: "
        "hourly_check_in_window says whether the window held one; --idle 3900 measures "
        "a full cycle. Other phases (the other integration, the scale runs) may run "
        "meanwhile in other processes and on other bridges; they do not reach this bridge."
    ),
    "lock_at_once": (
        "The bridge's 4 devices (3 smart locks, the opener) are unlocked by hand at the "
        "stand-in (knob; the opener's ring to open switched on) and shown unlocked by "
        "Home Assistant; 2 s later 4 lock.lock calls are sent at once over one WebSocket. "
        "Time: from sending them until the last of the 4 lock entities' state_changed to "
        "'locked' arrived over the WebSocket. Done twice, the 3 smart locks' calls first "
        "and then the opener's, and the opener's first: a client that spaces its requests "
        "sends the last command 3 spacings after the first, and whether that one runs a "
        "lock's motor (1.5 s) or the opener's (0.3 s) decides the time; the figure is the "
        "slower of the two. The slowest motor run is measured at the stand-in: from the action's "
        "start (action listener) until the device stood locked. Once per radio model "
        "('exclusive': the bridge refuses an action with 503 while another device's "
        "action runs; 'parallel': one action per device at a time), switched through "
        "the stand-in's public radio attribute; the target applies to 'parallel'."
    ),
    "burst": (
        "20 lock/unlock service calls sent at once over one WebSocket, round robin over "
        "the devices (the 3 smart locks, then all 4 devices with the opener), lock and "
        "unlock alternating per round, as 20 automations firing together; every device "
        "starts unlocked (by hand at the stand-in, shown in Home Assistant), so every "
        "command moves its device. Each device set runs once per radio model "
        "('exclusive' and 'parallel', the stand-in's public radio attribute). Failed "
        "calls: calls that returned an error. Not carried out: per device, calls minus "
        "actions the device started (the stand-in's action listener). Executed twice: "
        "per device, actions started beyond the calls that succeeded (a command carried "
        "out twice, or carried out although its call failed). Highest requests in "
        "flight, 503 answers and radio refusals are the stand-in's counters over the "
        "burst. Requests < 0.5 s after the previous answer: from the request log of an "
        "arrival-stage interceptor, a request whose arrival is less than 0.5 s after the "
        "latest answer to any request before it (503s included; real bridges can hang "
        "for minutes on such bursts; the stand-in does not hang here). The stand-in's "
        "own count (stats.bursts with faults.burst_window 0.5) is in the JSON too; it "
        "sees only requests that got the bridge's slot. Durations: until every call "
        "returned, and until the last state change of a device (its final state)."
    ),
    "scale": (
        "A fresh Home Assistant; 25 bridge stand-ins with 4 devices each in the benchmark "
        "process. Set-up time: all 25 config flows submitted at once until all 100 lock "
        "entities exist with a state. CPU per state update: Home Assistant's process CPU "
        "time (all threads, /proc schedstat) over rounds of knob turns, each round one "
        "turn of every smart lock (10 ms apart) until all its state_changed arrived; "
        "a first round is not counted; the figure is the counted rounds' CPU over their "
        "updates, 'net' less the idle CPU rate measured over 5 s before; the median "
        "round beside it (a full garbage collection, 100-300 ms, decides a short "
        "window's mean). Memory: resident set size of the Home Assistant process before the first "
        "flow and after set-up (5 s later)."
    ),
    "single_bridge": (
        "The same figures for the single bridge of the first phase: set-up of one "
        "config flow, CPU per update over the state-latency turns, memory before and "
        "after the entry."
    ),
}


# -- small helpers ---------------------------------------------------------------------


def percentile(values: Iterable[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    data = sorted(values)
    if not data:
        return None
    position = (len(data) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (position - low)


def summary(values_ms: list[float]) -> dict[str, Any]:
    return {
        "n": len(values_ms),
        "p50": percentile(values_ms, 50),
        "p90": percentile(values_ms, 90),
        "p99": percentile(values_ms, 99),
        "min": min(values_ms) if values_ms else None,
        "max": max(values_ms) if values_ms else None,
    }


def time_fired(event: Event) -> float:
    return datetime.fromisoformat(event["time_fired"]).timestamp()


def state_of(event: Event) -> str | None:
    new = event.get("data", {}).get("new_state")
    state = new.get("state") if new else None
    return None if state is None else str(state)


def entity_of(event: Event) -> str | None:
    entity_id = event.get("data", {}).get("entity_id")
    return None if entity_id is None else str(entity_id)


def entity_in_state(entity_id: str, state: str) -> Callable[[Event], bool]:
    return lambda event: entity_of(event) == entity_id and state_of(event) == state


def device_in_state(state: int) -> Callable[[SimDevice], bool]:
    return lambda device: device.state_id == state


async def next_matching(
    subscription: Subscription, predicate: Callable[[Event], bool], timeout: float
) -> Event:
    """The next event for which ``predicate`` holds; others are dropped."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        event: Event = await subscription.next(timeout=remaining)
        if predicate(event):
            return event


class ListenerStamp:
    """Monotonic and wall time of the first listener call while installed."""

    def __init__(self, device: SimDevice, when: Callable[[SimDevice], bool] | None = None):
        self.mono: float | None = None
        self.wall: float | None = None
        self._when = when
        self._remove = device.add_listener(self._fire)

    def _fire(self, device: SimDevice) -> None:
        if self.mono is None and (self._when is None or self._when(device)):
            self.mono = time.monotonic()
            self.wall = time.time()

    def remove(self) -> None:
        self._remove()


async def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)
    return True


# -- single bridge: set-up -----------------------------------------------------------------


async def setup_single(hass: BenchHass, bridge: BenchBridge, settle: float) -> dict[str, Any]:
    await asyncio.sleep(settle)
    rss_before = hass.rss_mib()
    started = time.monotonic()
    result = await hass.add_bridge("127.0.0.1", bridge.port, TOKEN)
    flow_done = time.monotonic()
    ready = await hass.wait_entities_ready(bridge.unique_ids, timeout=120)
    await asyncio.sleep(settle)
    return {
        "entry_title": result.get("title"),
        "flow_s": flow_done - started,
        "setup_s": ready - started,
        "rss_before_mib": rss_before,
        "rss_after_mib": hass.rss_mib(),
        "entities": await hass.nuki_entity_count(),
        "setup_requests": dict(bridge.requests_between(0, time.monotonic())),
    }


# -- state latency -------------------------------------------------------------------------


async def state_latency(
    hass: BenchHass,
    locks: list[SimSmartLock],
    samples: int,
    *,
    path: str = "bridge callback (webhook)",
    spacing: float = 0.05,
) -> dict[str, Any]:
    assert hass.ws is not None
    entities = await hass.lock_entities()
    subscription = await hass.ws.subscribe_events("state_changed")
    arrival_ms: list[float] = []
    warm_ms: list[float] = []
    fired_ms: list[float] = []
    missed = 0
    idle_cpu, idle_start = hass.cpu_seconds(), time.monotonic()
    await asyncio.sleep(3.0)
    idle_rate = (hass.cpu_seconds() - idle_cpu) / (time.monotonic() - idle_start)
    cpu_before, started = hass.cpu_seconds(), time.monotonic()
    try:
        for i in range(samples):
            device = locks[i % len(locks)]
            entity_id = entities[str(device.nuki_id)]
            lock = device.state is not LockState.LOCKED
            expected = "locked" if lock else "unlocked"
            subscription.pending()
            stamp = ListenerStamp(device)
            try:
                device.turn_knob(lock)
            finally:
                stamp.remove()
            assert stamp.mono is not None
            assert stamp.wall is not None
            try:
                event = await next_matching(
                    subscription,
                    entity_in_state(entity_id, expected),
                    timeout=5.0,
                )
            except TimeoutError:
                missed += 1
                continue
            arrival_ms.append((event[ARRIVED] - stamp.mono) * 1000)
            if i >= len(locks):
                warm_ms.append(arrival_ms[-1])
            fired_ms.append((time_fired(event) - stamp.wall) * 1000)
            await asyncio.sleep(spacing)
    finally:
        await subscription.unsubscribe()
    cpu, elapsed = hass.cpu_seconds() - cpu_before, time.monotonic() - started
    seen = max(1, samples - missed)
    return {
        "path": path,
        "samples": samples,
        "missed": missed,
        "arrival_ms": summary(arrival_ms),
        "arrival_after_first_per_lock_ms": summary(warm_ms),
        "fired_ms": summary(fired_ms),
        "cpu_ms_per_update": cpu / seen * 1000,
        "cpu_ms_per_update_net": (cpu - idle_rate * elapsed) / seen * 1000,
        "idle_cpu_percent": idle_rate * 100,
        "raw_arrival_ms": arrival_ms,
    }


# -- rings ---------------------------------------------------------------------------------


class RingRun:
    """Rings now, events collected later (the grace window overlaps other phases)."""

    def __init__(self, hass: BenchHass, bridge: BenchBridge, count: int, spacing: float):
        self.hass = hass
        self.bridge = bridge
        self.count = count
        self.spacing = spacing
        self.rings: list[float] = []
        self.subscription: Subscription | None = None

    async def ring(self) -> None:
        assert self.hass.ws is not None
        self.subscription = await self.hass.ws.subscribe_events("nuki_event")
        opener = self.bridge.opener
        for i in range(self.count):
            stamp = ListenerStamp(opener)
            try:
                opener.ring()
            finally:
                stamp.remove()
            assert stamp.mono is not None
            self.rings.append(stamp.mono)
            if i < self.count - 1:
                await asyncio.sleep(self.spacing)

    async def collect(self, grace: float) -> dict[str, Any]:
        assert self.subscription is not None
        if self.rings:
            await asyncio.sleep(max(0.0, self.rings[-1] + grace - time.monotonic()))
        events = [e for e in self.subscription.pending() if e.get("data", {}).get("type") == "ring"]
        await self.subscription.unsubscribe()
        latencies: list[float] = []
        per_ring: Counter[int] = Counter()
        for event in events:
            before = [i for i, t in enumerate(self.rings) if t <= event[ARRIVED]]
            if not before:
                continue
            index = before[-1]
            per_ring[index] += 1
            if per_ring[index] == 1:
                latencies.append((event[ARRIVED] - self.rings[index]) * 1000)
        return {
            "rings": self.count,
            "spacing_s": self.spacing,
            "grace_s": grace,
            "delivered": len(per_ring),
            "events": len(events),
            "duplicates": sum(n - 1 for n in per_ring.values()),
            "latency_ms": summary(latencies),
            "raw_latency_ms": latencies,
        }


# -- service call --------------------------------------------------------------------------


async def service_calls(hass: BenchHass, bridge: BenchBridge, repeats: int) -> dict[str, Any]:
    assert hass.ws is not None
    ws = hass.ws
    entities = await hass.lock_entities()
    device = bridge.locks[0]
    entity_id = entities[str(device.nuki_id)]
    subscription = await ws.subscribe_events("state_changed")
    runs: list[dict[str, Any]] = []
    try:
        for _ in range(repeats):
            await wait_until(lambda: not device.busy, 30)
            unlock = device.state is LockState.LOCKED
            service = "unlock" if unlock else "lock"
            final = "unlocked" if unlock else "locked"
            moving = LockState.UNLOCKING if unlock else LockState.LOCKING
            final_state = LockState.UNLOCKED if unlock else LockState.LOCKED
            motor_start = ListenerStamp(device, device_in_state(moving))
            motor_end = ListenerStamp(device, device_in_state(final_state))
            subscription.pending()
            returned: list[float] = []
            sent = time.monotonic()
            call = asyncio.ensure_future(
                ws.call_service("lock", service, entity_id=entity_id, timeout=30)
            )

            def stamp_return(_call: object, out: list[float] = returned) -> None:
                out.append(time.monotonic())

            call.add_done_callback(stamp_return)
            seen: list[tuple[str | None, float]] = []
            error: str | None = None
            try:
                while True:
                    event = await next_matching(
                        subscription, lambda e: entity_of(e) == entity_id, timeout=15.0
                    )
                    seen.append((state_of(event), event[ARRIVED]))
                    if state_of(event) == final:
                        break
                await call
            except (TimeoutError, HassCommandError) as err:
                error = repr(err)
            finally:
                motor_start.remove()
                motor_end.remove()
                if not call.done():
                    call.cancel()
                    with contextlib.suppress(BaseException):
                        await call
            transitional = [(s, t) for s, t in seen if s != final]
            final_at = next((t for s, t in seen if s == final), None)
            motor_s = (
                motor_end.mono - motor_start.mono
                if motor_end.mono is not None and motor_start.mono is not None
                else None
            )
            run: dict[str, Any] = {
                "service": service,
                "error": error,
                "states_seen": [s for s, _ in seen],
                "to_moving_ms": (transitional[0][1] - sent) * 1000 if transitional else None,
                "to_final_ms": (final_at - sent) * 1000 if final_at is not None else None,
                "call_returned_ms": (returned[0] - sent) * 1000 if returned else None,
                "motor_ms": motor_s * 1000 if motor_s is not None else None,
                "command_leg_ms": (
                    (motor_start.mono - sent) * 1000 if motor_start.mono is not None else None
                ),
                "report_leg_ms": (
                    (final_at - motor_end.mono) * 1000
                    if final_at is not None and motor_end.mono is not None
                    else None
                ),
            }
            if run["to_final_ms"] is not None and run["motor_ms"] is not None:
                run["overhead_ms"] = run["to_final_ms"] - run["motor_ms"]
            runs.append(run)
            await asyncio.sleep(1.0)
    finally:
        await subscription.unsubscribe()

    def column(key: str) -> list[float]:
        return [r[key] for r in runs if r.get(key) is not None]

    return {
        "entity_id": entity_id,
        "nominal_motor_ms": MOTOR_SECONDS * bridge.sim.clock.time_factor * 1000,
        "runs": runs,
        "errors": sum(1 for r in runs if r["error"]),
        "to_moving_ms": summary(column("to_moving_ms")),
        "to_final_ms": summary(column("to_final_ms")),
        "motor_ms": summary(column("motor_ms")),
        "overhead_ms": summary(column("overhead_ms")),
        "command_leg_ms": summary(column("command_leg_ms")),
        "report_leg_ms": summary(column("report_leg_ms")),
        "call_returned_ms": summary(column("call_returned_ms")),
    }


# -- lock at once, burst -----------------------------------------------------------------


def sim_locked(device: SimDevice) -> bool:
    """What Home Assistant shows as locked: a lock's bolt, an opener without ring to open."""
    if isinstance(device, SimOpener):
        return not device.ring_opens
    return device.state_id == LockState.LOCKED


async def wait_states(
    hass: BenchHass, entity_ids: Iterable[str], state: str, timeout: float
) -> bool:
    """Until every entity shows ``state`` in Home Assistant (read over the WebSocket)."""
    wanted = set(entity_ids)
    deadline = time.monotonic() + timeout
    while True:
        states = await hass.states()
        if all(states.get(e, {}).get("state") == state for e in wanted):
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)


async def prepare_unlocked(
    hass: BenchHass, bridge: BenchBridge, devices: list[SimDevice], timeout: float = 45.0
) -> bool:
    """Every device unlocked by hand at the stand-in (a lock's knob; an opener's ring to
    open switched on), idle, and shown unlocked by Home Assistant; then 2 s of quiet.

    So every command of what follows moves its device (a lock told to lock while it
    is locked runs its motor all the same, and each integration handles that its
    own way), and every run starts from the same state."""
    await wait_until(bridge.idle, 60)
    for device in devices:
        if isinstance(device, SimSmartLock):
            if device.state is not LockState.UNLOCKED:
                device.turn_knob(False)
        elif isinstance(device, SimOpener) and device.state is not OpenerState.RTO_ACTIVE:
            device.set_state(OpenerState.RTO_ACTIVE)
    entities = await hass.lock_entities()
    shown = await wait_states(
        hass, (entities[str(d.nuki_id)] for d in devices), "unlocked", timeout
    )
    # The integration's own follow-ups (a poll after a callback, the request
    # spacing) are over before the measurement starts.
    await asyncio.sleep(2.0)
    await wait_until(bridge.idle, 60)
    return shown


class MotorRuns:
    """Per device: when an action started at the stand-in and when it then stood locked."""

    def __init__(self, devices: list[SimDevice]) -> None:
        self.started: dict[int, float] = {}
        self.locked: dict[int, float] = {}
        self._removers = [d.add_action_listener(self._action) for d in devices]
        self._removers += [d.add_listener(self._changed) for d in devices]

    def _action(self, device: SimDevice, _event: object) -> None:
        self.started.setdefault(device.nuki_id, time.monotonic())

    def _changed(self, device: SimDevice) -> None:
        if device.nuki_id in self.started and sim_locked(device):
            self.locked.setdefault(device.nuki_id, time.monotonic())

    def run_s(self, nuki_id: int) -> float | None:
        if nuki_id in self.started and nuki_id in self.locked:
            return self.locked[nuki_id] - self.started[nuki_id]
        return None

    def remove(self) -> None:
        for remove in self._removers:
            remove()


AT_ONCE_ORDERS: Final = ("locks_first", "opener_first")


async def lock_at_once(hass: BenchHass, bridge: BenchBridge) -> dict[str, Any]:
    """All devices locked at once, the calls sent in two orders: the figure is the slower.

    A client that spaces its requests sends the last command 3 spacings after
    the first: whether that one runs a lock's motor (1.5 s) or the opener's
    (0.3 s) decides the time, and automations fire in no particular order.
    """
    locks = [d for d in bridge.sim.devices if isinstance(d, SimSmartLock)]
    openers = [d for d in bridge.sim.devices if not isinstance(d, SimSmartLock)]
    orders = {
        "locks_first": [*locks, *openers],
        "opener_first": [*openers, *locks],
    }
    runs = {name: await lock_at_once_in(hass, bridge, devices) for name, devices in orders.items()}
    times = [r["all_locked_s"] for r in runs.values()]
    motors = [r["slowest_motor_s"] for r in runs.values() if r["slowest_motor_s"] is not None]
    return {
        "radio": bridge.radio,
        "orders": runs,
        "all_locked_s": None if None in times else max(times),
        "slowest_motor_s": max(motors) if motors else None,
        "locked": min(r["locked"] for r in runs.values()),
        "call_errors": sum(r["call_errors"] for r in runs.values()),
    }


async def lock_at_once_in(
    hass: BenchHass, bridge: BenchBridge, devices: list[SimDevice], timeout: float = 60.0
) -> dict[str, Any]:
    """lock.lock for each of ``devices`` fired together (in this order), until Home
    Assistant shows all of them locked."""
    assert hass.ws is not None
    ws = hass.ws
    prepared = await prepare_unlocked(hass, bridge, devices)
    entities = await hass.lock_entities()
    entity_ids = {entities[str(d.nuki_id)]: d for d in devices}
    subscription = await ws.subscribe_events("state_changed")
    motors = MotorRuns(devices)
    bridge.sim.stats.reset()
    locked_at: dict[str, float] = {}
    started = time.monotonic()

    async def one(entity_id: str) -> str | None:
        try:
            await ws.call_service("lock", "lock", entity_id=entity_id, timeout=timeout)
        except (HassCommandError, TimeoutError) as err:
            return getattr(err, "message", None) or repr(err)
        return None

    async def collect() -> None:
        while len(locked_at) < len(entity_ids):
            event = await next_matching(
                subscription,
                lambda e: (
                    entity_of(e) in entity_ids
                    and entity_of(e) not in locked_at
                    and state_of(e) == "locked"
                ),
                timeout=max(0.0, started + timeout - time.monotonic()),
            )
            locked_at[str(entity_of(event))] = event[ARRIVED]

    collector = asyncio.ensure_future(collect())
    try:
        errors = [e for e in await asyncio.gather(*(one(e) for e in entity_ids)) if e is not None]
        await wait_until(bridge.idle, timeout)
        # Calls that return on the bridge's acceptance: the report follows the motor.
        await asyncio.wait({collector}, timeout=5.0)
    finally:
        collector.cancel()
        with contextlib.suppress(BaseException):
            await collector
        motors.remove()
        await subscription.unsubscribe()
    runs = {str(d.nuki_id): motors.run_s(d.nuki_id) for d in devices}
    measured = [r for r in runs.values() if r is not None]
    all_locked = max(locked_at.values()) - started if len(locked_at) == len(entity_ids) else None
    return {
        "radio": bridge.radio,
        "devices": [d.name for d in devices],
        "prepared": prepared,
        "all_locked_s": all_locked,
        "locked": len(locked_at),
        "call_errors": len(errors),
        "error_messages": dict(Counter(errors)),
        "slowest_motor_s": max(measured) if measured else None,
        "motor_s": runs,
        "action_started_s": {str(k): v - started for k, v in motors.started.items()},
        "locked_in_hass_s": {str(entity_ids[e].nuki_id): t - started for e, t in locked_at.items()},
        "unavailable_503": bridge.sim.stats.unavailable_sent,
        "max_in_flight": bridge.sim.stats.max_in_flight,
    }


async def burst(
    hass: BenchHass,
    bridge: BenchBridge,
    devices: list[SimDevice],
    count: int = 20,
    timeout: float = 180.0,
) -> dict[str, Any]:
    """``count`` lock/unlock calls at once, round robin over ``devices``."""
    assert hass.ws is not None
    ws = hass.ws
    prepared = await prepare_unlocked(hass, bridge, devices)
    entities = await hass.lock_entities()
    # Round r locks when r is even: each device alternates lock, unlock, ... from unlocked.
    plan = [
        (
            devices[i % len(devices)],
            "lock" if (i // len(devices)) % 2 == 0 else "unlock",
        )
        for i in range(count)
    ]
    actions_before = Counter(bridge.actions_by_device)
    last_change: list[float] = []
    removers = [d.add_listener(lambda _d: last_change.append(time.monotonic())) for d in devices]
    bridge.sim.stats.reset()
    started = time.monotonic()

    async def one(device: SimDevice, service: str) -> tuple[str | None, float]:
        entity_id = entities[str(device.nuki_id)]
        try:
            await ws.call_service("lock", service, entity_id=entity_id, timeout=timeout)
        except (HassCommandError, TimeoutError) as err:
            return (getattr(err, "message", None) or repr(err), time.monotonic() - started)
        return (None, time.monotonic() - started)

    try:
        outcomes = await asyncio.gather(*(one(d, s) for d, s in plan))
        calls_done = time.monotonic()
        await wait_until(bridge.idle, timeout)
        # Commands a paced client still has queued start within its spacing.
        await asyncio.sleep(2.0)
        await wait_until(bridge.idle, timeout)
        ended = time.monotonic()
    finally:
        for remove in removers:
            remove()
    stats = bridge.sim.stats
    errors = [message for message, _ in outcomes if message is not None]
    per_device: dict[str, dict[str, int]] = {}
    for device in devices:
        sent = [o for (d, _s), o in zip(plan, outcomes, strict=True) if d is device]
        per_device[str(device.nuki_id)] = {
            "sent": len(sent),
            "succeeded": sum(1 for message, _ in sent if message is None),
            "started": bridge.actions_by_device[device.nuki_id] - actions_before[device.nuki_id],
        }
    carried_out = sum(d["started"] for d in per_device.values())
    not_carried_out = sum(max(0, d["sent"] - d["started"]) for d in per_device.values())
    return {
        "radio": bridge.radio,
        "devices": [d.name for d in devices],
        "prepared": prepared,
        "commands": count,
        "call_errors": len(errors),
        "error_messages": dict(Counter(errors)),
        "carried_out": carried_out,
        "not_carried_out": not_carried_out,
        # More actions on a device than calls for it that succeeded: a command
        # carried out twice, or one carried out although its call failed.
        "executed_twice": sum(max(0, d["started"] - d["succeeded"]) for d in per_device.values()),
        "per_device": per_device,
        "failed": max(len(errors), not_carried_out),
        "unavailable_503": stats.unavailable_sent,
        "radio_refused": stats.radio_refused,
        "max_in_flight": stats.max_in_flight,
        "overlapping": bridge.overlapping(started, ended),
        "too_soon": bridge.too_soon(started, ended),
        "too_soon_standin": stats.bursts,
        "requests": dict(bridge.requests_between(started, ended)),
        "statuses": {str(k): v for k, v in bridge.statuses_between(started, ended).items()},
        "calls_returned_s": calls_done - started,
        # The last state change of a device: its final state after the last motor run.
        "duration_s": (max(last_change) if last_change else ended) - started,
        "call_times_s": [t for _, t in outcomes],
    }


# -- idle ----------------------------------------------------------------------------------


async def idle_requests(bridge: BenchBridge, window: float) -> dict[str, Any]:
    await wait_until(bridge.idle, 60)
    await asyncio.sleep(5.0)
    started = time.monotonic()
    await asyncio.sleep(window)
    ended = time.monotonic()
    counts = bridge.requests_between(started, ended)
    scale = 3600.0 / (ended - started)
    return {
        "window_s": ended - started,
        "window_start": started,
        # The hourly callback check (with /info since the nowait change): requests
        # this rare are in a window shorter than an hour only if it holds one.
        "hourly_check_in_window": any(p in counts for p in HOURLY_CHECK_PATHS),
        "count": sum(counts.values()),
        "by_endpoint": dict(counts),
        "per_hour": sum(counts.values()) * scale,
        "per_hour_by_endpoint": {k: v * scale for k, v in counts.items()},
    }


# -- scale ---------------------------------------------------------------------------------


async def idle_cpu_rate(hass: BenchHass, seconds: float = 5.0) -> float:
    """CPU seconds per second of a Home Assistant left alone."""
    cpu, started = hass.cpu_seconds(), time.monotonic()
    await asyncio.sleep(seconds)
    return (hass.cpu_seconds() - cpu) / (time.monotonic() - started)


async def scale_setup(hass: BenchHass, bridges: list[BenchBridge], settle: float) -> dict[str, Any]:
    """25 config flows at once, until all lock entities have a state."""
    unique_ids = set().union(*(b.unique_ids for b in bridges))
    started = time.monotonic()
    outcomes = await asyncio.gather(
        *(hass.add_bridge("127.0.0.1", b.port, TOKEN) for b in bridges), return_exceptions=True
    )
    flows_done = time.monotonic()
    if failed := [o for o in outcomes if isinstance(o, BaseException)]:
        raise HassError(f"{len(failed)} of {len(bridges)} bridge flows failed: {failed[0]!r}")
    ready = await hass.wait_entities_ready(unique_ids, timeout=300)
    await asyncio.sleep(settle)
    return {
        "bridges": len(bridges),
        "devices": len(unique_ids),
        "flows_s": flows_done - started,
        "setup_s": ready - started,
        "bridge_requests_during_setup": sum(
            sum(b.requests_between(started, ready).values()) for b in bridges
        ),
        "max_in_flight_any_bridge": max(b.sim.stats.max_in_flight for b in bridges),
    }


async def cpu_per_update(
    hass: BenchHass,
    locks: list[SimSmartLock],
    rounds: int,
    idle_rate: float,
    bridges: Iterable[BenchBridge] = (),
) -> dict[str, Any]:
    """Home Assistant's CPU time per state update, over rounds of knob turns.

    A round turns the knob of every lock once, 10 ms apart, and waits until
    Home Assistant showed all of them. A first round warms up and is not
    counted. The figure is all CPU time of the counted rounds over their updates
    (the mean, garbage collections included); the median round is reported
    beside it, because one full collection of Python's garbage collector
    (100-300 ms with this many entities, when it happens to fall into a round)
    decides a short window's mean. Also counted: every other state_changed
    event by domain, and the bridges' requests by endpoint.
    """
    assert hass.ws is not None
    entities = await hass.lock_entities()
    lock_entities = {entities[str(lock.nuki_id)] for lock in locks}
    subscription = await hass.ws.subscribe_events("state_changed")
    received = 0
    arrived = asyncio.Event()
    other_changes: Counter[str] = Counter()

    async def count_updates() -> None:
        nonlocal received
        while True:
            event = await subscription.next(timeout=60)
            entity_id = entity_of(event) or ""
            if entity_id not in lock_entities:
                other_changes[entity_id.partition(".")[0]] += 1
            elif state_of(event) in ("locked", "unlocked"):
                received += 1
                arrived.set()

    async def shown(count: int) -> None:
        while received < count:
            arrived.clear()
            await arrived.wait()

    counted: list[tuple[float, float]] = []
    counted_from = 0
    t_first = time.monotonic()
    counter = asyncio.ensure_future(count_updates())
    try:
        for round_ in range(rounds + 1):
            if round_ == 1:
                counted_from, t_first = received, time.monotonic()
                other_changes.clear()
            cpu_before, t_before = hass.cpu_seconds(), time.monotonic()
            for lock in locks:
                lock.turn_knob(lock.state is not LockState.LOCKED)
                await asyncio.sleep(0.01)
            try:
                await asyncio.wait_for(shown(len(locks) * (round_ + 1)), timeout=60)
            finally:
                if round_ > 0:
                    counted.append((hass.cpu_seconds() - cpu_before, time.monotonic() - t_before))
    except TimeoutError:
        pass
    finally:
        counter.cancel()
        with contextlib.suppress(BaseException):
            await counter
        await subscription.unsubscribe()
    t_last = time.monotonic()
    requests: Counter[str] = Counter()
    for bridge in bridges:
        requests.update(dict(bridge.requests_between(t_first, t_last)))
    updates = received - counted_from
    cpu_used = sum(cpu for cpu, _ in counted)
    elapsed = sum(seconds for _, seconds in counted)
    per_round = [(cpu - idle_rate * seconds) / len(locks) * 1000 for cpu, seconds in counted]
    return {
        "other_state_changes": dict(other_changes),
        "bridge_requests": dict(requests),
        "rounds": rounds,
        "updates": rounds * len(locks),
        "updates_received": updates,
        "update_window_s": elapsed,
        "cpu_ms_per_update": cpu_used / max(1, updates) * 1000,
        "cpu_ms_per_update_net": (cpu_used - idle_rate * elapsed) / max(1, updates) * 1000,
        "cpu_ms_per_update_net_rounds": per_round,
        "cpu_ms_per_update_net_median_round": statistics.median(per_round) if per_round else None,
        "idle_cpu_percent": idle_rate * 100,
    }
