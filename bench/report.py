"""One table with both integrations side by side, results.json and the charts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from .hass import BUILTIN, OURS

# Per-update and per-device figures may grow by this much from 4 to 100 devices
# and still count as linear: measurements on a shared machine are that noisy.
LINEAR_TOLERANCE = 1.5
STATE_P99_TARGET_MS = 5.0
RING_P99_TARGET_MS = 5.0
OVERHEAD_TARGET_MS = 20.0
IDLE_TARGET_PER_HOUR = 15.0
# All 4 devices locked at once (parallel radio): the slowest motor run plus this.
AT_ONCE_MARGIN_S = 1.5
# 20 commands over 3 locks with push working, about 0.6 s per command.
BURST_LOCKS3_TARGET_S = 12.0

type Row = tuple[str, str, str, str, str, str]


def _get(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ratio(ours: Any, builtin: Any) -> str:
    if not isinstance(ours, int | float) or not isinstance(builtin, int | float) or not builtin:
        return "-"
    return f"{ours / builtin:.2f}"


def _verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("met" if ok else "MISSED")


class Table:
    def __init__(self, results: dict[str, Any]) -> None:
        self.ours: dict[str, Any] = results["variants"].get(OURS, {})
        self.builtin: dict[str, Any] = results["variants"].get(BUILTIN, {})
        self.rows: list[Row] = []
        self.verdicts: dict[str, bool | None] = {}
        self.show = True

    def section(self, *paths: str) -> bool:
        """Rows from here on appear when either integration has one of ``paths``
        (``--rows`` may have left phases out)."""
        self.show = any(
            _get(data, path) is not None for data in (self.ours, self.builtin) for path in paths
        )
        return self.show

    def numeric(
        self,
        label: str,
        path: str,
        *,
        digits: int = 2,
        target: str = "",
        check: Callable[[Any, Any], bool | None] | None = None,
        key: str | None = None,
    ) -> None:
        if not self.show:
            return
        ours, builtin = _get(self.ours, path), _get(self.builtin, path)
        ok = check(ours, builtin) if check is not None and ours is not None else None
        if key is not None:
            self.verdicts[key] = ok
        self.rows.append(
            (
                label,
                _num(ours, digits),
                _num(builtin, digits),
                _ratio(ours, builtin),
                target,
                _verdict(ok) if check is not None else "",
            )
        )

    def text(
        self, label: str, ours: str, builtin: str, target: str = "", ok: bool | None = None
    ) -> None:
        if self.show:
            self.rows.append((label, ours, builtin, "-", target, _verdict(ok) if target else ""))


def build_rows(results: dict[str, Any]) -> tuple[list[Row], dict[str, bool | None]]:
    t = Table(results)
    o, b = t.ours, t.builtin

    def p99_ok(ours: Any, builtin: Any) -> bool:
        return bool(ours < STATE_P99_TARGET_MS and (builtin is None or ours <= builtin))

    t.section("state_latency")
    t.numeric("State change -> HA state, callback, p50 (ms)", "state_latency.arrival_ms.p50")
    t.numeric(
        "State change -> HA state, callback, p99 (ms)",
        "state_latency.arrival_ms.p99",
        target="< 5 and <= built-in",
        check=p99_ok,
        key="state_p99",
    )
    t.numeric("  same, to time_fired (no WebSocket leg), p50 (ms)", "state_latency.fired_ms.p50")
    t.numeric("  same, to time_fired (no WebSocket leg), p99 (ms)", "state_latency.fired_ms.p99")
    t.numeric("  changes not seen within 5 s", "state_latency.missed", digits=0)
    t.section("mqtt_latency")
    if _get(o, "mqtt_latency.supported"):
        broker = _get(o, "mqtt_latency.broker")
        t.numeric(
            f"State change -> HA state, MQTT ({broker}), p50 (ms)", "mqtt_latency.arrival_ms.p50"
        )
        t.numeric(
            f"State change -> HA state, MQTT ({broker}), p99 (ms)",
            "mqtt_latency.arrival_ms.p99",
            target="< 5 and <= built-in callback",
            check=lambda ours, _b: bool(
                ours < STATE_P99_TARGET_MS
                and (
                    _get(b, "state_latency.arrival_ms.p99") is None
                    or ours <= _get(b, "state_latency.arrival_ms.p99")
                )
            ),
            key="mqtt_p99",
        )
        t.numeric(
            "  same, stand-in socket with TCP_NODELAY, p50 (ms)",
            "mqtt_latency.stand_in_nodelay.arrival_ms.p50",
        )
        t.numeric(
            "  same, stand-in socket with TCP_NODELAY, p99 (ms)",
            "mqtt_latency.stand_in_nodelay.arrival_ms.p99",
        )
    else:
        t.text(
            "State change -> HA state, MQTT, p99 (ms)",
            str(_get(o, "mqtt_latency.note") or "-"),
            "n/a (no MQTT)",
            "< 5",
            None,
        )

    def rings_text(data: dict[str, Any]) -> str:
        rings = data.get("rings")
        if not rings:
            return "-"
        share = 100 * rings["delivered"] / rings["rings"] if rings["rings"] else 0
        return f"{rings['delivered']}/{rings['rings']} ({share:.0f} %)"

    t.section("rings")
    ours_rings = o.get("rings") or {}
    rings_ok = (
        ours_rings["delivered"] == ours_rings["rings"] and not ours_rings.get("duplicates")
        if ours_rings
        else None
    )
    if t.show:
        t.verdicts["rings_delivered"] = rings_ok
    t.text("Rings delivered as nuki_event", rings_text(o), rings_text(b), "100 %, once", rings_ok)
    t.numeric("  ring -> nuki_event, p50 (ms)", "rings.latency_ms.p50")
    t.numeric(
        "  ring -> nuki_event, p99 (ms)",
        "rings.latency_ms.p99",
        target="< 5",
        check=lambda ours, _b: bool(ours < RING_P99_TARGET_MS),
        key="ring_p99",
    )
    t.section("service_call")
    motor = _get(o, "service_call.nominal_motor_ms") or _get(b, "service_call.nominal_motor_ms")
    t.text(
        "Service call -> transitional state, median (ms)",
        _moving(o),
        _moving(b),
    )
    t.numeric(
        f"Service call -> final state, median (ms; motor {_num(motor, 0)} ms)",
        "service_call.to_final_ms.p50",
    )
    t.numeric("  motor time measured at the stand-in, median (ms)", "service_call.motor_ms.p50")
    t.numeric(
        "  overhead over the motor time, median (ms)",
        "service_call.overhead_ms.p50",
        target="< 20",
        check=lambda ours, _b: bool(ours < OVERHEAD_TARGET_MS),
        key="service_overhead",
    )
    t.numeric("  overhead over the motor time, max (ms)", "service_call.overhead_ms.max")
    t.numeric("  service call errors", "service_call.errors", digits=0)
    t.section("idle_requests")
    window = _get(o, "idle_requests.window_s") or _get(b, "idle_requests.window_s")
    t.numeric(
        f"Bridge requests per idle hour, 4 devices ({_num(window, 0)} s window)",
        "idle_requests.per_hour",
        digits=1,
        target="<= 15",
        check=lambda ours, _b: bool(ours <= IDLE_TARGET_PER_HOUR),
        key="idle_requests",
    )
    t.text(
        "  by endpoint (count in window)",
        _endpoints(o),
        _endpoints(b),
    )
    t.text(
        "  hourly callback check (/callback/list, /info) in the window",
        _hourly(o),
        _hourly(b),
    )
    at_once_rows(t)
    burst_rows(t)
    t.section("single_setup")
    t.numeric("Set-up, 1 bridge x 4 devices (s)", "single_setup.setup_s")
    t.numeric("  entities created for 4 devices", "single_setup.entities", digits=0)

    t.section("scale")

    def setup_linear(ours: Any, _b: Any) -> bool:
        single = _get(o, "single_setup.setup_s")
        bridges = _get(o, "scale.bridges") or 1
        return single is None or ours <= single * bridges * LINEAR_TOLERANCE

    n_bridges = _get(o, "scale.bridges") or _get(b, "scale.bridges") or 25
    t.numeric(
        f"Set-up, {n_bridges} bridges x 4 devices (s)",
        "scale.setup_s",
        target="reported, linear",
        check=setup_linear,
        key="scale_setup",
    )
    if t.section("state_latency", "scale"):
        t.numeric(
            "CPU per state update, 4 devices, net (ms)", "state_latency.cpu_ms_per_update_net"
        )
    t.section("scale")

    def cpu_linear(ours: Any, _b: Any) -> bool:
        single = _get(o, "state_latency.cpu_ms_per_update_net")
        return single is None or ours <= max(single, 0.05) * LINEAR_TOLERANCE

    t.numeric(
        f"CPU per state update, {n_bridges * 4} devices, net (ms)",
        "scale.bridge_updates.cpu_ms_per_update_net",
        target="reported, linear",
        check=cpu_linear,
        key="scale_cpu",
    )
    t.numeric(f"  gross, {n_bridges * 4} devices (ms)", "scale.bridge_updates.cpu_ms_per_update")
    t.numeric("  net, median round (ms)", "scale.bridge_updates.cpu_ms_per_update_net_median_round")
    t.numeric("RSS before the first entry (MiB)", "scale.rss_before_mib", digits=0)
    t.numeric(
        f"RSS with {n_bridges} bridges (MiB)",
        "scale.rss_after_bridges_mib",
        digits=0,
        target="reported",
        check=lambda ours, _b: True,
    )
    if t.section("single_setup", "scale"):
        t.numeric("RSS increase, 1 bridge (MiB)", "single_setup.rss_increase_mib", digits=1)
    t.section("scale")
    t.numeric(f"RSS increase, {n_bridges} bridges (MiB)", "scale.rss_increase_mib", digits=1)
    if _get(o, "scale.wifi.locks"):
        n_wifi = _get(o, "scale.wifi.locks")
        t.numeric(
            f"Set-up, {n_wifi} Wi-Fi locks over MQTT (s)",
            "scale.wifi.setup_s",
            target="reported",
            check=lambda ours, _b: True,
        )
        t.numeric(
            f"CPU per MQTT state update, {n_wifi} Wi-Fi locks, net (ms)",
            "scale.wifi.updates.cpu_ms_per_update_net",
            target="reported",
            check=lambda ours, _b: True,
        )
        t.numeric(
            "  net, median round (ms)", "scale.wifi.updates.cpu_ms_per_update_net_median_round"
        )
        t.numeric(
            f"RSS with {n_bridges} bridges + {n_wifi} Wi-Fi locks (MiB)",
            "scale.wifi.rss_after_mib",
            digits=0,
        )
    else:
        t.text(
            "100 Wi-Fi locks over MQTT (scale)",
            str(_get(o, "scale.wifi.note") or "-"),
            "n/a (no MQTT)",
        )
    return t.rows, t.verdicts


RADIO_LABEL = {"parallel": "parallel radio", "exclusive": "exclusive radio"}
BURST_LABEL = {"locks3": "3 locks", "devices4": "4 devices"}


def _within(motor: Any, margin: float) -> Callable[[Any, Any], bool]:
    return lambda ours, _b: bool(motor is not None and ours <= motor + margin)


def _at_most(limit: int) -> Callable[[Any, Any], bool]:
    return lambda ours, _b: bool(ours <= limit)


def _not_slower_than_complete(builtin_failed: Any) -> Callable[[Any, Any], bool | None]:
    """No slower than the built-in, judged only when it carried out every command."""

    def check(ours: Any, builtin: Any) -> bool | None:
        if builtin is None:
            return True
        if builtin_failed != 0:
            return None
        return bool(ours <= builtin)

    return check


def at_once_rows(t: Table) -> None:
    """Lock 4 devices at once: per radio model, parallel first (the target's)."""
    for radio in ("parallel", "exclusive"):
        base = f"at_once.{radio}"
        if not t.section(base):
            continue
        motor = _get(t.ours, f"{base}.slowest_motor_s")
        label = (
            f"Lock 4 devices at once, {RADIO_LABEL[radio]}: until all locked, "
            "slower of 2 call orders (s)"
        )
        if radio == "parallel":
            t.numeric(
                label,
                f"{base}.all_locked_s",
                target=f"<= slowest motor + {AT_ONCE_MARGIN_S}",
                check=_within(motor, AT_ONCE_MARGIN_S),
                key=f"at_once_{radio}",
            )
        else:
            t.numeric(label, f"{base}.all_locked_s")
        t.numeric("  smart locks called first (s)", f"{base}.orders.locks_first.all_locked_s")
        t.numeric("  opener called first (s)", f"{base}.orders.opener_first.all_locked_s")
        t.numeric("  slowest motor run at the stand-in (s)", f"{base}.slowest_motor_s")
        t.numeric("  devices shown locked (of 4, fewer of 2 runs)", f"{base}.locked", digits=0)
        t.numeric("  service call errors", f"{base}.call_errors", digits=0)


# The burst rows with a hard limit: label, result field, at most, key suffix.
BURST_MUST_ROWS: Final = (
    ("  failed calls", "call_errors", 0, "failed"),
    ("  commands not carried out", "not_carried_out", 0, "not_carried_out"),
    ("  commands executed twice", "executed_twice", 0, "twice"),
    ("  highest requests in flight", "max_in_flight", 1, "in_flight"),
    ("  requests < 0.5 s after the previous answer", "too_soon", 0, "too_soon"),
)


def burst_rows(t: Table) -> None:
    """The burst of 20 commands: per device set, per radio model."""
    for devices in ("locks3", "devices4"):
        for radio in ("parallel", "exclusive"):
            base = f"burst.{devices}.{radio}"
            if not t.section(base):
                continue
            n = _get(t.ours, f"{base}.commands") or _get(t.builtin, f"{base}.commands") or 20
            key = f"burst_{devices}_{radio}"
            label = (
                f"Burst of {n} commands, {BURST_LABEL[devices]}, {RADIO_LABEL[radio]}: "
                "until all calls returned (s)"
            )
            if devices == "locks3" and radio == "parallel":
                t.numeric(
                    label,
                    f"{base}.calls_returned_s",
                    digits=1,
                    target=f"<= {BURST_LOCKS3_TARGET_S:.0f}",
                    check=lambda ours, _b: bool(ours <= BURST_LOCKS3_TARGET_S),
                    key=f"{key}_time",
                )
            else:
                t.numeric(label, f"{base}.calls_returned_s", digits=1)
            for row, field, most, suffix in BURST_MUST_ROWS:
                t.numeric(
                    row,
                    f"{base}.{field}",
                    digits=0,
                    target=str(most),
                    check=_at_most(most),
                    key=f"{key}_{suffix}",
                )
            t.numeric("  503 answers at the bridge", f"{base}.unavailable_503", digits=0)
            # The built-in's calls return when the bridge accepted a command, ours when
            # the device reported its result: the like-for-like comparison is the time
            # until the devices are done, and only against a built-in that did all of it.
            t.numeric(
                "  until all devices stopped (s)",
                f"{base}.duration_s",
                digits=1,
                target="<= built-in, if it did all",
                check=_not_slower_than_complete(_get(t.builtin, f"{base}.failed")),
                key=f"{key}_vs_builtin",
            )


def _hourly(data: dict[str, Any]) -> str:
    seen = _get(data, "idle_requests.hourly_check_in_window")
    if seen is None:
        return "-"
    return "yes" if seen else "no"


def _moving(data: dict[str, Any]) -> str:
    service = data.get("service_call")
    if not service:
        return "-"
    if not service["to_moving_ms"]["n"]:
        return "none shown"
    return _num(service["to_moving_ms"]["p50"])


def _endpoints(data: dict[str, Any]) -> str:
    counts = _get(data, "idle_requests.by_endpoint")
    if counts is None:
        return "-"
    if not counts:
        return "none"
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def derive(results: dict[str, Any]) -> None:
    """Figures computed from others, kept in the JSON too."""
    for data in results["variants"].values():
        single = data.get("single_setup")
        if single:
            single["rss_increase_mib"] = single["rss_after_mib"] - single["rss_before_mib"]
        scale = data.get("scale")
        if scale:
            scale["rss_increase_mib"] = scale["rss_after_bridges_mib"] - scale["rss_before_mib"]


def render_table(rows: list[Row]) -> str:
    header: Row = ("figure", "this integration", "built-in", "ratio", "target", "")
    all_rows = [header, *rows]
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(header))]
    lines = []
    for index, row in enumerate(all_rows):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def write_all(results: dict[str, Any], out: Path) -> str:
    derive(results)
    rows, verdicts = build_rows(results)
    results["verdicts"] = verdicts
    env = results["environment"]
    heading = (
        f"Nuki benchmark, {env['date']}: Home Assistant {env['homeassistant']}, "
        f"pynuki {env['pynuki']} (built-in), {env['cpus']} CPUs, "
        f"load average {env['load_average_start'][0]:.2f} at start, "
        f"{env.get('load_average_end', [0])[0]:.2f} at end, "
        f"{env.get('duration_s', 0) / 60:.1f} min. Ratio = this integration / built-in."
    )
    table = heading + "\n\n" + render_table(rows) + "\n"
    results["table"] = table
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (out / "table.md").write_text(table)
    charts(results, out)
    return table


