"""The bridge's HTTP API v1.13 endpoints, answering from a :class:`BridgeModel`.

Every handler answers as the hardware does: plain-text errors, compact JSON,
404 for what a software bridge lacks. The request pipeline around them (one
request at a time, faults, interceptors) is in :mod:`nukilocal.sim.server`.
"""

from __future__ import annotations

from aiohttp import web

from ..client import callback_url_problem
from ..const import (
    AUTH_BUTTON_SECONDS,
    MAX_CALLBACKS,
    CommandResponse,
    DeviceType,
    LockAction,
    OpenerAction,
)
from .answers import BadRequest, Handler, json_answer, plain_error
from .devices import SimDevice, SimOpener, SimSmartLock
from .model import BridgeModel

# A /lockState is a Bluetooth round trip to the device.
LOCK_STATE_SECONDS = 0.5
# What a device refuses before anything moves: the bridge's radio is not taken.
_NOT_STARTED = frozenset(
    {CommandResponse.BUSY, CommandResponse.NOT_CALIBRATED, CommandResponse.UNKNOWN_ERROR}
)


def unavailable(model: BridgeModel) -> web.Response:
    """503, counted."""
    model.stats.unavailable_sent += 1
    return plain_error(503)


def device_named(model: BridgeModel, request: web.Request) -> SimDevice | None:
    """The device ``nukiId``/``deviceType`` name; :class:`BadRequest` when malformed."""
    query = request.query
    try:
        nuki_id = int(query["nukiId"])
        raw_type = query.get("deviceType", "")
        device_type = DeviceType(int(raw_type)) if raw_type else None
    except (KeyError, ValueError) as err:
        raise BadRequest from err
    return model.find_device(nuki_id, device_type)


