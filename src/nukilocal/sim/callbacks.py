"""The bridge stand-in's callbacks: registered URLs and in-order delivery.

Each registered URL has a queue and a worker, so the state changes reach it
in order. Registration order matters for one reported habit of real bridges
(:attr:`BridgeFaults.failed_callback_blocks`): a callback that fails keeps
the change from the callbacks after it.

Deliveries can be intercepted (:meth:`CallbackRegistry.add_interceptor`): an
interceptor gets a :class:`CallbackDelivery` and can hold it back, drop it
(return False without proceeding) or let it go (``await delivery.proceed()``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from .faults import BridgeFaults, BridgeStats

_LOGGER = logging.getLogger(__name__)

CALLBACK_TIMEOUT_SECONDS = 10.0

type _Delivered = Callable[[bool], None]
type _Post = Callable[[str, dict[str, Any]], Awaitable[bool]]


class CallbackDelivery:
    """One callback on its way: ``url``, ``body``; :meth:`proceed` POSTs it (once)."""

    def __init__(self, url: str, body: dict[str, Any], proceed: Callable[[], Awaitable[bool]]):
        self.url = url
        self.body = body
        self._proceed: Callable[[], Awaitable[bool]] | None = proceed

    async def proceed(self) -> bool:
        """Go on (the next interceptor, at the end the POST); True when delivered."""
        if self._proceed is None:
            raise RuntimeError("proceed() was already called")
        proceed, self._proceed = self._proceed, None
        return await proceed()


type CallbackInterceptor = Callable[[CallbackDelivery], Awaitable[bool]]


class CallbackTarget:
    """One registered URL: a queue and a worker, so deliveries stay in order."""

    def __init__(self, url: str, post: _Post) -> None:
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


class CallbackRegistry:
    """The registered URLs (ids are positions) and their delivery.

    Before :meth:`open` (and after :meth:`suspend`) URLs are only remembered:
    delivery needs a running event loop and an HTTP session.
    """

    def __init__(self, stats: BridgeStats, faults: BridgeFaults, post: _Post | None = None) -> None:
        self._stats = stats
        self._faults = faults
        # What a target calls to deliver: by default :meth:`deliver`.
        self._post_one: _Post = post or self.deliver
        self._interceptors: list[CallbackInterceptor] = []
        self._targets: list[CallbackTarget] = []
        self._pending: list[str] = []
        self._session: aiohttp.ClientSession | None = None

    @property
    def urls(self) -> list[str]:
        return [t.url for t in self._targets] + list(self._pending)

    def __len__(self) -> int:
        return len(self._targets) + len(self._pending)

    async def open(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=CALLBACK_TIMEOUT_SECONDS)
            )
        for url in self._pending:
            self._targets.append(CallbackTarget(url, self._post_one))
        self._pending.clear()

    async def suspend(self) -> None:
        """Stop delivering; the URLs stay registered for the next :meth:`open`."""
        for target in self._targets:
            await target.close()
        self._pending = [t.url for t in self._targets] + self._pending
        self._targets.clear()

    async def close_session(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def add(self, url: str) -> None:
        if self._session is None:
            self._pending.append(url)
        else:
            self._targets.append(CallbackTarget(url, self._post_one))

    async def remove(self, index: int) -> bool:
        """Remove by id; the ids after it move down. False when there is no such id."""
        if not 0 <= index < len(self._targets):
            return False
        await self._targets.pop(index).close()
        return True

    async def forget(self) -> None:
        targets, self._targets = self._targets, []
        self._pending.clear()
        for target in targets:
            await target.close()

    async def drain(self) -> None:
        """Return once every queued callback was delivered or failed."""
        for target in list(self._targets):
            await target.drain()

    def send(self, body: dict[str, Any]) -> None:
        if self._faults.failed_callback_blocks:
            self._send_in_turn(list(self._targets), body)
            return
        for target in self._targets:
            target.send(body)

    def _send_in_turn(self, targets: list[CallbackTarget], body: dict[str, Any]) -> None:
        """The next callback only after this one was delivered; a failure ends the round."""
        if not targets:
            return
        first, rest = targets[0], targets[1:]

        def delivered(ok: bool) -> None:
            if ok:
                self._send_in_turn(rest, body)
            else:
                self._stats.callbacks_blocked += len(rest)

        first.send(body, delivered)

    def add_interceptor(self, interceptor: CallbackInterceptor) -> Callable[[], None]:
        """Run ``interceptor`` for every delivery (first added outermost); returns the remover."""
        self._interceptors.append(interceptor)

        def remove() -> None:
            if interceptor in self._interceptors:
                self._interceptors.remove(interceptor)

        return remove

    async def deliver(self, url: str, body: dict[str, Any]) -> bool:
        """One delivery through the interceptors; False when it was not delivered."""
        chain = list(self._interceptors)

        async def run(index: int) -> bool:
            if index == len(chain):
                return await self._post(url, body)
            return await chain[index](CallbackDelivery(url, body, lambda: run(index + 1)))

        return await run(0)

    async def _post(self, url: str, body: dict[str, Any]) -> bool:
        """POST one callback; False when it could not be delivered."""
        assert self._session is not None
        try:
            async with self._session.post(url, json=body) as response:
                await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            self._stats.callbacks_failed += 1
            _LOGGER.debug("Callback to %s failed: %r", url, err)
            return False
        self._stats.callbacks_posted += 1
        return True
