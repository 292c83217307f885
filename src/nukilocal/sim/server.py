"""The bridge stand-in's HTTP server: the request pipeline and the ways to extend it.

Every API request goes through the same pipeline, outside in:

1. interceptors of stage ``"arrival"`` (they see every API request, the ones
   answered 503 by the one-request rule too);
2. counting (:class:`BridgeStats`) and the one-request-at-a-time rule: while a
   request is served, another one gets 503 at once;
3. injected faults (:class:`BridgeFaults`): burst hangs, forced 503s,
   connection resets, latency, hangs;
4. interceptors of stage ``"endpoint"`` (the default), around the endpoint;
5. the endpoint (:mod:`nukilocal.sim.endpoints`);

then malformed or truncated JSON as the faults ask. The control interface
(``/sim/...``) and routes added with :meth:`BridgeServer.add_routes` bypass
all of it: never counted, never serialised, never faulted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from aiohttp import web
from multidict import MultiMapping

from .answers import BadRequest, Handler, plain_error
from .control import CONTROL_PREFIX, add_control_routes, token_refusal
from .devices import SimDevice
from .endpoints import ApiEndpoints, device_named, unavailable
from .model import BridgeModel

type Stage = Literal["endpoint", "arrival"]
type Proceed = Callable[[], Awaitable[web.StreamResponse]]


class ApiCall:
    """One API request as an interceptor sees it.

    :meth:`proceed` runs the rest of the pipeline (the next interceptor, at the
    end the stand-in itself) and returns its answer, which the interceptor may
    change or replace; not calling it answers instead of the stand-in.
    """

    def __init__(self, request: web.Request, bridge: BridgeModel, proceed: Proceed) -> None:
        self.request = request
        self.bridge = bridge
        self._proceed: Proceed | None = proceed

    @property
    def path(self) -> str:
        return self.request.path

    @property
    def query(self) -> MultiMapping[str]:
        """The parsed query string."""
        return self.request.query

    @property
    def query_string(self) -> str:
        """The raw query string, as on the wire."""
        return self.request.query_string

    @property
    def device(self) -> SimDevice | None:
        """The device ``nukiId``/``deviceType`` name, by the bridge's rule; None if none."""
        try:
            return device_named(self.bridge, self.request)
        except BadRequest:
            return None

    async def proceed(self) -> web.StreamResponse:
        """The answer of the rest of the pipeline; once per call."""
        if self._proceed is None:
            raise RuntimeError("proceed() was already called")
        proceed, self._proceed = self._proceed, None
        return await proceed()


type Interceptor = Callable[[ApiCall], Awaitable[web.StreamResponse]]


@dataclass(slots=True, frozen=True)
class _Registered:
    interceptor: Interceptor
    paths: frozenset[str] | None
    stage: Stage


