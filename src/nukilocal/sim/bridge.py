"""A Nuki Bridge that HTTP clients cannot tell from the real one.

It serves every endpoint of the Bridge HTTP API v1.13 with the hardware's
habits: one request at a time (a second concurrent request gets 503 at once),
plain-text error bodies, the three token modes checked against the bridge's own
(skewable) clock, callbacks POSTed on every state change, and faults a real
bridge shows in the field (503 storms, latency, hangs, connection resets,
malformed or truncated JSON, offline devices, reboots that forget callbacks).

The device state machines live in :mod:`nukilocal.sim.devices`; the control
interface under ``/sim/`` (not counted, not serialised) lives in
:mod:`nukilocal.sim.control`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from types import TracebackType
from typing import Any, Self

import aiohttp
from aiohttp import web

from ..auth import AuthResult, TokenVerifier
from ..client import callback_url_problem
from ..const import (
    AUTH_BUTTON_SECONDS,
    MAX_CALLBACKS,
    BridgeType,
    CommandResponse,
    DeviceType,
    LockAction,
    OpenerAction,
)
from ..models import format_timestamp
from .clock import SimClock
from .config import DEFAULT_HARDWARE_ID, DEFAULT_SERVER_ID, default_devices
from .devices import SimDevice, SimOpener, SimSmartLock

_LOGGER = logging.getLogger(__name__)

CONTROL_PREFIX = "/sim/"
# A /lockState is a Bluetooth round trip to the device.
LOCK_STATE_SECONDS = 0.5
CALLBACK_TIMEOUT_SECONDS = 10.0
LOG_SIZE = 1000

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    503: "Unavailable",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def plain_error(status: int) -> web.Response:
    """The hardware's error answer: a bare status line as text."""
    return web.Response(
        status=status,
        text=f"HTTP {status} {_REASONS.get(status, 'Error')}",
        content_type="text/plain",
    )


def json_answer(data: Any) -> web.Response:
    # Compact separators: the bridge sends no spaces.
    return web.Response(
        body=json.dumps(data, separators=(",", ":")).encode(),
        content_type="application/json",
    )


class _BadRequest(Exception):
    """A parameter is missing or wrong: answer 400."""


@dataclass(slots=True)
class BridgeStats:
    """What clients did to the bridge (control requests are not counted)."""

    requests: Counter[str] = field(default_factory=Counter)
    total_requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    unavailable_sent: int = 0
    callbacks_posted: int = 0
    callbacks_failed: int = 0
    # Deliveries skipped because an earlier callback failed (faults.failed_callback_blocks).
    callbacks_blocked: int = 0
    # Requests that came too soon after the previous answer (faults.burst_window).
    bursts: int = 0

    def reset(self) -> None:
        self.requests.clear()
        self.total_requests = 0
        self.max_in_flight = self.in_flight
        self.unavailable_sent = 0
        self.callbacks_posted = 0
        self.callbacks_failed = 0
        self.callbacks_blocked = 0
        self.bursts = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "totalRequests": self.total_requests,
            "maxInFlight": self.max_in_flight,
            "unavailableSent": self.unavailable_sent,
            "callbacksPosted": self.callbacks_posted,
            "callbacksFailed": self.callbacks_failed,
            "callbacksBlocked": self.callbacks_blocked,
            "bursts": self.bursts,
        }


@dataclass(slots=True)
class BridgeFaults:
    """Misbehaviour to inject. Counters apply to the next N API requests.

    ``latency`` and ``hang`` are real seconds (not scaled by the time factor):
    they model the network and a stuck bridge, not the devices. ``hang`` delays
    only the next request, then clears itself. ``burst_window`` makes the
    bridge as fragile as real ones under bursts: a request that starts less
    than ``burst_window`` seconds after the previous answer hangs for
    ``burst_hang`` seconds, holding the bridge's only slot (others get 503);
    0 turns it off. ``failed_callback_blocks`` models what users report of
    real bridges: callbacks go out in registration order, and one that fails
    (unreachable, timeout) keeps the state change from the callbacks after it.
    ``reset`` drops the connection without an answer; note that aiohttp
    clients silently retry an idempotent request once when that happens, so
    one reset is invisible to them.
    """

    force_503: int = 0
    latency: float = 0.0
    hang: float = 0.0
    reset: int = 0
    malformed: int = 0
    truncated: int = 0
    burst_window: float = 0.0
    burst_hang: float = 0.0
    failed_callback_blocks: bool = False

    def clear(self) -> None:
        self.force_503 = self.reset = self.malformed = self.truncated = 0
        self.latency = self.hang = self.burst_window = self.burst_hang = 0.0
        self.failed_callback_blocks = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "force503": self.force_503,
            "latency": self.latency,
            "hang": self.hang,
            "reset": self.reset,
            "malformed": self.malformed,
            "truncated": self.truncated,
            "burstWindow": self.burst_window,
            "burstHang": self.burst_hang,
            "failedCallbackBlocks": self.failed_callback_blocks,
        }


