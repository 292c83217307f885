"""``make demo``: the Nuki integration in a real Home Assistant, against device stand-ins.

Starts the bridge stand-in (two smart locks of different generations, one with
door sensor and keypad, and an opener), an embedded MQTT broker with the Front
door also on it as a Wi-Fi lock, and Home Assistant in ``.demo/config`` with
this repository's integration linked in. The first run onboards Home Assistant
and adds MQTT and the Nuki bridge through their config flows; later runs reuse
all of it. Prints where to log in and how to act on the devices, then runs
until Ctrl-C, which stops every process it started.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import shutil
import signal
import sys
import time
from pathlib import Path

import aiohttp

# First on the path: this script's own directory would otherwise make
# ``import demo`` find this file instead of the repository's demo package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo.hass import PASSWORD, USERNAME, HassClient, HassError
from demo.stack import (
    BACK_DOOR,
    DEVICE_NAMES,
    DOMAIN,
    FRONT_DOOR,
    OPENER,
    DemoStack,
    integration_supports_mqtt,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = REPO_ROOT / ".demo"


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


async def entity_table(client: HassClient) -> list[tuple[str, str, str]]:
    """(entity id, name, state) of every entity of this integration."""
    async with client.websocket() as ws:
        registry = await ws.call("config/entity_registry/list")
        states = {s["entity_id"]: s for s in await ws.call("get_states")}
    rows = []
    for entry in registry:
        if entry.get("platform") != DOMAIN or entry.get("disabled_by"):
            continue
        state = states.get(entry["entity_id"], {})
        name = state.get("attributes", {}).get("friendly_name", entry["entity_id"])
        rows.append((entry["entity_id"], name, state.get("state", "-")))
    return sorted(rows)


def print_summary(stack: DemoStack, rows: list[tuple[str, str, str]], seconds: float) -> None:
    ctl = f".venv/bin/nuki ctl --url {stack.bridge_url}"
    done = stack.report.created + stack.report.reconfigured
    print()
    print(f"Nuki demo ready in {seconds:.1f} s" + (f" ({'; '.join(done)})" if done else ""))
    print()
    print(f"  Open        {stack.hass_url}")
    print(f"  Log in as   {USERNAME} / {PASSWORD}")
    print(f"  Bridge      {stack.bridge_url} (token {stack.token}), the stand-in HA talks to")
    print(f"  MQTT        {stack.broker_url}; the Front door is also a Wi-Fi lock there")
    print("              (the embedded broker speaks MQTT 3.1.1: pick that protocol, not the")
    print("               default MQTT 5, if you add it to another MQTT client or entry)")
    if not integration_supports_mqtt():
        print("              (Home Assistant shows it through the lock's own MQTT discovery;")
        print("               this integration does not take MQTT locks yet)")
    print()
    width = max((len(r[0]) for r in rows), default=10)
    print("  Entities of the Nuki integration:")
    for entity_id, name, state in rows:
        print(f"    {entity_id:<{width}}  {state:<12} {name}")
    print()
    print("  Act on the physical world (another terminal, from the repository):")
    print(f"    {ctl} ring {OPENER}            # doorbell at the {DEVICE_NAMES[OPENER]}")
    print(f"    {ctl} knob {BACK_DOOR} lock       # turn the {DEVICE_NAMES[BACK_DOOR]}'s knob")
    print(f"    {ctl} door {FRONT_DOOR} open      # open the {DEVICE_NAMES[FRONT_DOOR]} (sensor)")
    print(f"    {ctl} jam {FRONT_DOOR}            # its next motor run blocks")
    print(f"    {ctl} battery {BACK_DOOR} 15")
    print(f"    {ctl} offline {FRONT_DOOR} on     # out of Bluetooth reach ('off': back)")
    print(f"    {ctl} faults --force503 3       # the bridge answers busy three times")
    print(f"    {ctl} stats                     # requests Home Assistant sent")
    print(
        f"    curl '{stack.bridge_url}/demo/keypad?nukiId={FRONT_DOOR}&codeId=4711"
        f"&token={stack.token}'   # keypad unlock (MQTT lockActionEvent)"
    )
    print(f"    .venv/bin/nuki mqtt watch --broker {stack.broker_url}")
    print(f"    NUKI_PORT={stack.ports.bridge} NUKI_TOKEN={stack.token} .venv/bin/nuki bridge list")
    print()
    print(f"  Logs: {rel(stack.config_dir / 'home-assistant.log')}, ", end="")
    print(f"{rel(stack.state_dir / 'standins.log')}")
    print("  Ctrl-C stops everything.")
    sys.stdout.flush()


async def main(args: argparse.Namespace) -> int:
    if args.fresh and args.state_dir.exists():
        shutil.rmtree(args.state_dir)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stack = DemoStack(args.state_dir, time_factor=args.time_factor)
    first = not (args.state_dir / "config" / ".storage" / "onboarding").exists()
    print(
        "Starting the stand-ins and Home Assistant"
        + (" (first run: onboarding and config flows)" if first else "")
        + " ..."
    )
    started = time.monotonic()
    status = 0
    try:
        async with aiohttp.ClientSession() as session:
            starting = asyncio.create_task(stack.start(session))
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not starting.done():
                starting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await starting
                return 130
            stopping.cancel()
            client = starting.result()
            print_summary(stack, await entity_table(client), time.monotonic() - started)
            await stop.wait()
    except HassError as err:
        print(f"error: {err}", file=sys.stderr)
        status = 1
    finally:
        print("\nStopping Home Assistant, then the stand-ins ...")
        left = await loop.run_in_executor(None, stack.stop)
        if left:
            print(f"warning: processes still running: {left}", file=sys.stderr)
            status = status or 1
        else:
            print("Stopped; no process left behind.")
    return status


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", type=Path, default=STATE_DIR, help="default .demo")
    parser.add_argument(
        "--time-factor", type=float, default=1.0, help="device speed (0.1 = ten times faster)"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="delete the state dir first (new onboarding)"
    )
    return parser.parse_args()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(asyncio.run(main(parse_args())))
