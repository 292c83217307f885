"""A Nuki Bridge that HTTP clients cannot tell from the real one.

It serves every endpoint of the Bridge HTTP API v1.13 with the hardware's
habits: one request at a time (a second concurrent request gets 503 at once),
plain-text error bodies, the three token modes checked against the bridge's own
(skewable) clock, callbacks POSTed on every state change, a radio that runs one
device's action at a time or several (:mod:`nukilocal.sim.radio`), and faults a
real bridge shows in the field (503 storms, latency, hangs, connection resets,
malformed or truncated JSON, offline devices, reboots that forget callbacks).

:class:`BridgeSimulator` puts three parts together, none of which imports the
next one up:

- the model (:mod:`nukilocal.sim.model`): devices, callbacks, faults, stats,
  radio; the device state machines live in :mod:`nukilocal.sim.devices`;
- the control interface under ``/sim/`` (:mod:`nukilocal.sim.control`), on the
  model;
- the HTTP server (:mod:`nukilocal.sim.server`) with the API endpoints
  (:mod:`nukilocal.sim.endpoints`) and the control routes.

Extending it (tests, benchmarks, demos) goes through public methods:
:meth:`BridgeSimulator.add_interceptor` (delay a request, answer instead of
the stand-in, change its answer; with the parsed query and the device),
:meth:`BridgeSimulator.add_routes` (more routes, optionally behind the control
token) and :meth:`BridgeModel.add_callback_interceptor` (hold back or drop the
callbacks the bridge sends).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from types import TracebackType
from typing import Self

from aiohttp import web

from ..const import BridgeType
from .answers import Handler, json_answer, plain_error
from .callbacks import CALLBACK_TIMEOUT_SECONDS
from .config import DEFAULT_HARDWARE_ID, DEFAULT_SERVER_ID
from .control import CONTROL_PREFIX
from .devices import SimDevice
from .endpoints import LOCK_STATE_SECONDS
from .faults import BridgeFaults, BridgeStats
from .model import LOG_SIZE, BridgeModel
from .radio import DEFAULT_RADIO, RadioMode
from .server import ApiCall, BridgeServer, Interceptor, Stage

__all__ = [
    "CALLBACK_TIMEOUT_SECONDS",
    "CONTROL_PREFIX",
    "LOCK_STATE_SECONDS",
    "LOG_SIZE",
    "ApiCall",
    "BridgeFaults",
    "BridgeSimulator",
    "BridgeStats",
    "Handler",
    "Interceptor",
    "Stage",
    "json_answer",
    "plain_error",
]


class BridgeSimulator(BridgeModel):
    """A Nuki Bridge (hardware or software flavour) on a real TCP port.

    ``radio``: ``"exclusive"`` (default) or ``"parallel"``, see
    :mod:`nukilocal.sim.radio`; it can be changed at any time (attribute
    ``radio``, control route ``/sim/radio``).
    """

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
        radio: RadioMode | str = DEFAULT_RADIO,
    ) -> None:
        super().__init__(
            token,
            devices=devices,
            time_factor=time_factor,
            bridge_type=bridge_type,
            hardware_id=hardware_id,
            server_id=server_id,
            firmware_version=firmware_version,
            wifi_firmware_version=wifi_firmware_version,
            app_version=app_version,
            clock_offset=clock_offset,
            callback_transitional=callback_transitional,
            radio=radio,
        )
        self.server = BridgeServer(self, host=host, port=port)

    # -- life cycle -----------------------------------------------------------

    async def start(self) -> None:
        if self.server.running:
            return
        await self.open()
        await self.server.start()

    async def stop(self) -> None:
        await self.close()
        await self.server.stop()
        await self.close_devices()

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
    def app(self) -> web.Application:
        return self.server.app

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- extending --------------------------------------------------------------

    def add_interceptor(
        self,
        interceptor: Interceptor,
        *,
        paths: str | Iterable[str] | None = None,
        stage: Stage = "endpoint",
    ) -> Callable[[], None]:
        """Intercept API requests: see :meth:`BridgeServer.add_interceptor`.

        ``interceptor(call)`` gets an :class:`ApiCall` (request, parsed query,
        device, the bridge) and returns the answer: ``await call.proceed()``
        as it is or changed, or its own without proceeding; awaiting before
        proceeding delays the request. Returns the remover.
        """
        return self.server.add_interceptor(interceptor, paths=paths, stage=stage)

    def add_routes(
        self,
        routes: Mapping[str, Handler],
        *,
        require_token: bool = True,
        methods: Iterable[str] = ("GET", "POST"),
    ) -> None:
        """Serve more routes beside the API: see :meth:`BridgeServer.add_routes`."""
        self.server.add_routes(routes, require_token=require_token, methods=methods)
