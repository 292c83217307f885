"""``python -m bench``: this integration and the built-in one, side by side.

Prints one table and writes ``results.json``, ``table.md`` and PNG charts to
``.artifacts/bench/``. ``--quick`` is for working on the benchmark itself: a
short idle window, fewer samples and bridges; its figures are not the report.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

# The benchmark's flows and timings are made for Home Assistant 2025.4.4 (.venv,
# with both integrations' requirements); NUKI_HASS_VENV names another venv.
os.environ.setdefault("NUKI_HASS_VENV", str(Path(__file__).resolve().parent.parent / ".venv"))

from nukilocal.sim import RADIO_MODES

from .hass import BUILTIN, OURS
from .report import write_all
from .run import DEFAULT_OUT, ROWS, Benchmark, Settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--only", choices=[OURS, BUILTIN], help="run one integration")
    parser.add_argument("--quick", action="store_true", help="short run for development")
    parser.add_argument("--samples", type=int, help="state changes for the latency figure")
    parser.add_argument("--idle", type=float, help="idle window in seconds (default 300)")
    parser.add_argument("--bridges", type=int, help="bridges in the scale case (default 25)")
    parser.add_argument(
        "--rounds",
        type=int,
        help="counted rounds of knob turns (one per lock) in the scale case (default 6)",
    )
    parser.add_argument(
        "--rows",
        type=_rows,
        help=f"comma-separated rows to run (default all): {','.join(ROWS)}",
    )
    parser.add_argument(
        "--radio",
        choices=RADIO_MODES,
        help="only this radio model for at-once and burst (default both)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def _rows(value: str) -> tuple[str, ...]:
    rows = tuple(r.strip() for r in value.split(",") if r.strip())
    if unknown := [r for r in rows if r not in ROWS]:
        raise argparse.ArgumentTypeError(f"unknown rows {unknown}; choose from {','.join(ROWS)}")
    return rows


def settings_from(args: argparse.Namespace) -> Settings:
    settings = Settings(out=args.out)
    if args.quick:
        settings.samples = 30
        settings.rings = 4
        settings.service_repeats = 2
        settings.idle_window = 40.0
        settings.scale_bridges = 5
        settings.ring_grace = 5.0
    if args.only:
        settings.variants = (args.only,)
    if args.samples:
        settings.samples = args.samples
    if args.idle:
        settings.idle_window = args.idle
    if args.bridges:
        settings.scale_bridges = args.bridges
    if args.rounds:
        settings.scale_rounds = args.rounds
    if args.rows:
        settings.rows = args.rows
    if args.radio:
        settings.radios = (args.radio,)
    return settings


async def _main(benchmark: Benchmark) -> str:
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    # SIGTERM like Ctrl-C: cancel, so every started process is stopped on the way out.
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    results = await benchmark.run()
    return write_all(results, benchmark.settings.out)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    if not args.verbose:
        # The stand-ins log every callback failure at debug; nothing else is wanted.
        logging.getLogger("nukilocal").setLevel(logging.WARNING)
    benchmark = Benchmark(settings_from(args))
    try:
        table = asyncio.run(_main(benchmark))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("benchmark interrupted", file=sys.stderr)
        return 130
    finally:
        if killed := benchmark.stop_leftovers():
            print(f"killed Home Assistant processes left running: {killed}", file=sys.stderr)
    print(table)
    print(f"results: {benchmark.settings.out}/results.json, charts: {benchmark.settings.out}/*.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
