"""The stand-in process of the demo stack: bridge, embedded broker, Wi-Fi lock.

What ``nuki sim --mqtt`` runs, plus what the stack needs on top:

- one JSON line on stdout once everything listens, with the ports the OS
  chose (``--port 0``), so a parent never guesses;
- routes for what only a Wi-Fi lock has (its keypad and button report who
  did what as ``lockActionEvent``), added with the stand-in's public
  ``add_routes`` next to its ``/sim/...`` control routes, with the same token
  rule (and like them outside the bridge's API: not counted, not serialised):
  ``/demo/keypad?nukiId=&action=1&authId=&codeId=&source=1``,
  ``/demo/button?nukiId=&action=2&presses=1``.

Run: ``python -m demo.standins --port 8080 --mqtt-port 1883``; SIGINT or
SIGTERM stops it (Wi-Fi locks first, so they disconnect cleanly).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from typing import Any

from aiohttp import web

from nukilocal.const import DeviceType, KeypadSource, LockAction
from nukilocal.sim import BridgeSimulator, Handler, SimSmartLock, default_devices
from nukilocal.sim.broker import EmbeddedBroker
from nukilocal.sim.config import DEFAULT_TOKEN
from nukilocal.sim.wifilock import WifiLockSimulator

_LOGGER = logging.getLogger("demo.standins")

# Locks that have Wi-Fi and speak MQTT themselves (as ``nuki sim --mqtt``).
WIFI_TYPES = (DeviceType.SMARTLOCK_3, DeviceType.SMARTLOCK_ULTRA)


class WifiControl:
    """HTTP routes for the Wi-Fi locks' own hardware (keypad, button).

    The bridge stand-in checks the token (``add_routes``, ``require_token``).
    """

    def __init__(self, locks: dict[int, WifiLockSimulator]) -> None:
        self.locks = locks

    def routes(self) -> dict[str, Handler]:
        return {"/demo/keypad": self.keypad, "/demo/button": self.button}

    def _lock(self, request: web.Request) -> WifiLockSimulator:
        try:
            lock = self.locks.get(int(request.query["nukiId"]))
        except (KeyError, ValueError):
            lock = None
        if lock is None:
            raise web.HTTPNotFound(
                text=json.dumps({"success": False, "message": "no Wi-Fi lock with that nukiId"}),
                content_type="application/json",
            )
        return lock

    @staticmethod
    def _int(request: web.Request, key: str, default: int) -> int:
        try:
            return int(request.query.get(key, default))
        except ValueError as err:
            raise web.HTTPBadRequest(
                text=json.dumps({"success": False, "message": f"{key} must be an integer"}),
                content_type="application/json",
            ) from err

    async def keypad(self, request: web.Request) -> web.Response:
        lock = self._lock(request)
        result = await lock.use_keypad(
            LockAction(self._int(request, "action", int(LockAction.UNLOCK))),
            auth_id=self._int(request, "authId", 0),
            code_id=self._int(request, "codeId", 0),
            source=KeypadSource(self._int(request, "source", int(KeypadSource.CODE))),
        )
        return web.json_response({"success": True, "commandResponse": int(result)})

    async def button(self, request: web.Request) -> web.Response:
        lock = self._lock(request)
        raw = request.query.get("action")
        action = LockAction(self._int(request, "action", 0)) if raw else None
        result = await lock.press_button(action, presses=self._int(request, "presses", 1))
        return web.json_response({"success": True, "commandResponse": int(result)})


async def run(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        sim = BridgeSimulator(
            args.token,
            host=args.host,
            port=args.port,
            devices=default_devices(),
            time_factor=args.time_factor,
        )
        locks: dict[int, WifiLockSimulator] = {}
        # Routes must be added before the bridge's web app starts (and freezes).
        sim.add_routes(WifiControl(locks).routes(), require_token=True)
        await sim.start()
        stack.push_async_callback(sim.stop)
        broker = EmbeddedBroker(args.host, args.mqtt_port)
        await broker.start()
        stack.push_async_callback(broker.stop)
        for device in sim.devices:
            if isinstance(device, SimSmartLock) and device.device_type in WIFI_TYPES:
                # The very lock object the bridge has: one lock, two ways in.
                # The app's "Home Assistant discovery" off, as the docs advise: this
                # integration provides the entities, the lock's own would duplicate them.
                wifi = WifiLockSimulator(device, broker.url, discovery=False)
                await wifi.start()
                stack.push_async_callback(wifi.stop)
                locks[device.nuki_id] = wifi
        ready: dict[str, Any] = {
            "bridge_url": sim.base_url,
            "bridge_port": sim.port,
            "broker_url": broker.url,
            "broker_port": broker.port,
            "token": args.token,
            "wifi_locks": sorted(locks),
        }
        sys.stdout.write(json.dumps(ready) + "\n")
        sys.stdout.flush()
        _LOGGER.info("Stand-ins ready: %s", ready)
        await stop.wait()
        _LOGGER.info("Stopping the stand-ins")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.standins", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="bridge port (0 = any free)")
    parser.add_argument("--mqtt-port", type=int, default=1883, help="broker port (0 = any free)")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--time-factor", type=float, default=1.0)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args()
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s [%(name)s] %(message)s",
    )
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
