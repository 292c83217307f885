"""Home Assistant test harness set-up shared by the integration's tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/nuki instead of Home Assistant's built-in nuki."""
