"""The benchmark's order of events, and the guarantee that it leaves nothing running.

1. For each integration (this one, then the built-in): a bridge stand-in with
   4 devices and a fresh Home Assistant; set-up, state latency, rings,
   service calls, 4 devices locked at once and the bursts (each with either
   radio model of the stand-in). Its idle window starts as soon as that is
   done and runs on while the later phases use other processes and other
   bridges.
2. For each integration: a fresh Home Assistant with 25 bridges (scale).
3. Wait for the idle windows, stop everything (Home Assistant before the
   bridges, so it can take its callbacks off them).

``Settings.rows`` (``--rows``) picks rows: only the phases they need run.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import platform
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Final

import aiohttp

from demo.hass import INTEGRATION_DIR
from nukilocal.sim import DEFAULT_RADIO, RADIO_MODES, SimDevice

from . import measure
from .hass import BUILTIN, LABELS, OURS, BenchHass
from .mqtt import (
    BenchBroker,
    WifiLocks,
    add_mqtt_entry,
    confirm_discoveries,
    disable_nagle,
    integration_supports_mqtt,
)
from .standins import BenchBridge

_LOGGER = logging.getLogger("bench")

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / ".artifacts" / "bench"


# The rows ``--rows`` can pick (set-up of the single bridge runs for any of the
# first eight; "scale" is the 25-bridge run).
ROWS: Final = (
    "latency",
    "mqtt",
    "rings",
    "service",
    "at-once",
    "burst",
    "idle",
    "scale",
)
SINGLE_ROWS: Final = frozenset(ROWS) - {"scale"}
# Burst device sets: the 3 smart locks, and all 4 devices with the opener.
BURST_SETS: Final = ("locks3", "devices4")


@dataclass(slots=True, kw_only=True)
class Settings:
    out: Path = DEFAULT_OUT
    variants: tuple[str, ...] = (OURS, BUILTIN)
    rows: tuple[str, ...] = ROWS
    radios: tuple[str, ...] = RADIO_MODES
    samples: int = 100
    rings: int = 8
    ring_spacing: float = 2.0
    ring_grace: float = 31.0
    service_repeats: int = 6
    burst: int = 20
    idle_window: float = 300.0
    scale_bridges: int = 25
    scale_rounds: int = 6
    scale_wifi_locks: int = 100
    mqtt_locks: int = 3
    settle: float = 3.0
    time_factor: float = 1.0


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    manifest = json.loads((INTEGRATION_DIR / "manifest.json").read_text())
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "homeassistant": _version("homeassistant"),
        "pynuki": _version("pynuki"),
        "integration_version": manifest.get("version"),
        "integration_mqtt": bool(manifest.get("mqtt")),
        "load_average_start": list(os.getloadavg()),
    }


class Benchmark:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.started: list[BenchHass] = []
        self.results: dict[str, Any] = {
            "environment": environment(),
            "settings": {
                f.name: _jsonable(getattr(settings, f.name)) for f in dataclasses.fields(settings)
            },
            "methods": measure.METHODS,
            "variants": {v: {"label": LABELS[v]} for v in settings.variants},
        }
        self.timeline: dict[str, Any] = {}
        self.t0 = time.monotonic()

    def _hass(self, variant: str, name: str) -> BenchHass:
        hass = BenchHass(variant, self.settings.out / "hass" / f"{variant}-{name}")
        self.started.append(hass)
        return hass

    def _log(self, message: str, *args: Any) -> None:
        _LOGGER.info("[%6.1f s] %s", time.monotonic() - self.t0, message % args)

    async def run(self) -> dict[str, Any]:
        s = self.settings
        s.out.mkdir(parents=True, exist_ok=True)
        async with contextlib.AsyncExitStack() as stack:
            session = aiohttp.ClientSession()
            stack.push_async_callback(session.close)
            idle_tasks: dict[str, asyncio.Task[dict[str, Any]]] = {}
            single_bridges: dict[str, BenchBridge] = {}
            single = SINGLE_ROWS & set(s.rows)
            for variant in s.variants if single else ():
                bridge = BenchBridge(0, time_factor=s.time_factor, radio=DEFAULT_RADIO)
                await bridge.start()
                stack.push_async_callback(bridge.stop)
                single_bridges[variant] = bridge
                broker: BenchBroker | None = None
                if "mqtt" in s.rows and variant == OURS and integration_supports_mqtt():
                    broker = BenchBroker()
                    await broker.start()
                    stack.push_async_callback(broker.stop)
                hass = self._hass(variant, "single")
                # Home Assistant stops before the bridge and the broker it uses.
                stack.push_async_callback(self._stop_hass, hass)
                await self._single(variant, hass, bridge, broker, session, stack)
                if "idle" in s.rows:
                    self._log("%s: idle window of %.0f s starts", variant, s.idle_window)
                    idle_tasks[variant] = asyncio.create_task(
                        measure.idle_requests(bridge, s.idle_window)
                    )
            for variant in s.variants if "scale" in s.rows else ():
                await self._scale(variant, session)
            for variant, task in idle_tasks.items():
                if not task.done():
                    self._log("%s: waiting for the end of the idle window", variant)
                result = await task
                result["window_start_s"] = result.pop("window_start") - self.t0
                self.results["variants"][variant]["idle_requests"] = result
            self._timelines(single_bridges)
        self.results["environment"]["load_average_end"] = list(os.getloadavg())
        self.results["environment"]["duration_s"] = time.monotonic() - self.t0
        return self.results

    async def _stop_hass(self, hass: BenchHass) -> None:
        await hass.close_ws()
        # In a thread: the bridges in this event loop must answer while it stops.
        code = await asyncio.to_thread(hass.stop)
        self._log("%s Home Assistant (pid %s) stopped: %s", hass.variant, hass.pid, code)

    async def _single(
        self,
        variant: str,
        hass: BenchHass,
        bridge: BenchBridge,
        broker: BenchBroker | None,
        session: aiohttp.ClientSession,
        stack: contextlib.AsyncExitStack,
    ) -> None:
        s = self.settings
        out = self.results["variants"][variant]
        self._log("%s: starting Home Assistant", variant)
        await hass.start(session)
        out["hass_start_s"] = hass.start_seconds
        self._log("%s: running after %.1f s; adding the bridge", variant, hass.start_seconds)
        out["single_setup"] = await measure.setup_single(hass, bridge, s.settle)
        self._log("%s: set up in %.2f s", variant, out["single_setup"]["setup_s"])
        if "latency" in s.rows:
            out["state_latency"] = await measure.state_latency(hass, bridge.locks, s.samples)
            self._log("%s: state latency %s", variant, _brief(out["state_latency"]["arrival_ms"]))
        if broker is not None:
            out["mqtt_latency"] = await self._mqtt_latency(hass, broker, stack)
            self._log("%s: MQTT latency %s", variant, _brief(out["mqtt_latency"]["arrival_ms"]))
        elif "mqtt" in s.rows:
            note = "n/a (not yet supported)" if variant == OURS else "n/a (no MQTT)"
            out["mqtt_latency"] = {"supported": False, "note": note}
        rings: measure.RingRun | None = None
        if "rings" in s.rows:
            rings = measure.RingRun(hass, bridge, s.rings, s.ring_spacing)
            await rings.ring()
            self._log("%s: %d rings sent", variant, s.rings)
        if "service" in s.rows:
            out["service_call"] = await measure.service_calls(hass, bridge, s.service_repeats)
            self._log(
                "%s: service call to final %s", variant, _brief(out["service_call"]["to_final_ms"])
            )
        try:
            if "at-once" in s.rows:
                out["at_once"] = {}
                for radio in s.radios:
                    bridge.radio = radio
                    result = await measure.lock_at_once(hass, bridge)
                    out["at_once"][radio] = result
                    orders = result["orders"]
                    self._log(
                        "%s: 4 locked at once, %s radio: %s s with the smart locks first, "
                        "%s s with the opener first (slowest motor %s s), %d errors",
                        variant,
                        radio,
                        _s(orders["locks_first"]["all_locked_s"]),
                        _s(orders["opener_first"]["all_locked_s"]),
                        _s(result["slowest_motor_s"]),
                        result["call_errors"],
                    )
            if "burst" in s.rows:
                out["burst"] = {}
                for devices_name in BURST_SETS:
                    devices = self._burst_devices(bridge, devices_name)
                    out["burst"][devices_name] = {}
                    for radio in s.radios:
                        bridge.radio = radio
                        result = await measure.burst(hass, bridge, devices, s.burst)
                        out["burst"][devices_name][radio] = result
                        self._log(
                            "%s: burst over %s, %s radio: calls returned after %.1f s, "
                            "failed calls %s, not carried out %s, executed twice %s, "
                            "503 %s, in flight %s, too soon %s",
                            variant,
                            devices_name,
                            radio,
                            result["calls_returned_s"],
                            result["call_errors"],
                            result["not_carried_out"],
                            result["executed_twice"],
                            result["unavailable_503"],
                            result["max_in_flight"],
                            result["too_soon"],
                        )
        finally:
            bridge.radio = DEFAULT_RADIO
        if rings is not None:
            out["rings"] = await rings.collect(s.ring_grace)
            self._log("%s: rings delivered %s of %s", variant, out["rings"]["delivered"], s.rings)
        out["log_errors_single"] = count_log_errors(hass)

    @staticmethod
    def _burst_devices(bridge: BenchBridge, name: str) -> list[SimDevice]:
        if name == "locks3":
            return list(bridge.locks)
        return list(bridge.sim.devices)

    async def _mqtt_latency(
        self, hass: BenchHass, broker: BenchBroker, stack: contextlib.AsyncExitStack
    ) -> dict[str, Any]:
        s = self.settings
        await add_mqtt_entry(hass, broker)
        wifi = WifiLocks(broker.url, s.mqtt_locks)
        await wifi.start()
        stack.push_async_callback(wifi.stop)
        started = time.monotonic()
        await confirm_discoveries(hass, wifi.hex_ids, timeout=60)
        ready = await hass.wait_entities_ready(wifi.unique_ids, timeout=60)
        result = await measure.state_latency(
            hass, wifi.locks, s.samples, path=f"MQTT ({broker.kind})"
        )
        result["supported"] = True
        result["broker"] = broker.kind
        result["setup_s"] = ready - started
        if disable_nagle(wifi.clients) == len(wifi.clients):
            nodelay = await measure.state_latency(
                hass, wifi.locks, s.samples, path=f"MQTT ({broker.kind}), stand-in TCP_NODELAY"
            )
            result["stand_in_nodelay"] = {
                key: nodelay[key] for key in ("path", "samples", "missed", "arrival_ms", "fired_ms")
            }
        return result

    async def _scale(self, variant: str, session: aiohttp.ClientSession) -> None:
        s = self.settings
        out = self.results["variants"][variant]
        with_mqtt = variant == OURS and integration_supports_mqtt() and s.scale_wifi_locks > 0
        bridges = [BenchBridge(i, time_factor=s.time_factor) for i in range(1, s.scale_bridges + 1)]
        hass = self._hass(variant, "scale")
        async with contextlib.AsyncExitStack() as stack:
            for bridge in bridges:
                await bridge.start()
                stack.push_async_callback(bridge.stop)
            broker: BenchBroker | None = None
            if with_mqtt:
                broker = BenchBroker()
                await broker.start()
                stack.push_async_callback(broker.stop)
            stack.push_async_callback(self._stop_hass, hass)
            self._log("%s: scale, starting Home Assistant", variant)
            await hass.start(session)
            await asyncio.sleep(s.settle)
            result: dict[str, Any] = {"rss_before_mib": hass.rss_mib()}
            out["scale"] = result
            result.update(await measure.scale_setup(hass, bridges, s.settle))
            result["rss_after_bridges_mib"] = hass.rss_mib()
            self._log(
                "%s: scale, %d bridges set up in %.1f s", variant, len(bridges), result["setup_s"]
            )
            idle_rate = await measure.idle_cpu_rate(hass)
            result["bridge_updates"] = await measure.cpu_per_update(
                hass,
                [lock for b in bridges for lock in b.locks],
                s.scale_rounds,
                idle_rate,
                bridges,
            )
            if broker is not None:
                # After the bridges, so their figures do not include the MQTT entry.
                await add_mqtt_entry(hass, broker)
                result["wifi"] = await self._scale_wifi(hass, broker, stack)
            elif variant == OURS:
                result["wifi"] = {"note": "n/a (not yet supported)"}
            else:
                result["wifi"] = {"note": "n/a (no MQTT)"}
            result["rss_after_mib"] = hass.rss_mib()
            out["log_errors_scale"] = count_log_errors(hass)
            self._log(
                "%s: scale, %.2f ms CPU per update, RSS %.0f -> %.0f MiB",
                variant,
                result["bridge_updates"]["cpu_ms_per_update"],
                result["rss_before_mib"],
                result["rss_after_mib"],
            )

    async def _scale_wifi(
        self, hass: BenchHass, broker: BenchBroker, stack: contextlib.AsyncExitStack
    ) -> dict[str, Any]:
        s = self.settings
        await asyncio.sleep(s.settle)
        rss_before = hass.rss_mib()
        wifi = WifiLocks(broker.url, s.scale_wifi_locks, first=100)
        stack.push_async_callback(wifi.stop)
        started = time.monotonic()
        await wifi.start()
        connected = time.monotonic()
        confirmed = await confirm_discoveries(hass, wifi.hex_ids, timeout=300)
        ready = await hass.wait_entities_ready(wifi.unique_ids, timeout=300)
        result: dict[str, Any] = {
            "locks": len(wifi.locks),
            "broker": broker.kind,
            "connect_s": connected - started,
            "setup_s": ready - started,
            "confirmed": confirmed,
        }
        self._log("scale: %d Wi-Fi locks set up in %.1f s", len(wifi.locks), result["setup_s"])
        await asyncio.sleep(s.settle)
        result["rss_before_mib"] = rss_before
        result["rss_after_mib"] = hass.rss_mib()
        idle_rate = await measure.idle_cpu_rate(hass)
        result["updates"] = await measure.cpu_per_update(
            hass, wifi.locks, s.scale_rounds, idle_rate
        )
        return result

    def _timelines(self, bridges: dict[str, BenchBridge]) -> None:
        """Requests at the single bridge over time, for the chart."""
        for variant, bridge in bridges.items():
            self.results["variants"][variant]["requests_timeline"] = [
                [round(r.at - self.t0, 3), r.path, r.status] for r in bridge.requests
            ]

    def stop_leftovers(self) -> list[int]:
        """Last resort after a failure or Ctrl-C: kill what is still running, by pid."""
        killed = []
        for hass in self.started:
            process = hass.process.process
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
                killed.append(process.pid)
        return killed


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return str(value) if isinstance(value, Path) else value


def count_log_errors(hass: BenchHass) -> dict[str, int]:
    path = hass.process.log_path
    if not path.exists():
        return {}
    counts = {"ERROR": 0, "WARNING": 0}
    for line in path.read_text(errors="replace").splitlines():
        for level in counts:
            if f" {level} (" in line:
                counts[level] += 1
    return counts


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _brief(summary: dict[str, Any]) -> str:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    return f"n={summary['n']} p50={ms(summary['p50'])} ms p99={ms(summary['p99'])} ms"
