"""Headless Chromium driven over the Chrome DevTools Protocol, with aiohttp only.

Enough for the end-to-end tests: open a page, run JavaScript (awaiting its
promise), take a screenshot. Chromium runs in its own session and is stopped
by pid; nothing is downloaded (Debian's ``chromium`` from scripts/setup.sh).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from demo.stack import end_session

# Offline and as root: no sandbox, no GPU, nothing that phones home.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-port=0",
)
LISTENING = re.compile(rb"DevTools listening on (ws://\S+)")


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class CdpError(Exception):
    pass


class CdpSession:
    """One websocket to a page target: commands by id, events into a queue."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._next_id = 0
        self._results: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._waiters: list[tuple[str, asyncio.Future[dict[str, Any]]]] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for message in self._ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                if "id" in data:
                    future = self._results.pop(data["id"], None)
                    if future is not None and not future.done():
                        future.set_result(data)
                elif "method" in data:
                    for method, waiter in list(self._waiters):
                        if method == data["method"] and not waiter.done():
                            waiter.set_result(data.get("params", {}))
                            self._waiters.remove((method, waiter))
        finally:
            for future in self._results.values():
                if not future.done():
                    future.set_exception(CdpError("DevTools connection closed"))

    async def send(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._results[self._next_id] = future
        await self._ws.send_json({"id": self._next_id, "method": method, "params": params})
        async with asyncio.timeout(timeout):
            answer = await future
        if "error" in answer:
            raise CdpError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    def expect(self, method: str) -> asyncio.Future[dict[str, Any]]:
        """A future for the next event ``method``; register before causing it."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters.append((method, future))
        return future

    async def navigate(self, url: str, timeout: float = 60.0) -> None:
        loaded = self.expect("Page.loadEventFired")
        await self.send("Page.navigate", url=url)
        async with asyncio.timeout(timeout):
            await loaded

    async def evaluate(self, expression: str, timeout: float = 90.0) -> Any:
        """Run JavaScript; a promise is awaited in the page, its value returned."""
        result = await self.send(
            "Runtime.evaluate",
            timeout=timeout,
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CdpError(f"JavaScript failed: {text}")
        return result.get("result", {}).get("value")

    async def screenshot(self, path: Path) -> int:
        data = await self.send("Page.captureScreenshot", format="png")
        png = base64.b64decode(data["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
        return len(png)

    async def close(self) -> None:
        await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


class Chromium:
    """Headless Chromium in a fresh profile; ``page()`` gives its first tab."""

    def __init__(self, executable: str, *, width: int = 1400, height: int = 1100) -> None:
        self.executable = executable
        self.size = (width, height)
        self.profile = Path(tempfile.mkdtemp(prefix="e2e-chromium-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.browser_ws = ""
        self._drain: asyncio.Future[None] | None = None

    async def start(self, timeout: float = 60.0) -> None:
        self.process = subprocess.Popen(
            [
                self.executable,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={self.profile}",
                f"--window-size={self.size[0]},{self.size[1]}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        stderr = self.process.stderr
        assert stderr is not None
        loop = asyncio.get_running_loop()
        seen: list[bytes] = []
        async with asyncio.timeout(timeout):
            # The address is known once Chromium says so on stderr, not before.
            while True:
                line = await loop.run_in_executor(None, stderr.readline)
                if not line:
                    raise CdpError("Chromium exited:\n" + b"".join(seen).decode(errors="replace"))
                seen.append(line)
                if match := LISTENING.search(line):
                    self.browser_ws = match.group(1).decode()
                    break
        # Keep reading stderr so a chatty Chromium never blocks on a full pipe.
        self._drain = loop.run_in_executor(None, self._drain_stderr)

    def _drain_stderr(self) -> None:
        assert self.process is not None
        assert self.process.stderr is not None
        for _ in self.process.stderr:
            pass

    @contextlib.asynccontextmanager
    async def page(self, session: aiohttp.ClientSession) -> AsyncIterator[CdpSession]:
        port = self.browser_ws.split("//", 1)[1].split("/", 1)[0]
        async with session.get(f"http://{port}/json/list") as response:
            targets = await response.json(content_type=None)
        target = next(t for t in targets if t.get("type") == "page")
        ws = await session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
        cdp = CdpSession(ws)
        try:
            await cdp.send("Page.enable")
            await cdp.send("Runtime.enable")
            yield cdp
        finally:
            await cdp.close()

    async def stop(self, session: aiohttp.ClientSession, timeout: float = 20.0) -> list[int]:
        """Browser.close, else SIGTERM, else SIGKILL; returns processes left in its session."""
        process = self.process
        if process is None:
            return []
        if process.poll() is None:
            with contextlib.suppress(aiohttp.ClientError, CdpError, TimeoutError):
                async with session.ws_connect(self.browser_ws) as ws:
                    await ws.send_json({"id": 1, "method": "Browser.close"})
                    async with asyncio.timeout(5):
                        await ws.receive()
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.run_in_executor(None, process.wait), timeout)
        except TimeoutError:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(loop.run_in_executor(None, process.wait), timeout)
            except TimeoutError:
                process.kill()
                await loop.run_in_executor(None, process.wait)
        # Renderer, GPU and crash handler helpers live in the browser's session and
        # follow it out within moments; any that do not are killed and reported.
        left = await loop.run_in_executor(None, end_session, process.pid)
        if self._drain is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drain, 5)
        if process.stderr is not None:
            process.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)
        return left
