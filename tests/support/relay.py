"""A TCP relay on loopback: one client's way to a server that a test can close and open.

Home Assistant and a stand-in may share one broker; with Home Assistant
connected through a relay, a test decides when Home Assistant can reach the
broker again (its reconnect loop finds the port closed until then), without
touching Home Assistant's internals.
"""

from __future__ import annotations

import asyncio
import contextlib

from .net import free_port


class TcpRelay:
    """Forwards every connection to ``target``; :meth:`close` refuses and drops them."""

    def __init__(self, target_host: str, target_port: int, host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.host = host
        self.port = free_port(host)
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        """Accept connections (again) on the same port."""
        if self._server is None:
            self._server = await asyncio.start_server(self._accept, self.host, self.port)

    async def close(self) -> None:
        """Refuse new connections and cut the ones open."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for pipe in list(self._pipes):
            pipe.cancel()
        for pipe in list(self._pipes):
            with contextlib.suppress(asyncio.CancelledError):
                await pipe

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._pipes.add(task)
        try:
            target_reader, target_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            self._pipes.discard(task)
            return
        try:
            await asyncio.gather(
                self._pipe(reader, target_writer), self._pipe(target_reader, writer)
            )
        finally:
            for side in (writer, target_writer):
                side.close()
            self._pipes.discard(task)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(OSError):
            writer.write_eof()
