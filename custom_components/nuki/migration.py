"""The way in from the built-in integration's entries, and the way back.

This integration replaces Home Assistant's built-in ``nuki`` without a new
config entry: it takes the built-in's entries over as they are, and gives the
lock entities their old unique ids back whenever it lets go of an entry, so
removing this integration brings the built-in back with the user's entities.
"""

from __future__ import annotations

import logging
from collections.abc import Container
from typing import Any

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from nukilocal.models import hex_id

from .const import CONF_WEBHOOK_ID, DOMAIN

_LOGGER = logging.getLogger(__name__)


@callback
def async_adopt_builtin_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Take over an entry exactly as the built-in integration left it.

    Idempotent, so it runs on every set-up: the built-in's entries have the
    same version as ours and never pass through async_migrate_entry, and
    ``async_hand_back_unique_ids`` restores the built-in's lock ids whenever
    this integration lets go of the entry.
    """
    updates: dict[str, Any] = {}
    if isinstance(entry.unique_id, int) and not isinstance(entry.unique_id, bool):
        updates["unique_id"] = hex_id(entry.unique_id)
        if entry.title == str(entry.unique_id):
            updates["title"] = updates["unique_id"]
    if not entry.data.get(CONF_WEBHOOK_ID):
        # The built-in used the entry id: guessable, so a new one.
        updates["data"] = {**entry.data, CONF_WEBHOOK_ID: webhook.async_generate_id()}
    if updates:
        hass.config_entries.async_update_entry(entry, **updates)

    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if isinstance(entity.unique_id, str):
            continue
        new_id = str(entity.unique_id)
        if registry.async_get_entity_id(entity.domain, DOMAIN, new_id):
            _LOGGER.info("Removing %s: its string twin already exists", entity.entity_id)
            registry.async_remove(entity.entity_id)
            continue
        _LOGGER.debug("Migrating unique id of %s to %r", entity.entity_id, new_id)
        registry.async_update_entity(entity.entity_id, new_unique_id=new_id)


class _NonStringUniqueIdFilter(logging.Filter):
    """Drops the entity registry's complaint about the int ids handed back on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "non string unique_id" not in str(record.msg)


@callback
def async_hand_back_unique_ids(
    hass: HomeAssistant, entry: ConfigEntry[Any], *, keep: Container[str] = ()
) -> None:
    """Leave the entry's lock entities with the built-in integration's unique ids.

    The built-in registers a lock or opener under its nukiId as an int, and the
    entity registry tells ``1015571181`` from ``"1015571181"``: after
    ``async_adopt_builtin_entry`` turned them into strings, the built-in would
    create a second entity next to each (``lock.front_door_2``) and leave the
    user's one unavailable. So whenever this integration stops running the
    entry (unload, Home Assistant stopping) the ints come back; its next set-up
    makes them strings again. Other entities' ids are strings in both.
    Unique ids in ``keep`` stay as they are.
    """
    registry = er.async_get(hass)
    quiet = _NonStringUniqueIdFilter()
    registry_logger = logging.getLogger(er.__name__)
    registry_logger.addFilter(quiet)
    try:
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
            unique_id = entity.unique_id
            if (
                entity.domain != Platform.LOCK
                or entity.platform != DOMAIN
                or not isinstance(unique_id, str)
                or not (unique_id.isascii() and unique_id.isdigit())
                or unique_id in keep
            ):
                continue
            nuki_id = int(unique_id)
            if registry.async_get_entity_id(entity.domain, DOMAIN, nuki_id):  # type: ignore[arg-type]
                continue
            _LOGGER.debug("Handing back unique id %r of %s", nuki_id, entity.entity_id)
            registry.async_update_entity(entity.entity_id, new_unique_id=nuki_id)  # type: ignore[arg-type]
    finally:
        registry_logger.removeFilter(quiet)
