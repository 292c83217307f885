"""Control interface of the bridge stand-in: the physical world and faults over HTTP.

Routes live under ``/sim/`` on the bridge's own port. They take the plain API
token as ``?token=`` or the ``X-Sim-Token`` header, are never counted in
``stats`` and are not subject to the one-request-at-a-time rule, so a test or a
demo can ring the doorbell while a client's request is being served. Every
route accepts GET and POST with its parameters in the query string; answers are
JSON ``{"success": true, ...}`` or ``{"success": false, "message": ...}`` with
status 400 (bad parameter), 401 (token) or 404 (unknown device).

=====================  ==========================================================
route                  parameters
=====================  ==========================================================
``/sim/devices``       (none): every device with its full state
``/sim/knob``          ``nukiId``, ``deviceType``?, ``action=lock|unlock``
``/sim/ring``          ``nukiId`` (an opener)
``/sim/door``          ``nukiId``, ``deviceType``?, ``open=1|0``
``/sim/jam``           ``nukiId``, ``deviceType``?, ``times`` (default 1)
``/sim/battery``       ``nukiId``, ``deviceType``?, ``level``?, ``critical``?, ``charging``?
``/sim/keypad``        ``nukiId``, ``deviceType``?, ``critical=1|0``
``/sim/online``        ``nukiId``, ``deviceType``?, ``online=1|0``
``/sim/button``        (none): press the bridge button for a waiting ``/auth``
``/sim/reboot``        ``forget_callbacks=1|0``
``/sim/faults``        ``force503``, ``latency``, ``hang``, ``reset``, ``malformed``,
                       ``truncated`` (each optional), ``clear=1``; answers the faults
``/sim/clock``         ``offset`` (seconds the bridge clock is ahead of real time)
``/sim/callbacks``     (none): registered callback URLs
``/sim/stats``         (none); ``/sim/stats/reset`` clears them
``/sim/radio``         ``mode=exclusive|parallel``?; answers the mode and the devices
                       running an action the bridge started
=====================  ==========================================================

The routes work on the bridge's model (:class:`~nukilocal.sim.model.BridgeModel`);
:class:`~nukilocal.sim.control_client.SimControlClient` is their typed client.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ..const import DeviceType
from .control_client import TOKEN_HEADER, SimControlClient
from .devices import SimDevice, SimOpener, SimSmartLock
from .model import BridgeModel
from .radio import radio_mode

__all__ = [
    "CONTROL_PREFIX",
    "TOKEN_HEADER",
    "SimControlClient",
    "add_control_routes",
    "describe",
    "token_refusal",
]

CONTROL_PREFIX = "/sim/"


def token_refusal(request: web.Request, token: str) -> web.Response | None:
    """None when the request carries ``token`` (``?token=`` or the header), else the 401."""
    given = request.query.get("token") or request.headers.get(TOKEN_HEADER) or ""
    if secrets.compare_digest(given.encode(), token.encode()):
        return None
    return web.json_response({"success": False, "message": "bad token"}, status=401)


class _ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def describe(device: SimDevice) -> dict[str, Any]:
    """Everything about a device, for ``/sim/devices``."""
    data: dict[str, Any] = {
        "nukiId": device.nuki_id,
        "deviceType": int(device.device_type),
        "name": device.name,
        "firmwareVersion": device.firmware_version,
        "online": device.online,
        "busy": device.busy,
        "state": device.state_dict(),
    }
    if isinstance(device, SimSmartLock):
        data["jamPending"] = device.jam_pending
    if isinstance(device, SimOpener):
        data["ringCount"] = device.ring_count
    return data


def _flag(query: Any, key: str, *, required: bool = True) -> bool | None:
    value = query.get(key)
    if value is None and not required:
        return None
    if value in ("1", "true", "on"):
        return True
    if value in ("0", "false", "off"):
        return False
    raise _ControlError(400, f"{key} must be 1 or 0")


def _number[T: (int, float)](query: Any, key: str, kind: type[T]) -> T | None:
    value = query.get(key)
    if value is None or value == "":
        return None
    try:
        number = kind(value)
    except ValueError as err:
        raise _ControlError(400, f"{key} must be a number") from err
    if number < 0:
        raise _ControlError(400, f"{key} must not be negative")
    return number


class _ControlRoutes:
    def __init__(self, sim: BridgeModel) -> None:
        self.sim = sim

    def install(self, app: web.Application) -> None:
        routes: dict[str, Callable[[web.Request], Awaitable[dict[str, Any]]]] = {
            "devices": self.devices,
            "knob": self.knob,
            "ring": self.ring,
            "door": self.door,
            "jam": self.jam,
            "battery": self.battery,
            "keypad": self.keypad,
            "online": self.online,
            "identity": self.identity,
            "button": self.button,
            "reboot": self.reboot,
            "faults": self.faults,
            "clock": self.clock,
            "callbacks": self.callbacks,
            "stats": self.stats,
            "stats/reset": self.reset_stats,
            "radio": self.radio,
        }
        for name, handler in routes.items():
            wrapped = self._wrap(handler)
            app.router.add_get(f"{CONTROL_PREFIX}{name}", wrapped)
            app.router.add_post(f"{CONTROL_PREFIX}{name}", wrapped)

    def _wrap(
        self, handler: Callable[[web.Request], Awaitable[dict[str, Any]]]
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def serve(request: web.Request) -> web.StreamResponse:
            if (refused := token_refusal(request, self.sim.token)) is not None:
                return refused
            try:
                result = await handler(request)
            except _ControlError as err:
                return web.json_response(
                    {"success": False, "message": err.message}, status=err.status
                )
            return web.json_response({"success": True, **result})

        return serve

    def _device(self, request: web.Request) -> SimDevice:
        query = request.query
        try:
            nuki_id = int(query["nukiId"])
            raw = query.get("deviceType")
            device_type = DeviceType(int(raw)) if raw else None
        except (KeyError, ValueError) as err:
            raise _ControlError(400, "nukiId (and deviceType) must be integers") from err
        try:
            return self.sim.device(nuki_id, device_type)
        except KeyError as err:
            raise _ControlError(404, f"no device {nuki_id}") from err

    async def devices(self, request: web.Request) -> dict[str, Any]:
        return {"devices": [describe(d) for d in self.sim.devices]}

    async def knob(self, request: web.Request) -> dict[str, Any]:
        device = self._device(request)
        action = request.query.get("action")
        if not isinstance(device, SimSmartLock):
            raise _ControlError(400, "only smart locks have a knob")
        if action not in ("lock", "unlock"):
            raise _ControlError(400, "action must be lock or unlock")
        device.turn_knob(lock=action == "lock")
        return {"device": describe(device)}

    async def ring(self, request: web.Request) -> dict[str, Any]:
        device = self._device(request)
        if not isinstance(device, SimOpener):
            raise _ControlError(400, "only openers have a doorbell")
        opened = device.ring()
        return {"opened": opened, "device": describe(device)}

    async def door(self, request: web.Request) -> dict[str, Any]:
        device = self._device(request)
        is_open = _flag(request.query, "open")
        try:
            device.set_door(bool(is_open))
        except ValueError as err:
            raise _ControlError(400, str(err)) from err
        return {"device": describe(device)}

    async def jam(self, request: web.Request) -> dict[str, Any]:
        device = self._device(request)
        if not isinstance(device, SimSmartLock):
            raise _ControlError(400, "only smart locks have a motor to jam")
        device.jam(_number(request.query, "times", int) or 1)
        return {"device": describe(device)}

    async def battery(self, request: web.Request) -> dict[str, Any]:
        device = self._device(request)
        level = _number(request.query, "level", int)
        try:
            device.set_battery(
                level,
                critical=_flag(request.query, "critical", required=False),
                charging=_flag(request.query, "charging", required=False),
            )
        except ValueError as err:
            raise _ControlError(400, str(err)) from err
        return {"device": describe(device)}

    async def keypad(self, request: web.Request) -> dict[str, Any]:
        device = self._device(request)
        device.set_keypad_battery_critical(bool(_flag(request.query, "critical")))
        return {"device": describe(device)}

    async def online(self, request: web.Request) -> dict[str, Any]:
        device = self._device(request)
        device.set_online(bool(_flag(request.query, "online")))
        return {"device": describe(device)}

    async def identity(self, request: web.Request) -> dict[str, Any]:
        device = self._device(request)
        try:
            device.set_identity(
                name=request.query.get("name"), firmware_version=request.query.get("firmware")
            )
        except ValueError as err:
            raise _ControlError(400, str(err)) from err
        return {"device": describe(device)}

    async def button(self, request: web.Request) -> dict[str, Any]:
        return {"pressed": self.sim.press_button()}

    async def reboot(self, request: web.Request) -> dict[str, Any]:
        forget = _flag(request.query, "forget_callbacks", required=False)
        await self.sim.reboot(forget_callbacks=bool(forget))
        return {}

    async def faults(self, request: web.Request) -> dict[str, Any]:
        query = request.query
        faults = self.sim.faults
        if _flag(query, "clear", required=False):
            faults.clear()
        for key, attr in (
            ("force503", "force_503"),
            ("reset", "reset"),
            ("malformed", "malformed"),
            ("truncated", "truncated"),
        ):
            count = _number(query, key, int)
            if count is not None:
                setattr(faults, attr, count)
        blocks = _flag(query, "failed_callback_blocks", required=False)
        if blocks is not None:
            faults.failed_callback_blocks = blocks
        for key, attr in (
            ("latency", "latency"),
            ("hang", "hang"),
            ("burst_window", "burst_window"),
            ("burst_hang", "burst_hang"),
        ):
            seconds = _number(query, key, float)
            if seconds is not None:
                setattr(faults, attr, seconds)
        return {"faults": faults.as_dict()}

    async def clock(self, request: web.Request) -> dict[str, Any]:
        raw = request.query.get("offset")
        if raw is not None:
            try:
                self.sim.clock_offset = float(raw)
            except ValueError as err:
                raise _ControlError(400, "offset must be a number of seconds") from err
        return {"offset": self.sim.clock_offset.total_seconds()}

    async def callbacks(self, request: web.Request) -> dict[str, Any]:
        return {"callbacks": self.sim.callback_urls}

    async def stats(self, request: web.Request) -> dict[str, Any]:
        return {"stats": self.sim.stats.as_dict()}

    async def reset_stats(self, request: web.Request) -> dict[str, Any]:
        self.sim.stats.reset()
        return {"stats": self.sim.stats.as_dict()}

    async def radio(self, request: web.Request) -> dict[str, Any]:
        mode = request.query.get("mode")
        if mode is not None:
            try:
                self.sim.radio = radio_mode(mode)
            except ValueError as err:
                raise _ControlError(400, str(err)) from err
        running = [d.nuki_id for d in self.sim.radio_model.running]
        return {"radio": self.sim.radio, "running": running}


def add_control_routes(app: web.Application, sim: BridgeModel) -> None:
    _ControlRoutes(sim).install(app)