class ApiEndpoints:
    """The handlers of one bridge; :meth:`routes` maps paths to them."""

    def __init__(self, model: BridgeModel) -> None:
        self.model = model

    def routes(self) -> dict[str, Handler]:
        hardware_only = {
            "/configAuth": self.config_auth,
            "/unpair": self.unpair,
            "/log": self.log,
            "/clearlog": self.clear_log,
            "/reboot": self.reboot,
            "/factoryReset": self.factory_reset,
            "/fwupdate": self.fwupdate,
        }
        both = {
            "/list": self.list,
            "/lockState": self.lock_state,
            "/lockAction": self.lock_action,
            "/lock": self.simple_lock,
            "/unlock": self.simple_unlock,
            "/info": self.info,
            "/callback/add": self.callback_add,
            "/callback/list": self.callback_list,
            "/callback/remove": self.callback_remove,
        }
        # /auth is how a client gets the token: the only endpoint without it.
        routes = {"/auth": self._hardware_only(self.auth)}
        routes.update(
            {path: self._hardware_only(self._authorized(h)) for path, h in hardware_only.items()}
        )
        routes.update({path: self._authorized(h) for path, h in both.items()})
        return routes

    def _hardware_only(self, handler: Handler) -> Handler:
        """404 on a software bridge (before the token is looked at)."""

        async def serve(request: web.Request) -> web.StreamResponse:
            if self.model.is_software:
                return plain_error(404)
            return await handler(request)

        return serve

    def _authorized(self, handler: Handler) -> Handler:
        async def serve(request: web.Request) -> web.StreamResponse:
            params = {key: request.query[key] for key in request.query}
            if not self.model.authorized(params):
                return plain_error(401)
            return await handler(request)

        return serve

    def _device(self, request: web.Request) -> SimDevice:
        device = device_named(self.model, request)
        if device is None:
            raise web.HTTPNotFound
        return device

    # -- the endpoints ------------------------------------------------------------

    async def auth(self, request: web.Request) -> web.StreamResponse:
        if not self.model.auth_enabled:
            return plain_error(403)
        seconds = self.model.clock.seconds(AUTH_BUTTON_SECONDS)
        if not await self.model.wait_for_button(seconds):
            return json_answer({"success": False})
        return json_answer({"token": self.model.token, "success": True})

    async def config_auth(self, request: web.Request) -> web.StreamResponse:
        enable = request.query.get("enable")
        if enable not in ("0", "1"):
            return plain_error(400)
        self.model.auth_enabled = enable == "1"
        return json_answer({"success": True})

    async def list(self, request: web.Request) -> web.StreamResponse:
        with_type = not self.model.is_software
        return json_answer([d.list_item(with_device_type=with_type) for d in self.model.devices])

    async def lock_state(self, request: web.Request) -> web.StreamResponse:
        device = self._device(request)
        if not device.online:
            return unavailable(self.model)
        await self.model.clock.sleep(LOCK_STATE_SECONDS)
        if not device.online:
            return unavailable(self.model)
        return json_answer({**device.state_dict(with_timestamp=False), "success": True})

    async def lock_action(self, request: web.Request) -> web.StreamResponse:
        device = self._device(request)
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

    async def simple_lock(self, request: web.Request) -> web.StreamResponse:
        return await self._simple(request, lock=True)

    async def simple_unlock(self, request: web.Request) -> web.StreamResponse:
        return await self._simple(request, lock=False)

    async def _simple(self, request: web.Request, *, lock: bool) -> web.StreamResponse:
        device = self._device(request)
        assert isinstance(device, SimSmartLock | SimOpener)
        action = device.SIMPLE_LOCK if lock else device.SIMPLE_UNLOCK
        return await self._run_action(request, device, action)

    async def _run_action(
        self, request: web.Request, device: SimDevice, action: LockAction | OpenerAction
    ) -> web.StreamResponse:
        model = self.model
        if not device.online:
            return unavailable(model)
        query = request.query
        nowait = query.get("nowait", query.get("noWait", "0"))
        if nowait not in ("0", "1"):
            return plain_error(400)
        if model.radio_model.refuses_action():
            model.stats.radio_refused += 1
            return unavailable(model)
        model.add_log({"type": "HTTP-LockAction", "nukiId": device.nuki_id, "action": int(action)})
        if isinstance(device, SimOpener):
            result = await device.perform(OpenerAction(action), wait=nowait == "0")
        else:
            assert isinstance(device, SimSmartLock)
            result = await device.perform(LockAction(action), wait=nowait == "0")
        if result not in _NOT_STARTED:
            model.radio_model.started(device)
        success = result is CommandResponse.SUCCESS
        return json_answer({"success": success, "batteryCritical": device.battery_critical})

    async def unpair(self, request: web.Request) -> web.StreamResponse:
        device = self._device(request)
        self.model.remove_device(device.nuki_id, device.device_type)
        await device.close()
        return json_answer({"success": True})

    async def info(self, request: web.Request) -> web.StreamResponse:
        return json_answer(self.model.info())

    async def callback_add(self, request: web.Request) -> web.StreamResponse:
        url = request.query.get("url", "")
        if callback_url_problem(url) is not None:
            return plain_error(400)
        if url in self.model.callback_urls:
            return json_answer({"success": False, "message": "callback already added"})
        if len(self.model.callbacks) >= MAX_CALLBACKS:
            return json_answer({"success": False, "message": "too many callbacks registered"})
        self.model.add_callback(url)
        return json_answer({"success": True})

    async def callback_list(self, request: web.Request) -> web.StreamResponse:
        urls = self.model.callback_urls
        return json_answer({"callbacks": [{"id": i, "url": url} for i, url in enumerate(urls)]})

    async def callback_remove(self, request: web.Request) -> web.StreamResponse:
        try:
            index = int(request.query["id"])
        except (KeyError, ValueError):
            return plain_error(400)
        if not await self.model.callbacks.remove(index):
            return json_answer({"success": False, "message": "callback not found"})
        return json_answer({"success": True})

    async def log(self, request: web.Request) -> web.StreamResponse:
        try:
            offset = int(request.query.get("offset", "0"))
            count = int(request.query.get("count", "100"))
        except ValueError:
            return plain_error(400)
        if offset < 0 or count < 0:
            return plain_error(400)
        return json_answer(self.model.log_entries(offset, count))

    async def clear_log(self, request: web.Request) -> web.StreamResponse:
        self.model.clear_log()
        return web.Response()

    async def reboot(self, request: web.Request) -> web.StreamResponse:
        await self.model.reboot()
        return web.Response()

    async def factory_reset(self, request: web.Request) -> web.StreamResponse:
        await self.model.factory_reset()
        return web.Response()

    async def fwupdate(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("scope", "0") not in ("0", "1", "2"):
            return plain_error(400)
        self.model.add_log({"type": "FirmwareUpdateCheck"})
        return web.Response()
