"""How the bridge answers over HTTP: plain-text errors, compact JSON."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    503: "Unavailable",
}


class BadRequest(Exception):
    """A parameter is missing or wrong: answer 400."""


def plain_error(status: int) -> web.Response:
    """The hardware's error answer: a bare status line as text."""
    return web.Response(
        status=status,
        text=f"HTTP {status} {_REASONS.get(status, 'Error')}",
        content_type="text/plain",
    )


def json_answer(data: Any) -> web.Response:
    """A JSON answer as the bridge writes it: compact, no spaces."""
    return web.Response(
        body=json.dumps(data, separators=(",", ":")).encode(),
        content_type="application/json",
    )
