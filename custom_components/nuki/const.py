"""Constants of the Nuki integration."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "nuki"

# Config entry data keys. host, port and token are Home Assistant's CONF_*;
# encrypt_token is the built-in integration's own key, kept so its entries load.
CONF_ENCRYPT_TOKEN: Final = "encrypt_token"
# Added by this integration: "hashed" cannot be expressed by encrypt_token alone.
CONF_TOKEN_MODE: Final = "token_mode"
CONF_WEBHOOK_ID: Final = "webhook_id"

DEFAULT_PORT: Final = 8080
DEFAULT_TIMEOUT: Final = 20

EVENT_NUKI: Final = "nuki_event"
