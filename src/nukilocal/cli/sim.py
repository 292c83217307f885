"""``nuki sim`` runs the stand-ins; ``nuki ctl`` acts on their physical world."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ..const import TOKEN_MAX_LENGTH, TOKEN_MIN_LENGTH, BridgeType, DeviceType
from ..exceptions import NukiError
from ..models import hex_id
from ..sim import BridgeSimulator, SimSmartLock, load_config
from ..sim.broker import EmbeddedBroker
from ..sim.config import DEFAULT_TOKEN, BridgeConfig
from ..sim.control import SimControlClient
from ..sim.radio import RADIO_MODES
from ..sim.wifilock import WifiLockSimulator

console = Console(highlight=False)

type SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

EMBEDDED = "embedded"
# Locks that have Wi-Fi and speak MQTT themselves.
WIFI_TYPES = (DeviceType.SMARTLOCK_3, DeviceType.SMARTLOCK_ULTRA)


def register(subparsers: SubParsers) -> None:
    _register_sim(subparsers)
    _register_ctl(subparsers)


def _register_sim(subparsers: SubParsers) -> None:
    sim = subparsers.add_parser(
        "sim",
        help="run a Nuki Bridge stand-in (and Wi-Fi locks on MQTT) until interrupted",
        description="A Nuki Bridge stand-in that answers like the hardware: token modes, "
        "one request at a time, callbacks, motor timings, faults.",
    )
    sim.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    sim.add_argument("--port", type=int, help="port to listen on (default 8080; 0 = any free)")
    sim.add_argument("--token", default=os.environ.get("NUKI_TOKEN"), help="API token")
    sim.add_argument("--config", type=Path, help="JSON file describing the bridge and devices")
    sim.add_argument(
        "--time-factor",
        type=float,
        help="scale every device duration (0.1 = ten times faster; default 1)",
    )
    sim.add_argument("--software", action="store_true", help="behave as a software bridge")
    sim.add_argument(
        "--radio",
        choices=RADIO_MODES,
        help="exclusive (default): while a device's action runs, other action requests get "
        "503; parallel: actions of different devices run at the same time",
    )
    sim.add_argument(
        "--mqtt",
        nargs="?",
        const=EMBEDDED,
        metavar="mqtt://[user:pass@]host:port",
        help="also connect the Wi-Fi locks (Smart Lock 3.0 Pro and later) to this broker; "
        "without a URL an embedded broker is started",
    )
    sim.add_argument(
        "--mqtt-port", type=int, default=1883, help="port of the embedded broker (default 1883)"
    )
    sim.set_defaults(func=_run_sim)


def _register_ctl(subparsers: SubParsers) -> None:
    ctl = subparsers.add_parser("ctl", help="act on a running stand-in's physical world and faults")
    ctl.add_argument(
        "--url",
        default=os.environ.get("NUKI_SIM_URL", "http://127.0.0.1:8080"),
        help="the stand-in's address (or NUKI_SIM_URL)",
    )
    ctl.add_argument("--token", default=os.environ.get("NUKI_TOKEN", DEFAULT_TOKEN))
    actions = ctl.add_subparsers(dest="ctl_command", metavar="ACTION", required=True)
    actions.add_parser("devices", help="every device with its full state")
    for name, help_text in (
        ("ring", "ring the doorbell at an opener"),
        ("jam", "make the next motor run of a lock end in motor blocked"),
    ):
        parser = actions.add_parser(name, help=help_text)
        parser.add_argument("device", type=int, help="nukiId")
    knob = actions.add_parser("knob", help="turn a lock's knob by hand")
    knob.add_argument("device", type=int)
    knob.add_argument("direction", choices=["lock", "unlock"])
    door = actions.add_parser("door", help="open or close the door at a door sensor")
    door.add_argument("device", type=int)
    door.add_argument("position", choices=["open", "closed"])
    battery = actions.add_parser("battery", help="set the battery level")
    battery.add_argument("device", type=int)
    battery.add_argument("level", type=int)
    offline = actions.add_parser("offline", help="take a device out of Bluetooth reach, or back")
    offline.add_argument("device", type=int)
    offline.add_argument("switch", choices=["on", "off"])
    identity = actions.add_parser(
        "identity", help="rename a device (as in the Nuki app) or give it new firmware"
    )
    identity.add_argument("device", type=int)
    identity.add_argument("--name")
    identity.add_argument("--firmware")
    actions.add_parser("button", help="press the bridge's button (for /auth)")
    reboot = actions.add_parser("reboot", help="reboot the bridge")
    reboot.add_argument("--forget-callbacks", action="store_true")
    _register_faults(actions.add_parser("faults", help="inject faults into the next requests"))
    actions.add_parser("stats", help="requests per endpoint, highest in flight, 503s sent")
    radio = actions.add_parser(
        "radio", help="show or switch the radio model (exclusive or parallel actions)"
    )
    radio.add_argument("mode", nargs="?", choices=RADIO_MODES)
    ctl.set_defaults(func=_run_ctl)


def _register_faults(faults: argparse.ArgumentParser) -> None:
    faults.add_argument("--force503", type=int)
    faults.add_argument("--latency", type=float)
    faults.add_argument("--hang", type=float)
    faults.add_argument("--reset", type=int)
    faults.add_argument("--malformed", type=int)
    faults.add_argument("--truncated", type=int)
    faults.add_argument(
        "--burst-window",
        type=float,
        metavar="SECONDS",
        help="fragile bridge: a request this soon after the previous answer makes it hang "
        "(0 = off)",
    )
    faults.add_argument(
        "--burst-hang", type=float, metavar="SECONDS", help="how long a burst makes it hang"
    )
    faults.add_argument(
        "--failed-callback-blocks",
        action=argparse.BooleanOptionalAction,
        help="a callback that fails keeps the state change from the callbacks after it",
    )
    faults.add_argument("--clear", action="store_true")


def _bridge_config(args: argparse.Namespace) -> BridgeConfig:
    config = load_config(args.config) if args.config else BridgeConfig()
    if args.host is not None:
        config.host = args.host
    if args.port is not None:
        config.port = args.port
    if args.token is not None:
        config.token = args.token
    if args.time_factor is not None:
        config.time_factor = args.time_factor
    if args.software:
        config.bridge_type = BridgeType.SOFTWARE
    if args.radio is not None:
        config.radio = args.radio
    if not TOKEN_MIN_LENGTH <= len(config.token) <= TOKEN_MAX_LENGTH:
        raise NukiError(
            f"the token must be {TOKEN_MIN_LENGTH} to {TOKEN_MAX_LENGTH} characters long"
        )
    return config


def _devices_table(sim: BridgeSimulator, wifi: dict[int, str]) -> Table:
    table = Table(title="Devices")
    for column in ("name", "nukiId", "hex", "type", "state", "MQTT"):
        table.add_column(column)
    for device in sim.devices:
        table.add_row(
            device.name,
            str(device.nuki_id),
            hex_id(device.nuki_id),
            f"{int(device.device_type)} {device.device_type.model}",
            device.state_name,
            wifi.get(device.nuki_id, "-"),
        )
    return table


async def _run_sim(args: argparse.Namespace) -> int:
    config = _bridge_config(args)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        sim = BridgeSimulator(
            config.token,
            host=config.host,
            port=config.port,
            devices=config.devices,
            time_factor=config.time_factor,
            bridge_type=config.bridge_type,
            hardware_id=config.hardware_id,
            server_id=config.server_id,
            radio=config.radio,
        )
        await sim.start()
        stack.push_async_callback(sim.stop)
        wifi: dict[int, str] = {}
        if args.mqtt:
            broker_url = args.mqtt
            if broker_url == EMBEDDED:
                broker = EmbeddedBroker("127.0.0.1", args.mqtt_port)
                await broker.start()
                stack.push_async_callback(broker.stop)
                broker_url = broker.url
                console.print(f"Embedded MQTT broker on {broker.url}")
            for device in sim.devices:
                if isinstance(device, SimSmartLock) and device.device_type in WIFI_TYPES:
                    # The same lock object: paired with the bridge and on MQTT at once.
                    lock = WifiLockSimulator(device, broker_url)
                    await lock.start()
                    stack.push_async_callback(lock.stop)
                    wifi[device.nuki_id] = f"nuki/{hex_id(device.nuki_id)}"
        console.print(
            f"Nuki Bridge stand-in ({config.bridge_type.name.lower()}, id "
            f"{hex_id(config.hardware_id)}, radio {sim.radio}) listening on {sim.base_url}"
        )
        console.print(_devices_table(sim, wifi))
        console.print(
            f"Physical world: nuki ctl --url {sim.base_url} ring|knob|door|jam|... "
            "(token as for the API). Ctrl-C to stop."
        )
        await stop.wait()
    console.print("Stopped.")
    return 0


async def _run_ctl(args: argparse.Namespace) -> int:
    async with SimControlClient(args.url, args.token) as ctl:
        command = args.ctl_command
        result: Any = None
        if command == "devices":
            result = await ctl.devices()
        elif command == "ring":
            result = {"rang": await ctl.ring(args.device)}
        elif command == "jam":
            await ctl.jam(args.device)
        elif command == "knob":
            await ctl.turn_knob(args.device, lock=args.direction == "lock")
        elif command == "door":
            await ctl.set_door(args.device, is_open=args.position == "open")
        elif command == "battery":
            await ctl.set_battery(args.device, level=args.level)
        elif command == "offline":
            await ctl.set_online(args.device, online=args.switch == "off")
        elif command == "identity":
            await ctl.set_identity(args.device, name=args.name, firmware=args.firmware)
        elif command == "button":
            result = {"pressed": await ctl.press_button()}
        elif command == "reboot":
            await ctl.reboot(forget_callbacks=args.forget_callbacks)
        elif command == "faults":
            if args.clear:
                result = await ctl.clear_faults()
            else:
                result = await ctl.set_faults(
                    force503=args.force503,
                    latency=args.latency,
                    hang=args.hang,
                    reset=args.reset,
                    malformed=args.malformed,
                    truncated=args.truncated,
                    burst_window=args.burst_window,
                    burst_hang=args.burst_hang,
                    failed_callback_blocks=args.failed_callback_blocks,
                )
        elif command == "stats":
            result = await ctl.stats()
        elif command == "radio":
            if args.mode is not None:
                await ctl.set_radio(args.mode)
            result = await ctl.radio()
    console.print_json(json.dumps(result) if result is not None else '{"ok": true}')
    return 0
