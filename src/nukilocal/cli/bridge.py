"""``nuki bridge ...``, ``nuki watch`` and ``nuki discover``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import signal
import socket
from collections.abc import AsyncIterator
from datetime import datetime

import aiohttp
from aiohttp import web
from rich.console import Console
from rich.table import Table

from ..client import BridgeClient
from ..const import DEFAULT_PORT, DeviceType, LockAction, OpenerAction, TokenMode
from ..discovery import DISCOVERY_URL, discover_bridges
from ..exceptions import NukiError, NukiInvalidResponseError, NukiUnknownDeviceError
from ..models import CallbackUpdate, Device, DeviceState

console = Console(highlight=False)

type SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def _connection_options(parser: argparse.ArgumentParser) -> None:
    env = os.environ
    group = parser.add_argument_group("bridge connection (or NUKI_HOST, NUKI_PORT, ...)")
    group.add_argument("--host", default=env.get("NUKI_HOST", "127.0.0.1"))
    group.add_argument("--port", type=int, default=int(env.get("NUKI_PORT", DEFAULT_PORT)))
    group.add_argument(
        "--token",
        default=env.get("NUKI_TOKEN"),
        help="the bridge's API token (better: NUKI_TOKEN, which stays out of the process list)",
    )
    group.add_argument(
        "--token-mode",
        choices=[m.value for m in TokenMode],
        default=env.get("NUKI_TOKEN_MODE", TokenMode.ENCRYPTED.value),
        help="how the token is sent (default: encrypted)",
    )


def register(subparsers: SubParsers) -> None:
    bridge = subparsers.add_parser("bridge", help="talk to a Nuki Bridge over its HTTP API")
    commands = bridge.add_subparsers(dest="bridge_command", metavar="ACTION", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = commands.add_parser(name, help=help_text)
        _connection_options(parser)
        return parser

    command("info", "the bridge's ids, versions and scan results").set_defaults(func=_info)
    command("list", "paired devices and their last known state").set_defaults(func=_list)
    state = command("state", "ask a device for its live state (wakes it: costs battery)")
    state.add_argument("device", help="name, decimal nukiId or hex id")
    state.set_defaults(func=_state)
    for name, help_text in (
        ("lock", "lock (opener: deactivate ring to open)"),
        ("unlock", "unlock (opener: activate ring to open)"),
        ("open", "unlatch (opener: buzz the door open)"),
        ("lock-n-go", "unlock, wait, lock again"),
    ):
        parser = command(name, help_text)
        parser.add_argument("device", help="name, decimal nukiId or hex id")
        parser.add_argument("--nowait", action="store_true", help="do not wait for the result")
        if name == "lock-n-go":
            parser.add_argument("--unlatch", action="store_true", help="open the door too")
        parser.set_defaults(func=_action, action_name=name)
    continuous = command("continuous-mode", "opener: switch continuous mode on or off")
    continuous.add_argument("device")
    continuous.add_argument("switch", choices=["on", "off"])
    continuous.set_defaults(func=_continuous)
    callbacks = command("callbacks", "list, add or remove callback URLs")
    callbacks.add_argument("callback_action", choices=["list", "add", "remove"], nargs="?")
    callbacks.add_argument("value", nargs="?", help="URL to add or id to remove")
    callbacks.set_defaults(func=_callbacks)
    token = command("token", "press the bridge's button within 30 s to get a new API token")
    token.set_defaults(func=_token)
    log = command("log", "the bridge's log")
    log.add_argument("--count", type=int, default=20)
    log.set_defaults(func=_log)

    watch = subparsers.add_parser(
        "watch", help="print state changes as the bridge reports them (temporary callback)"
    )
    _connection_options(watch)
    watch.add_argument(
        "--listen-host", help="address the bridge can reach this machine on (default: guessed)"
    )
    watch.add_argument("--listen-port", type=int, default=0)
    watch.set_defaults(func=_watch)

    discover = subparsers.add_parser("discover", help="ask Nuki's discovery service for bridges")
    discover.add_argument("--url", default=os.environ.get("NUKI_DISCOVERY_URL", DISCOVERY_URL))
    discover.set_defaults(func=_discover)


@contextlib.asynccontextmanager
async def _client(args: argparse.Namespace) -> AsyncIterator[BridgeClient]:
    async with BridgeClient(
        args.host,
        args.port,
        args.token,
        token_mode=TokenMode(args.token_mode),
        # One person at a terminal: no need to space requests out as for automations.
        request_interval=0.1,
    ) as client:
        yield client


def resolve_device(devices: list[Device], ref: str) -> Device:
    """Find a device by name, decimal nukiId or upper/lower-case hex id."""
    wanted = ref.strip().lower()
    for device in devices:
        if wanted in (str(device.nuki_id), device.hex_id.lower(), device.name.lower()):
            return device
    names = ", ".join(f"{d.name} ({d.nuki_id})" for d in devices) or "none"
    raise NukiUnknownDeviceError(f"no device {ref!r} on this bridge; paired: {names}")


def describe_state(state: DeviceState) -> str:
    if state.state is None:
        return "unknown"
    name = state.state.name.lower().replace("_", " ")
    if state.continuous_mode:
        name += " (continuous mode)"
    return name


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


async def _info(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        info = await client.info()
    table = Table(title=f"Nuki Bridge {info.bridge_id}", show_header=False)
    table.add_row("type", info.bridge_type.name.lower())
    table.add_row("bridge id", info.bridge_id)
    table.add_row("hardware id", str(info.hardware_id or "-"))
    table.add_row("server id", str(info.server_id or "-"))
    table.add_row("version", info.version or "-")
    table.add_row("uptime", f"{info.uptime} s" if info.uptime is not None else "-")
    table.add_row("bridge time", str(info.current_time or "-"))
    table.add_row("server connected", _yes_no(info.server_connected))
    for scan in info.scan_results:
        table.add_row("seen", f"{scan.name} ({scan.nuki_id}) rssi {scan.rssi}")
    console.print(table)
    return 0


def _devices_table(devices: list[Device]) -> Table:
    table = Table(title="Paired devices")
    for column in ("name", "nukiId", "hex", "type", "state", "battery", "door", "firmware"):
        table.add_column(column)
    for device in devices:
        state = device.state
        battery = "-" if state.battery_charge_state is None else f"{state.battery_charge_state} %"
        if state.battery_critical:
            battery += " (critical)"
        door = (
            state.door_sensor_state.name.lower().replace("_", " ")
            if state.door_sensor_state is not None
            else "-"
        )
        table.add_row(
            device.name,
            str(device.nuki_id),
            device.hex_id,
            device.device_type.model,
            describe_state(state),
            battery,
            door,
            device.firmware_version or "-",
        )
    return table


async def _list(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        devices = await client.list_devices()
    console.print(_devices_table(devices))
    return 0


async def _state(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        device = resolve_device(await client.list_devices(), args.device)
        state = await client.lock_state(device.nuki_id, device.device_type)
    console.print(f"{device.name}: {describe_state(state)}")
    return 0


def action_for(device_type: DeviceType, name: str, unlatch: bool = False) -> int:
    if device_type.is_opener:
        opener = {
            "lock": OpenerAction.DEACTIVATE_RTO,
            "unlock": OpenerAction.ACTIVATE_RTO,
            "open": OpenerAction.ELECTRIC_STRIKE_ACTUATION,
        }
        if name not in opener:
            raise NukiError(f"an opener cannot do {name}")
        return opener[name]
    lock = {
        "lock": LockAction.LOCK,
        "unlock": LockAction.UNLOCK,
        "open": LockAction.UNLATCH,
        "lock-n-go": LockAction.LOCK_N_GO_UNLATCH if unlatch else LockAction.LOCK_N_GO,
    }
    return lock[name]


async def _action(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        device = resolve_device(await client.list_devices(), args.device)
        action = action_for(device.device_type, args.action_name, getattr(args, "unlatch", False))
        await client.lock_action(device.nuki_id, device.device_type, action, wait=not args.nowait)
    done = "accepted" if args.nowait else "done"
    console.print(f"{device.name}: {args.action_name} {done}")
    return 0


async def _continuous(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        device = resolve_device(await client.list_devices(), args.device)
        if not device.device_type.is_opener:
            raise NukiError(f"{device.name} is not an opener: only openers have continuous mode")
        action = (
            OpenerAction.ACTIVATE_CONTINUOUS_MODE
            if args.switch == "on"
            else OpenerAction.DEACTIVATE_CONTINUOUS_MODE
        )
        await client.lock_action(device.nuki_id, device.device_type, action)
    console.print(f"{device.name}: continuous mode {args.switch}")
    return 0


async def _callbacks(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        if args.callback_action == "add":
            if not args.value:
                raise NukiError("give the URL to add")
            await client.callback_add(args.value)
        elif args.callback_action == "remove":
            if args.value is None or not args.value.isdigit():
                raise NukiError("give the id of the callback to remove")
            await client.callback_remove(int(args.value))
        entries = await client.callback_list()
    if not entries:
        console.print("no callbacks registered")
    for entry in entries:
        console.print(f"{entry.callback_id}: {entry.url}")
    return 0


async def _token(args: argparse.Namespace) -> int:
    console.print("Press the button on the bridge now (within 30 seconds)...")
    async with _client(args) as client:
        token = await client.request_token()
    console.print(f"New API token: {token}")
    return 0


async def _log(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        entries = await client.log(count=args.count)
    for entry in entries:
        rest = ", ".join(f"{k}={v}" for k, v in entry.items() if k not in ("timestamp", "type"))
        console.print(f"{entry.get('timestamp', '-')} {entry.get('type', '-')} {rest}")
    return 0


def guess_listen_host(bridge_host: str, bridge_port: int) -> str:
    """The local address the bridge can reach us on: the one routing towards it."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            # Connecting a UDP socket sends nothing; it only picks a route.
            probe.connect((bridge_host, bridge_port))
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


