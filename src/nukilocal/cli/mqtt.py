"""``nuki mqtt``: watch and command Nuki Wi-Fi locks through an MQTT broker."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable

from rich.console import Console

from ..const import LockAction, LockState
from ..exceptions import NukiError
from ..models import hex_id, id_from_hex
from ..mqtt.client import DEFAULT_COMMAND_TIMEOUT, URL_ENV, MqttLockClient
from ..mqtt.protocol import (
    DEBUG_MODE_USERNAME,
    LockActionEvent,
    MqttLock,
    mosquitto_password,
)
from ..sim.devices import LOCK_STATE_NAMES

console = Console(highlight=False)

DEFAULT_BROKER = "mqtt://127.0.0.1:1883"
# How long a command waits for the lock's retained topics before sending anyway.
RETAINED_WAIT_SECONDS = 3.0

_ACTIONS: dict[str, LockAction] = {
    "lock": LockAction.LOCK,
    "unlock": LockAction.UNLOCK,
    "open": LockAction.UNLATCH,
    "full-lock": LockAction.FULL_LOCK,
    "lock-n-go": LockAction.LOCK_N_GO,
}
_TRANSITIONAL = frozenset({LockState.UNLOCKING, LockState.LOCKING, LockState.UNLATCHING})


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "mqtt",
        help="Wi-Fi smart locks (3.0 Pro, 4th generation) through an MQTT broker",
        description="Watch and command Nuki Wi-Fi locks through their MQTT API.",
    )
    commands = parser.add_subparsers(dest="mqtt_command", metavar="SUBCOMMAND", required=True)

    def with_broker(sub: argparse.ArgumentParser, *, lock_required: bool) -> None:
        sub.add_argument(
            "--broker",
            default=os.environ.get(URL_ENV, DEFAULT_BROKER),
            help=f"mqtt://[user:pass@]host:port (env {URL_ENV}; default {DEFAULT_BROKER})",
        )
        sub.add_argument(
            "--lock",
            type=_parse_lock,
            required=False,
            help="the lock's id in hexadecimal, as in its topics"
            + ("" if lock_required else " (default: all)")
            + ("; may be left out when the broker knows one lock only" if lock_required else ""),
        )

    watch = commands.add_parser("watch", help="print state changes and lock action events")
    with_broker(watch, lock_required=False)
    watch.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    watch.set_defaults(func=_watch)

    for name, action in _ACTIONS.items():
        sub = commands.add_parser(name, help=f"send lock action {int(action)} ({name})")
        with_broker(sub, lock_required=True)
        sub.add_argument(
            "--timeout",
            type=float,
            default=DEFAULT_COMMAND_TIMEOUT,
            help="seconds to wait for the lock's commandResponse",
        )
        if action is LockAction.LOCK_N_GO:
            sub.add_argument("--unlatch", action="store_true", help="unlatch before relocking")
        sub.set_defaults(func=_command_handler(action))

    credentials = commands.add_parser(
        "credentials",
        help="broker credentials of a lock in debug mode (MQTT API v1.4 beta)",
    )
    credentials.add_argument("--wifi-password", required=True, help="the Wi-Fi password")
    credentials.set_defaults(func=_credentials)


def _parse_lock(value: str) -> int:
    try:
        nuki_id = id_from_hex(value.strip())
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{value!r} is not a hexadecimal Nuki id") from err
    if not 0 < nuki_id <= 0xFFFFFFFF:
        raise argparse.ArgumentTypeError(f"{value!r} is not a Nuki id")
    return nuki_id


def describe(lock: MqttLock) -> str:
    state = lock.state
    parts: list[str] = []
    if state.state is not None:
        parts.append(LOCK_STATE_NAMES.get(state.state, f"state {int(state.state)}"))
    if lock.connected is False:
        parts.append("offline")
    if state.battery_charge_state is not None:
        parts.append(f"battery {state.battery_charge_state}%")
    if state.battery_critical:
        parts.append("battery critical")
    if state.battery_charging:
        parts.append("charging")
    if state.door_open is not None:
        parts.append("door open" if state.door_open else "door closed")
    name = lock.name or "?"
    return f"{lock.hex_id} {name}: {', '.join(parts) or 'no state yet'}"


async def _watch(args: argparse.Namespace) -> int:
    wanted: int | None = args.lock

    def on_state(lock: MqttLock) -> None:
        if wanted is None or lock.nuki_id == wanted:
            console.print(describe(lock))

    def on_event(event: LockActionEvent) -> None:
        if wanted is None or event.nuki_id == wanted:
            console.print(f"{hex_id(event.nuki_id)} event: {event.description}")

    def on_connection(up: bool) -> None:
        console.print("connected to broker" if up else "[yellow]broker connection lost[/]")

    client = MqttLockClient.from_url(args.broker)
    client.add_state_listener(on_state)
    client.add_event_listener(on_event)
    client.add_connection_listener(on_connection)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with client:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(args.duration):
                await stop.wait()
    return 0


def _command_handler(action: LockAction) -> Callable[[argparse.Namespace], Awaitable[int]]:
    async def handler(args: argparse.Namespace) -> int:
        chosen = action
        if action is LockAction.LOCK_N_GO and getattr(args, "unlatch", False):
            chosen = LockAction.LOCK_N_GO_UNLATCH
        return await _send(args, chosen)

    return handler


async def _send(args: argparse.Namespace, action: LockAction) -> int:
    async with MqttLockClient.from_url(args.broker) as client:
        nuki_id: int | None = args.lock
        if nuki_id is None:
            nuki_id = await _only_lock(client)
        try:
            await client.wait_for_lock(
                nuki_id, lambda lock: lock.connected is not None, RETAINED_WAIT_SECONDS
            )
        except NukiError:
            console.print(
                f"[yellow]lock {hex_id(nuki_id)} has published nothing on this broker;"
                " sending anyway[/]"
            )
        info = await client.send_action(nuki_id, action, timeout=args.timeout)
        lock = client.get_lock(nuki_id)
        if lock is not None and lock.state.state in _TRANSITIONAL:
            with contextlib.suppress(NukiError):
                lock = await client.wait_for_lock(
                    nuki_id, lambda lock: lock.state.state not in _TRANSITIONAL, args.timeout
                )
        console.print(f"{hex_id(nuki_id)}: {info.message}")
        if lock is not None:
            console.print(describe(lock))
    return 0


async def _only_lock(client: MqttLockClient) -> int:
    """The broker's only lock, from its retained topics."""
    with contextlib.suppress(NukiError):
        # Any lock will do; the retained topics of all arrive together.
        await _first_lock(client)
    ids = sorted(client.locks)
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise NukiError("no Nuki lock has published on this broker; give --lock HEX")
    known = ", ".join(hex_id(i) for i in ids)
    raise NukiError(f"several locks on this broker ({known}); give --lock HEX")


async def _first_lock(client: MqttLockClient) -> None:
    if client.locks:
        return
    seen = asyncio.Event()
    remove = client.add_state_listener(lambda _lock: seen.set())
    try:
        async with asyncio.timeout(RETAINED_WAIT_SECONDS):
            await seen.wait()
    except TimeoutError as err:
        raise NukiError("no lock seen") from err
    finally:
        remove()


async def _credentials(args: argparse.Namespace) -> int:
    password = mosquitto_password(args.wifi_password)
    console.print(f"user:     {DEBUG_MODE_USERNAME}")
    console.print(f"password: {password}")
    console.print()
    console.print("Add it to Mosquitto (which stores its own hash of the password):")
    console.print(
        f"  mosquitto_passwd -b /etc/mosquitto/passwd {DEBUG_MODE_USERNAME} {password}",
        soft_wrap=True,
    )
    console.print("and make sure mosquitto.conf has:")
    console.print("  password_file /etc/mosquitto/passwd")
    console.print("  allow_anonymous false")
    console.print("then reload Mosquitto (e.g. systemctl reload mosquitto).")
    return 0
