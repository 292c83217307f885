"""What a config entry's data says, read in one place for set-up and the config flow."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry

from nukilocal.const import TokenMode

from .const import CONF_ENCRYPT_TOKEN, CONF_LOCK_ID, CONF_TOKEN_MODE


def token_mode(data: Mapping[str, Any]) -> TokenMode:
    """The token mode of an entry; the built-in's entries only have ``encrypt_token`` (default on).

    An unreadable ``token_mode`` counts as missing.
    """
    try:
        return TokenMode(data[CONF_TOKEN_MODE])
    except (KeyError, ValueError):
        return TokenMode.ENCRYPTED if data.get(CONF_ENCRYPT_TOKEN, True) else TokenMode.PLAIN


def is_lock_entry(entry: ConfigEntry[Any]) -> bool:
    """A Wi-Fi lock reached by MQTT, not a bridge."""
    return CONF_LOCK_ID in entry.data