async def _watch(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with _client(args) as client:
        names = {d.nuki_id: d.name for d in await client.list_devices()}
        path = f"/nuki-watch-{secrets.token_hex(8)}"

        async def receive(request: web.Request) -> web.Response:
            try:
                update = CallbackUpdate.from_dict(await request.json())
            except (ValueError, NukiInvalidResponseError):
                return web.Response(status=400)
            name = names.get(update.nuki_id, f"device {update.nuki_id}")
            stamp = datetime.now().strftime("%H:%M:%S.%f")[:-3]
            extra = []
            if update.state.ring_action_state:
                extra.append("ring")
            if update.state.door_sensor_state is not None:
                extra.append(update.state.door_sensor_state.name.lower().replace("_", " "))
            if update.state.battery_charge_state is not None:
                extra.append(f"battery {update.state.battery_charge_state} %")
            details = f" ({', '.join(extra)})" if extra else ""
            console.print(f"{stamp} {name}: {describe_state(update.state)}{details}")
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_post(path, receive)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        listen_host = args.listen_host or guess_listen_host(args.host, args.port)
        site = web.TCPSite(runner, listen_host, args.listen_port)
        await site.start()
        try:
            port = runner.addresses[0][1]
            url = f"http://{listen_host}:{port}{path}"
            await client.callback_add(url)
            console.print(f"Watching {len(names)} device(s); callback {url}. Ctrl-C to stop.")
            try:
                await stop.wait()
            finally:
                # Leave the bridge as we found it: only our own callback goes.
                for entry in await client.callback_list():
                    if entry.url == url:
                        await client.callback_remove(entry.callback_id)
                console.print("Callback removed.")
        finally:
            await runner.cleanup()
    return 0


async def _discover(args: argparse.Namespace) -> int:
    async with aiohttp.ClientSession() as session:
        bridges = await discover_bridges(session, url=args.url)
    if not bridges:
        console.print("no bridges registered for this network")
    for found in bridges:
        where = (
            f"{found.host}:{found.port}"
            if found.discovery_enabled
            else "discovery switched off on the bridge"
        )
        console.print(f"bridge {found.bridge_id:X} ({found.bridge_id}): {where}")
    return 0
