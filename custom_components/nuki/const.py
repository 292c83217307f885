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
# Entries of Wi-Fi locks reached by MQTT hold only the lock's id, upper-case hex.
CONF_LOCK_ID: Final = "lock_id"

EVENT_NUKI: Final = "nuki_event"

# Bridge callbacks make polling a safety net only: one /list for all devices.
POLL_INTERVAL_PUSH: Final = timedelta(minutes=5)
# Without working callbacks /list is all there is; it is served from the
# bridge's cache and does not wake the locks.
POLL_INTERVAL_NO_PUSH: Final = timedelta(seconds=30)
# With push working, confirm about hourly that the bridge still knows our
# callback (a rebooted bridge may have forgotten it): every 12th poll.
CALLBACK_CHECK_EVERY_POLLS: Final = 12
# Callback checks in a row that found our callback registered while polls kept
# finding state changes and no callback arrived: then the bridge does not
# deliver them (users report that one unreachable callback can block the
# callbacks registered after it), and polling takes over.
UNDELIVERED_AFTER_CHECKS: Final = 2
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
SERVICE_FULL_LOCK: Final = "full_lock"

EVENT_TYPE_RING: Final = "ring"
EVENT_TYPE_LOCK_ACTION: Final = "lock_action"

# How long set-up and the config flow wait for a lock's retained topics.
MQTT_RETAINED_TIMEOUT: Final = 5.0

ISSUE_HTTPS_WEBHOOK: Final = "https_webhook"
ISSUE_CALLBACK_SLOTS_FULL: Final = "callback_slots_full"
ISSUE_CALLBACKS_UNDELIVERED: Final = "callbacks_not_delivered"
ISSUE_LOCK_DISCOVERY: Final = "lock_own_discovery"

MANUFACTURER: Final = "Nuki Home Solutions GmbH"
