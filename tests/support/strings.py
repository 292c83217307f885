"""Reading the integration's strings.json and translations, for the tests that check them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def load_strings(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def leaves(data: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every text with its dotted key, e.g. ``config.step.user.title``."""
    if isinstance(data, dict):
        for name, value in data.items():
            yield from leaves(value, f"{path}.{name}" if path else name)
    else:
        yield path, data
