"""What the integration's tests do again and again: a lock service call, a poll.

Home Assistant's clock is the harness's: a poll runs when the test moves it on,
never by waiting.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.nuki.const import POLL_INTERVAL_NO_PUSH, POLL_INTERVAL_PUSH


async def call(
    hass: HomeAssistant, service: str, entity_id: str, domain: str = LOCK_DOMAIN, **data: Any
) -> None:
    """Call ``domain.service`` (a lock's by default) for ``entity_id`` and wait for it."""
    await hass.services.async_call(
        domain, service, {ATTR_ENTITY_ID: entity_id, **data}, blocking=True
    )


async def time_passes(hass: HomeAssistant, delta: timedelta) -> None:
    """Move Home Assistant's clock on by ``delta``; what falls due runs and finishes."""
    async_fire_time_changed(hass, dt_util.utcnow() + delta)
    await hass.async_block_till_done(wait_background_tasks=True)


async def poll(hass: HomeAssistant) -> None:
    """The safety-net poll without callbacks (every 30 s) runs now."""
    await time_passes(hass, POLL_INTERVAL_NO_PUSH)


async def push_poll(hass: HomeAssistant) -> None:
    """The safety-net poll while callbacks work, and what it sets off (the callback check)."""
    await time_passes(hass, POLL_INTERVAL_PUSH)


def unique_ids_of(entity_registry: er.EntityRegistry, entry_id: str, domain: str) -> set[str]:
    """The unique ids of the entry's entities of ``domain``."""
    return {
        entry.unique_id
        for entry in er.async_entries_for_config_entry(entity_registry, entry_id)
        if entry.domain == domain
    }