type _Delivered = Callable[[bool], None]


class _CallbackTarget:
    """One registered URL: a queue and a worker, so deliveries stay in order."""

    def __init__(self, url: str, post: Callable[[str, dict[str, Any]], Awaitable[bool]]) -> None:
        self.url = url
        self._queue: asyncio.Queue[tuple[dict[str, Any], _Delivered | None]] = asyncio.Queue()
        self._post = post
        self._task = asyncio.get_running_loop().create_task(self._work())

    def send(self, body: dict[str, Any], then: _Delivered | None = None) -> None:
        """Queue a delivery; ``then(delivered)`` runs once it succeeded or failed."""
        self._queue.put_nowait((body, then))

    async def drain(self) -> None:
        await self._queue.join()

    async def _work(self) -> None:
        while True:
            body, then = await self._queue.get()
            try:
                delivered = await self._post(self.url, body)
                if then is not None:
                    then(delivered)
            finally:
                self._queue.task_done()

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class BridgeSimulator:
    """A Nuki Bridge (hardware or software flavour) on a real TCP port."""

    def __init__(
        self,
        token: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        devices: Iterable[SimDevice] | None = None,
        time_factor: float = 1.0,
        bridge_type: BridgeType = BridgeType.HARDWARE,
        hardware_id: int = DEFAULT_HARDWARE_ID,
        server_id: int = DEFAULT_SERVER_ID,
        firmware_version: str = "2.17.0",
        wifi_firmware_version: str = "2.4.0",
        app_version: str = "1.4.6",
        clock_offset: timedelta | float = 0.0,
        callback_transitional: bool = True,
    ) -> None:
        self.token = token
        self._host = host
        self._requested_port = port
        self._port: int | None = None
        self.bridge_type = BridgeType(bridge_type)
        self.hardware_id = hardware_id
        self.server_id = server_id
        self.firmware_version = firmware_version
        self.wifi_firmware_version = wifi_firmware_version
        self.app_version = app_version
        self.clock = SimClock(time_factor)
        self.clock_offset = clock_offset
        # Real bridges call back mostly on final states; True reports every step.
        self.callback_transitional = callback_transitional
        self.verifier = TokenVerifier(token)
        self.stats = BridgeStats()
        self.faults = BridgeFaults()
        self.auth_enabled = True
        self._devices: list[SimDevice] = []
        self._unsubscribe: dict[int, Callable[[], None]] = {}
        self._callbacks: list[_CallbackTarget] = []
        self._pending_callback_urls: list[str] = []
        self._log: list[dict[str, Any]] = []
        self._boot = time.monotonic()
        # When the last request that had the bridge's slot was answered.
        self._last_answered: float | None = None
        self._button: asyncio.Event | None = None
        self._auth_waiters: list[asyncio.Future[None]] = []
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.app = self._build_app()
        for device in default_devices() if devices is None else devices:
            self.add_device(device)

    # -- life cycle -----------------------------------------------------------

    def _build_app(self) -> web.Application:
        from .control import add_control_routes  # control builds on this module

        app = web.Application(middlewares=[self._middleware])
        routes: dict[str, Handler] = {
            "/auth": self._auth,
            "/configAuth": self._config_auth,
            "/list": self._list,
            "/lockState": self._lock_state,
            "/lockAction": self._lock_action,
            "/lock": self._simple_lock,
            "/unlock": self._simple_unlock,
            "/unpair": self._unpair,
            "/info": self._info,
            "/callback/add": self._callback_add,
            "/callback/list": self._callback_list,
            "/callback/remove": self._callback_remove,
            "/log": self._get_log,
            "/clearlog": self._clear_log,
            "/reboot": self._reboot,
            "/factoryReset": self._factory_reset,
            "/fwupdate": self._fwupdate,
        }
        for path, handler in routes.items():
            app.router.add_get(path, handler)
        add_control_routes(app, self)
        return app

    async def start(self) -> None:
        if self._runner is not None:
            return
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=CALLBACK_TIMEOUT_SECONDS)
        )
        for url in self._pending_callback_urls:
            self._callbacks.append(_CallbackTarget(url, self._post_callback))
        self._pending_callback_urls.clear()
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._requested_port, reuse_address=True)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self._port = int(address[1])
        self._boot = time.monotonic()
        _LOGGER.debug("Bridge stand-in listening on %s", self.base_url)

    async def stop(self) -> None:
        for target in self._callbacks:
            await target.close()
        self._pending_callback_urls = [t.url for t in self._callbacks]
        self._callbacks.clear()
        if self._button is not None:
            self._button.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for device in self._devices:
            await device.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the bridge stand-in is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def clock_offset(self) -> timedelta:
        return self.clock.offset

    @clock_offset.setter
    def clock_offset(self, value: timedelta | float) -> None:
        """Shift the bridge's clock (seconds or timedelta) against real UTC."""
        self.clock.offset = value if isinstance(value, timedelta) else timedelta(seconds=value)

    @property
    def uptime(self) -> int:
        return int(time.monotonic() - self._boot)

    @property
    def is_software(self) -> bool:
        return self.bridge_type is BridgeType.SOFTWARE

    # -- devices --------------------------------------------------------------

    @property
    def devices(self) -> list[SimDevice]:
        return list(self._devices)

    def device(self, nuki_id: int, device_type: DeviceType | int | None = None) -> SimDevice:
        """The paired device; without ``device_type`` the id must be unambiguous."""
        matches = [d for d in self._devices if d.nuki_id == nuki_id]
        if device_type is not None:
            matches = [d for d in matches if d.device_type == device_type]
        if len(matches) != 1:
            raise KeyError((nuki_id, device_type))
        return matches[0]

    def lock(self, nuki_id: int) -> SimSmartLock:
        device = self.device(nuki_id)
        if not isinstance(device, SimSmartLock):
            raise KeyError(nuki_id)
        return device

    def opener(self, nuki_id: int) -> SimOpener:
        device = self.device(nuki_id, DeviceType.OPENER)
        assert isinstance(device, SimOpener)
        return device

    def add_device(self, device: SimDevice) -> SimDevice:
        if any(d.key == device.key for d in self._devices):
            raise ValueError(f"device {device.key} is already paired")
        device.clock = self.clock
        self._devices.append(device)
        self._unsubscribe[id(device)] = device.add_listener(self._device_changed)
        return device

    def remove_device(self, nuki_id: int, device_type: DeviceType | int | None = None) -> SimDevice:
        """Unpair: the device disappears from ``/list`` and answers 404."""
        device = self.device(nuki_id, device_type)
        self._devices.remove(device)
        self._unsubscribe.pop(id(device))()
        return device

    def add_unknown_device(
        self, nuki_id: int = 3735928559, device_type: int = 99, name: str = "Mystery lock"
    ) -> SimDevice:
        """A device of a type no document lists appears in ``/list``."""
        return self.add_device(SimSmartLock(nuki_id, name, device_type=DeviceType(device_type)))

    def _device_changed(self, device: SimDevice) -> None:
        self._add_log(
            {"type": "DeviceStateChanged", "nukiId": device.nuki_id, "state": device.state_id}
        )
        if not self.callback_transitional and device.is_transitional:
            return
        body = device.callback_body()
        if self.faults.failed_callback_blocks:
            self._send_in_turn(list(self._callbacks), body)
            return
        for target in self._callbacks:
            target.send(body)

    def _send_in_turn(self, targets: list[_CallbackTarget], body: dict[str, Any]) -> None:
        """The next callback only after this one was delivered; a failure ends the round."""
        if not targets:
            return
        first, rest = targets[0], targets[1:]

        def delivered(ok: bool) -> None:
            if ok:
                self._send_in_turn(rest, body)
            else:
                self.stats.callbacks_blocked += len(rest)

        first.send(body, delivered)

    # -- Python control API ---------------------------------------------------

    def press_button(self) -> bool:
        """Press the bridge button; True when a waiting ``/auth`` gets the token."""
        if self._button is None or self._button.is_set():
            return False
        self._button.set()
        return True

    async def wait_for_auth_request(self, timeout: float | None = None) -> None:
        """Return once an ``/auth`` request is waiting for the button."""
        if self._button is not None and not self._button.is_set():
            return
        arrived: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._auth_waiters.append(arrived)
        try:
            async with asyncio.timeout(timeout):
                await arrived
        finally:
            self._auth_waiters.remove(arrived)

    async def reboot(self, *, forget_callbacks: bool = False) -> None:
        """Uptime starts again; a bridge with a lost configuration forgets callbacks."""
        self._boot = time.monotonic()
        self._add_log({"type": "Reboot"})
        if forget_callbacks:
            targets, self._callbacks = self._callbacks, []
            for target in targets:
                await target.close()

    @property
    def callback_urls(self) -> list[str]:
        return [t.url for t in self._callbacks] + list(self._pending_callback_urls)

    def add_callback(self, url: str) -> None:
        """Register without HTTP and without the checks of ``/callback/add``."""
        if self._runner is None:
            self._pending_callback_urls.append(url)
        else:
            self._callbacks.append(_CallbackTarget(url, self._post_callback))

    async def drain_callbacks(self) -> None:
        """Return once every queued callback was delivered or failed."""
        for target in list(self._callbacks):
            await target.drain()

    async def _post_callback(self, url: str, body: dict[str, Any]) -> bool:
        """POST one callback; False when it could not be delivered."""
        assert self._session is not None
        try:
            async with self._session.post(url, json=body) as response:
                await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            self.stats.callbacks_failed += 1
            _LOGGER.debug("Callback to %s failed: %r", url, err)
            return False
        self.stats.callbacks_posted += 1
        return True

    def _add_log(self, entry: dict[str, Any]) -> None:
        self._log.insert(0, {"timestamp": format_timestamp(self.clock.now()), **entry})
        del self._log[LOG_SIZE:]

    # -- request pipeline -----------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        stats = self.stats
        stats.requests[request.path] += 1
        stats.total_requests += 1
        stats.in_flight += 1
        try:
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
            if stats.in_flight > 1:
                return self._unavailable()
            faults = self.faults
            try:
                return await self._serve(request, handler, faults)
            finally:
                self._last_answered = time.monotonic()
        finally:
            stats.in_flight -= 1

    async def _serve(
        self, request: web.Request, handler: Handler, faults: BridgeFaults
    ) -> web.StreamResponse:
        """A request that has the bridge's only slot."""
        last = self._last_answered
        if faults.burst_window > 0 and last is not None:
            too_soon = time.monotonic() - last < faults.burst_window
            if too_soon:
                self.stats.bursts += 1
                await asyncio.sleep(faults.burst_hang)
        if faults.force_503 > 0:
            faults.force_503 -= 1
            return self._unavailable()
        if faults.reset > 0:
            faults.reset -= 1
            return self._reset_connection(request)
        if faults.latency > 0:
            await asyncio.sleep(faults.latency)
        if faults.hang > 0:
            hang, faults.hang = faults.hang, 0.0
            await asyncio.sleep(hang)
        try:
            response = await handler(request)
        except web.HTTPException as err:
            return plain_error(err.status)
        except _BadRequest:
            return plain_error(400)
        return self._mangle(response)

    def _unavailable(self) -> web.Response:
        self.stats.unavailable_sent += 1
        return plain_error(503)

    @staticmethod
    def _reset_connection(request: web.Request) -> web.StreamResponse:
        transport = request.transport
        if transport is not None:
            # Abort, not close: the client sees a reset, never a partial answer.
            transport.abort()
        # Nothing reaches the client; aiohttp drops this answer on the dead transport.
        return plain_error(500)

    def _mangle(self, response: web.StreamResponse) -> web.StreamResponse:
        faults = self.faults
        if not isinstance(response, web.Response) or response.content_type != "application/json":
            return response
        body = response.body
        if not isinstance(body, bytes):
            return response
        if faults.malformed > 0:
            faults.malformed -= 1
            # A stray comma pair: looks like JSON, parses as nothing.
            response.body = body[:-1] + b",," + body[-1:]
        elif faults.truncated > 0:
            faults.truncated -= 1
            response.body = body[: max(1, len(body) // 2)]
        return response

    def _authorized(self, request: web.Request) -> web.Response | None:
        """None when the request proves it knows the token, else the 401 answer."""
        params = {key: request.query[key] for key in request.query}
        if self.verifier.check(params, self.clock.now()) == AuthResult.OK:
            return None
        return plain_error(401)

    def _find(self, request: web.Request) -> SimDevice | web.Response:
        query = request.query
        try:
            nuki_id = int(query["nukiId"])
            raw_type = query.get("deviceType", "")
            device_type = DeviceType(int(raw_type)) if raw_type else None
        except (KeyError, ValueError) as err:
            raise _BadRequest from err
        for device in self._devices:
            if device.nuki_id == nuki_id and device.device_type == (device_type or 0):
                return device
        if device_type is None:
            # Clients often omit deviceType for newer locks; an unambiguous id is enough.
            matches = [d for d in self._devices if d.nuki_id == nuki_id]
            if len(matches) == 1:
                return matches[0]
        return plain_error(404)

    # -- endpoints --------------------------------------------------------------

    async def _auth(self, request: web.Request) -> web.StreamResponse:
        if self.is_software:
            return plain_error(404)
        if not self.auth_enabled:
            return plain_error(403)
        button = self._button = asyncio.Event()
        for arrived in self._auth_waiters:
            if not arrived.done():
                arrived.set_result(None)
        try:
            async with asyncio.timeout(self.clock.seconds(AUTH_BUTTON_SECONDS)):
                await button.wait()
        except TimeoutError:
            return json_answer({"success": False})
        finally:
            self._button = None
        if self._runner is None:
            return json_answer({"success": False})
        return json_answer({"token": self.token, "success": True})

    async def _config_auth(self, request: web.Request) -> web.StreamResponse:
        if self.is_software:
            return plain_error(404)
        if (denied := self._authorized(request)) is not None:
            return denied
        enable = request.query.get("enable")
        if enable not in ("0", "1"):
            return plain_error(400)
        self.auth_enabled = enable == "1"
        return json_answer({"success": True})

    async def _list(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._authorized(request)) is not None:
            return denied
        with_type = not self.is_software
        return json_answer([d.list_item(with_device_type=with_type) for d in self._devices])

    async def _lock_state(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._authorized(request)) is not None:
            return denied
        device = self._find(request)
        if isinstance(device, web.Response):
            return device
        if not device.online:
            return self._unavailable()
        await self.clock.sleep(LOCK_STATE_SECONDS)
        if not device.online:
            return self._unavailable()
        return json_answer({**device.state_dict(with_timestamp=False), "success": True})

    async def _lock_action(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._authorized(request)) is not None:
            return denied
        device = self._find(request)
        if isinstance(device, web.Response):
            return device
        try:
            number = int(request.query["action"])
        except (KeyError, ValueError):
            return plain_error(400)
        # Full lock (6) is MQTT only; the bridge knows actions 1 to 5.
        if not 1 <= number <= 5:
            return plain_error(400)
        action: LockAction | OpenerAction = (
            OpenerAction(number) if isinstance(device, SimOpener) else LockAction(number)
        )
        return await self._run_action(request, device, action)

    async def _simple_lock(self, request: web.Request) -> web.StreamResponse:
        return await self._simple(request, lock=True)

    async def _simple_unlock(self, request: web.Request) -> web.StreamResponse:
        return await self._simple(request, lock=False)

    async def _simple(self, request: web.Request, *, lock: bool) -> web.StreamResponse:
        if (denied := self._authorized(request)) is not None:
            return denied
        device = self._find(request)
        if isinstance(device, web.Response):
            return device
        assert isinstance(device, SimSmartLock | SimOpener)
        action = device.SIMPLE_LOCK if lock else device.SIMPLE_UNLOCK
        return await self._run_action(request, device, action)

    async def _run_action(
        self, request: web.Request, device: SimDevice, action: LockAction | OpenerAction
    ) -> web.StreamResponse:
        if not device.online:
            return self._unavailable()
        query = request.query
        nowait = query.get("nowait", query.get("noWait", "0"))
        if nowait not in ("0", "1"):
            return plain_error(400)
        self._add_log({"type": "HTTP-LockAction", "nukiId": device.nuki_id, "action": int(action)})
        if isinstance(device, SimOpener):
            result = await device.perform(OpenerAction(action), wait=nowait == "0")
        else:
            assert isinstance(device, SimSmartLock)
            result = await device.perform(LockAction(action), wait=nowait == "0")
        return json_answer(
            {
                "success": result is CommandResponse.SUCCESS,
                "batteryCritical": device.battery_critical,
            }
        )

    async def _unpair(self, request: web.Request) -> web.StreamResponse:
        if self.is_software:
            return plain_error(404)
        if (denied := self._authorized(request)) is not None:
            return denied
        device = self._find(request)
        if isinstance(device, web.Response):
            return device
        self.remove_device(device.nuki_id, device.device_type)
        await device.close()
        return json_answer({"success": True})

    async def _info(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._authorized(request)) is not None:
            return denied
        return json_answer(self.info())

    def info(self) -> dict[str, Any]:
        """The ``/info`` answer, key order as a real bridge sends it."""
        if self.is_software:
            # The specification: hardwareId and the firmware versions are
            # hardware-bridge only; the software bridge has an app version.
            ids: dict[str, int] = {"serverId": self.server_id}
            versions: dict[str, str] = {"appVersion": self.app_version}
        else:
            ids = {"hardwareId": self.hardware_id, "serverId": self.server_id}
            versions = {
                "firmwareVersion": self.firmware_version,
                "wifiFirmwareVersion": self.wifi_firmware_version,
            }
        data: dict[str, Any] = {
            "bridgeType": int(self.bridge_type),
            "ids": ids,
            "versions": versions,
            "uptime": self.uptime,
            "currentTime": format_timestamp(self.clock.now()),
        }
        if not self.is_software:
            data["wlanConnected"] = True
        data["serverConnected"] = True
        data["scanResults"] = [d.scan_result() for d in self._devices]
        return data

    async def _callback_add(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._authorized(request)) is not None:
            return denied
        url = request.query.get("url", "")
        if callback_url_problem(url) is not None:
            return plain_error(400)
        if url in self.callback_urls:
            return json_answer({"success": False, "message": "callback already added"})
        if len(self._callbacks) >= MAX_CALLBACKS:
            return json_answer({"success": False, "message": "too many callbacks registered"})
        self.add_callback(url)
        return json_answer({"success": True})

    async def _callback_list(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._authorized(request)) is not None:
            return denied
        return json_answer(
            {"callbacks": [{"id": i, "url": t.url} for i, t in enumerate(self._callbacks)]}
        )

    async def _callback_remove(self, request: web.Request) -> web.StreamResponse:
        if (denied := self._authorized(request)) is not None:
            return denied
        try:
            index = int(request.query["id"])
        except (KeyError, ValueError):
            return plain_error(400)
        if not 0 <= index < len(self._callbacks):
            return json_answer({"success": False, "message": "callback not found"})
        # Ids are positions: the ones after the removed callback move down.
        target = self._callbacks.pop(index)
        await target.close()
        return json_answer({"success": True})

    async def _get_log(self, request: web.Request) -> web.StreamResponse:
        if self.is_software:
            return plain_error(404)
        if (denied := self._authorized(request)) is not None:
            return denied
        try:
            offset = int(request.query.get("offset", "0"))
            count = int(request.query.get("count", "100"))
        except ValueError:
            return plain_error(400)
        if offset < 0 or count < 0:
            return plain_error(400)
        return json_answer(self._log[offset : offset + count])

    async def _clear_log(self, request: web.Request) -> web.StreamResponse:
        if self.is_software:
            return plain_error(404)
        if (denied := self._authorized(request)) is not None:
            return denied
        self._log.clear()
        return web.Response()

    async def _reboot(self, request: web.Request) -> web.StreamResponse:
        if self.is_software:
            return plain_error(404)
        if (denied := self._authorized(request)) is not None:
            return denied
        await self.reboot()
        return web.Response()

    async def _factory_reset(self, request: web.Request) -> web.StreamResponse:
        if self.is_software:
            return plain_error(404)
        if (denied := self._authorized(request)) is not None:
            return denied
        # Devices stay paired here so a test can go on; the configuration is gone.
        self.auth_enabled = True
        self._log.clear()
        await self.reboot(forget_callbacks=True)
        return web.Response()

    async def _fwupdate(self, request: web.Request) -> web.StreamResponse:
        if self.is_software:
            return plain_error(404)
        if (denied := self._authorized(request)) is not None:
            return denied
        if request.query.get("scope", "0") not in ("0", "1", "2"):
            return plain_error(400)
        self._add_log({"type": "FirmwareUpdateCheck"})
        return web.Response()