class BridgeServer:
    """The aiohttp application of a bridge model, on a real TCP port."""

    def __init__(self, model: BridgeModel, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.model = model
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._interceptors: list[_Registered] = []
        self._outside: set[web.AbstractResource] = set()
        # When the last request that had the bridge's slot was answered.
        self._last_answered: float | None = None
        self.app = web.Application(middlewares=[self._middleware])
        for path, handler in ApiEndpoints(model).routes().items():
            self.app.router.add_get(path, handler)
        add_control_routes(self.app, model)

    # -- life cycle -------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the bridge stand-in is not started")
        return self._port

    async def start(self) -> None:
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port, reuse_address=True)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- extending ----------------------------------------------------------------

    def add_interceptor(
        self,
        interceptor: Interceptor,
        *,
        paths: str | Iterable[str] | None = None,
        stage: Stage = "endpoint",
    ) -> Callable[[], None]:
        """Run ``interceptor`` for API requests to ``paths`` (None: every path).

        ``stage="endpoint"``: around the endpoint, for a request that has the
        bridge's only slot, after the injected faults; what it answers can still
        be mangled by the ``malformed``/``truncated`` faults, and while it waits
        the bridge answers everyone else 503. ``stage="arrival"``: before
        anything else, for every API request (503s of the stand-in included).
        Interceptors registered first are outermost. Returns the remover.
        """
        if stage not in ("endpoint", "arrival"):
            raise ValueError(f"stage must be 'endpoint' or 'arrival', not {stage!r}")
        wanted = None if paths is None else frozenset([paths] if isinstance(paths, str) else paths)
        entry = _Registered(interceptor, wanted, stage)
        self._interceptors.append(entry)

        def remove() -> None:
            if entry in self._interceptors:
                self._interceptors.remove(entry)

        return remove

    def add_routes(
        self,
        routes: Mapping[str, Handler],
        *,
        require_token: bool = True,
        methods: Iterable[str] = ("GET", "POST"),
    ) -> None:
        """Serve more routes next to the API, like the control interface.

        They are not part of the bridge's API: never counted, never serialised
        with API requests, never faulted. With ``require_token`` a request
        must carry the API token as ``?token=`` or the ``X-Sim-Token`` header,
        else it is answered 401 as the control interface does. Only before
        :meth:`start` (aiohttp freezes the routes).
        """
        if self.app.frozen:
            raise RuntimeError("add routes before the bridge stand-in starts")
        methods = tuple(methods)
        for path, handler in routes.items():
            served = self._token_checked(handler) if require_token else handler
            for method in methods:
                resource = self.app.router.add_route(method, path, served).resource
                if resource is not None:
                    self._outside.add(resource)

    def _token_checked(self, handler: Handler) -> Handler:
        async def serve(request: web.Request) -> web.StreamResponse:
            refused = token_refusal(request, self.model.token)
            return refused if refused is not None else await handler(request)

        return serve

    # -- the pipeline ---------------------------------------------------------------

    def _is_api(self, request: web.Request) -> bool:
        if request.path.startswith(CONTROL_PREFIX):
            return False
        return request.match_info.route.resource not in self._outside

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self._is_api(request):
            return await handler(request)
        return await self._chain(request, "arrival", lambda: self._admit(request, handler))

    async def _chain(self, request: web.Request, stage: Stage, last: Proceed) -> web.StreamResponse:
        chain = [
            entry.interceptor
            for entry in self._interceptors
            if entry.stage == stage and (entry.paths is None or request.path in entry.paths)
        ]

        async def run(index: int) -> web.StreamResponse:
            if index == len(chain):
                return await last()
            return await chain[index](ApiCall(request, self.model, lambda: run(index + 1)))

        return await run(0)

    async def _admit(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Counting and the one-request-at-a-time rule."""
        stats = self.model.stats
        stats.requests[request.path] += 1
        stats.total_requests += 1
        stats.in_flight += 1
        try:
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
            if stats.in_flight > 1:
                return unavailable(self.model)
            try:
                return await self._serve(request, handler)
            finally:
                self._last_answered = time.monotonic()
        finally:
            stats.in_flight -= 1

    async def _serve(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """A request that has the bridge's only slot: faults, interceptors, endpoint."""
        faults = self.model.faults
        last = self._last_answered
        too_soon = last is not None and time.monotonic() - last < faults.burst_window
        if faults.burst_window > 0 and too_soon:
            self.model.stats.bursts += 1
            await asyncio.sleep(faults.burst_hang)
        if faults.force_503 > 0:
            faults.force_503 -= 1
            return unavailable(self.model)
        if faults.reset > 0:
            faults.reset -= 1
            return self._reset_connection(request)
        if faults.latency > 0:
            await asyncio.sleep(faults.latency)
        if faults.hang > 0:
            hang, faults.hang = faults.hang, 0.0
            await asyncio.sleep(hang)
        try:
            response = await self._chain(request, "endpoint", lambda: _answer(request, handler))
        except web.HTTPException as err:
            return plain_error(err.status)
        except BadRequest:
            return plain_error(400)
        return self._mangle(response)

    @staticmethod
    def _reset_connection(request: web.Request) -> web.StreamResponse:
        transport = request.transport
        if transport is not None:
            # Abort, not close: the client sees a reset, never a partial answer.
            transport.abort()
        # Nothing reaches the client; aiohttp drops this answer on the dead transport.
        return plain_error(500)

    def _mangle(self, response: web.StreamResponse) -> web.StreamResponse:
        faults = self.model.faults
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


async def _answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The endpoint's answer; its errors as the hardware's plain-text answers."""
    try:
        return await handler(request)
    except web.HTTPException as err:
        return plain_error(err.status)
    except BadRequest:
        return plain_error(400)