def charts(results: dict[str, Any], out: Path) -> None:
    import matplotlib

    # Files only: no display on a build machine.
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variants = results["variants"]
    colors = {OURS: "tab:blue", BUILTIN: "tab:orange"}

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for variant, data in variants.items():
        label = data["label"]
        values = sorted(_get(data, "state_latency.raw_arrival_ms") or [])
        if values:
            axes[0].step(
                values,
                [(i + 1) / len(values) for i in range(len(values))],
                where="post",
                label=label,
                color=colors.get(variant),
            )
        rings = sorted(_get(data, "rings.raw_latency_ms") or [])
        if rings:
            axes[1].step(
                rings,
                [(i + 1) / len(rings) for i in range(len(rings))],
                where="post",
                label=f"{label} ({len(rings)} delivered)",
                color=colors.get(variant),
            )
        elif data.get("rings"):
            axes[1].plot([], [], label=f"{label} (0 delivered)", color=colors.get(variant))
    axes[0].set_title("Device state change -> Home Assistant state (callback)")
    axes[1].set_title("Doorbell ring -> nuki_event")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("latency (ms, log scale)")
        ax.set_ylabel("share of samples (ECDF)")
        ax.axvline(5.0, color="grey", linestyle=":", label="5 ms target")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(12, 4.5))
    for variant, data in variants.items():
        timeline = data.get("requests_timeline") or []
        if not timeline:
            continue
        # Each integration ran at its own time: align both on their first request.
        offset = timeline[0][0]
        times = [t - offset for t, _path, _status in timeline]
        ax.step(
            times,
            range(1, len(times) + 1),
            where="post",
            label=f"{data['label']} ({len(times)} requests)",
            color=colors.get(variant),
        )
        idle = data.get("idle_requests")
        if idle:
            start = idle["window_start_s"] - offset
            ax.axvspan(start, start + idle["window_s"], color=colors.get(variant), alpha=0.08)
    ax.set_title("Requests at the single bridge (4 devices); shaded: idle windows")
    ax.set_xlabel("time since the integration's first request to this bridge (s)")
    ax.set_ylabel("requests, cumulative")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(out / "requests.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    names, legs = [], []
    for data in variants.values():
        service = data.get("service_call")
        if not service:
            continue
        names.append(data["label"])
        legs.append(
            (
                _get(service, "command_leg_ms.p50") or 0.0,
                _get(service, "report_leg_ms.p50") or 0.0,
            )
        )
    if names:
        # The motor's 1.5 s would hide both legs: only the time outside it is drawn.
        bottoms = [0.0] * len(names)
        for index, part in enumerate(("call sent -> motor starts", "motor stops -> HA state")):
            heights = [leg[index] for leg in legs]
            axes[0].bar(names, heights, bottom=bottoms, label=part)
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        axes[0].axhline(OVERHEAD_TARGET_MS, color="grey", linestyle=":", label="20 ms target")
    motor = next(
        (_get(d, "service_call.motor_ms.p50") for d in variants.values() if d.get("service_call")),
        None,
    )
    axes[0].set_title(
        f"Service call -> final state, beyond the motor ({_num(motor, 0)} ms), medians"
    )
    axes[0].set_ylabel("ms")
    if names:
        axes[0].legend()
    for variant, data in variants.items():
        for radio, style in (("parallel", "-"), ("exclusive", "--")):
            burst = _get(data, f"burst.locks3.{radio}")
            if not burst:
                continue
            call_times = burst["call_times_s"]
            axes[1].plot(
                sorted(call_times),
                range(1, len(call_times) + 1),
                marker="o",
                linestyle=style,
                label=f"{data['label']}, {radio} radio ({burst['call_errors']} failed)",
                color=colors.get(variant),
            )
    axes[1].axvline(BURST_LOCKS3_TARGET_S, color="grey", linestyle=":", label="12 s target")
    axes[1].set_title("Burst of 20 commands over 3 locks: service calls returned")
    axes[1].set_xlabel("s since the burst started")
    axes[1].set_ylabel("calls returned")
    axes[1].grid(True, alpha=0.3)
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(out / "service_burst.png", dpi=110)
    plt.close(fig)
