"""Constants of the Nuki integration."""

from __future__ import annotations

from datetime import timedelta
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

# Bridge callbacks make polling a safety net only: one /list for all devices.
POLL_INTERVAL_PUSH: Final = timedelta(minutes=5)
# Without working callbacks /list is all there is; it is served from the
# bridge's cache and does not wake the locks.
POLL_INTERVAL_NO_PUSH: Final = timedelta(seconds=30)
# With push working, confirm about hourly that the bridge still knows our
# callback (a rebooted bridge may have forgotten it): every 12th poll.
CALLBACK_CHECK_EVERY_POLLS: Final = 12
# After a command whose result no callback reported, read /list once.
VERIFY_AFTER_COMMAND: Final = timedelta(seconds=3)
# Bodies of bridge callbacks are a few hundred bytes.
MAX_CALLBACK_BODY: Final = 16 * 1024

ATTR_UNLATCH: Final = "unlatch"
ATTR_ENABLED: Final = "enabled"
# The built-in integration's spelling, accepted so its automations keep working.
ATTR_ENABLE: Final = "enable"

SERVICE_LOCK_N_GO: Final = "lock_n_go"
SERVICE_SET_CONTINUOUS_MODE: Final = "set_continuous_mode"

EVENT_TYPE_RING: Final = "ring"

ISSUE_HTTPS_WEBHOOK: Final = "https_webhook"
ISSUE_CALLBACK_SLOTS_FULL: Final = "callback_slots_full"

MANUFACTURER: Final = "Nuki Home Solutions GmbH"
