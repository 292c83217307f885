"""Home Assistant test harness set-up shared by the integration's tests."""

from __future__ import annotations

import logging
from collections.abc import Generator

import pytest

# How Home Assistant words a deprecated call (helpers/frame.py and deprecation.py),
# on every release this integration supports.
DEPRECATION_MARKERS = (
    "Detected that custom integration",
    "which is deprecated",
    "will stop working",
)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/nuki instead of Home Assistant's built-in nuki."""


class _DeprecationRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if any(marker in message for marker in DEPRECATION_MARKERS) and "nuki" in message:
            self.found.append(f"{record.name}: {message}")


@pytest.fixture(autouse=True)
def no_deprecated_calls() -> Generator[None]:
    """Every test fails if Home Assistant reports a deprecated call of ours."""
    handler = _DeprecationRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
    assert not handler.found, "Home Assistant reports deprecated calls:\n" + "\n".join(
        handler.found
    )
