"""Listener lists: what the client and the stand-ins use to tell others about changes."""

from __future__ import annotations

import contextlib
from collections.abc import Callable


def subscribe[T](listeners: list[T], listener: T) -> Callable[[], None]:
    """Add ``listener``; the returned function removes it (calling it twice is harmless)."""
    listeners.append(listener)

    def remove() -> None:
        with contextlib.suppress(ValueError):
            listeners.remove(listener)

    return remove
