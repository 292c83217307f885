"""Nuki's MQTT topics: their names, the lock's own discovery topics, connection facts.

Pure data and string building; :mod:`.protocol` re-exports every name here.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Final

from ..models import hex_id

TOPIC_ROOT: Final = "nuki"
SUBSCRIBE_ALL: Final = f"{TOPIC_ROOT}/#"
DISCOVERY_PREFIX: Final = "homeassistant"
DISCOVERY_SUBSCRIBE: Final = f"{DISCOVERY_PREFIX}/+/+/config"
# The lock publishes retained state at QoS 0, commandResponse and lockActionEvent
# at QoS 2, and subscribes to lockAction at QoS 2 (MQTT API 1.6, section 4.3).
# The stand-in does the same, and clients subscribe at this QoS.
COMMAND_QOS: Final = 2
# Commands are published at QoS 0 nevertheless, and the broker delivers them at
# the lower of the two QoS. At most once is what a lock action needs: a QoS 1/2
# publish is kept in the client's session until acknowledged and re-sent after
# a reconnect, so a command whose outcome was already reported unknown could
# reach the lock seconds or minutes later (unlatching when nobody expects it).
COMMAND_PUBLISH_QOS: Final = 0
COMMAND_EXPIRY_SECONDS: Final = 10
DEFAULT_PORT: Final = 1883
# Username of the v1.4 beta debug mode; the password was derived from the Wi-Fi password.
DEBUG_MODE_USERNAME: Final = "nuki"
# The Nuki app limits broker username and password to this length.
CREDENTIAL_MAX_LENGTH: Final = 32
PAYLOAD_TRUE: Final = "true"
PAYLOAD_FALSE: Final = "false"


class Topic(StrEnum):
    """The last level of ``nuki/<HEX>/<topic>``."""

    DEVICE_TYPE = "deviceType"
    NAME = "name"
    FIRMWARE = "firmware"
    MODE = "mode"
    STATE = "state"
    BATTERY_CRITICAL = "batteryCritical"
    BATTERY_CHARGING = "batteryCharging"
    BATTERY_CHARGE_STATE = "batteryChargeState"
    KEYPAD_BATTERY_CRITICAL = "keypadBatteryCritical"
    DOOR_SENSOR_STATE = "doorsensorState"
    DOOR_SENSOR_BATTERY_CRITICAL = "doorsensorBatteryCritical"
    SERVER_CONNECTED = "serverConnected"
    TIMESTAMP = "timestamp"
    CONNECTED = "connected"
    # Commands, published by clients.
    LOCK_ACTION = "lockAction"
    LOCK = "lock"
    UNLOCK = "unlock"
    # Published by the lock, not retained.
    COMMAND_RESPONSE = "commandResponse"
    LOCK_ACTION_EVENT = "lockActionEvent"


# Topics whose payload is one field of a bridge state object: their names are
# the bridge's JSON keys, so DeviceState.from_dict reads both APIs alike.
STATE_TOPICS: Final = frozenset(
    {
        Topic.MODE,
        Topic.STATE,
        Topic.BATTERY_CRITICAL,
        Topic.BATTERY_CHARGING,
        Topic.BATTERY_CHARGE_STATE,
        Topic.KEYPAD_BATTERY_CRITICAL,
        Topic.DOOR_SENSOR_STATE,
        Topic.DOOR_SENSOR_BATTERY_CRITICAL,
        Topic.TIMESTAMP,
    }
)
COMMAND_TOPICS: Final = frozenset({Topic.LOCK_ACTION, Topic.LOCK, Topic.UNLOCK})
# What the lock publishes retained, in the order it publishes them on connect.
RETAINED_TOPICS: Final = (
    Topic.DEVICE_TYPE,
    Topic.NAME,
    Topic.FIRMWARE,
    Topic.MODE,
    Topic.STATE,
    Topic.BATTERY_CRITICAL,
    Topic.BATTERY_CHARGING,
    Topic.BATTERY_CHARGE_STATE,
    Topic.KEYPAD_BATTERY_CRITICAL,
    Topic.DOOR_SENSOR_STATE,
    Topic.DOOR_SENSOR_BATTERY_CRITICAL,
    Topic.SERVER_CONNECTED,
    Topic.TIMESTAMP,
    Topic.CONNECTED,
)


def topic(nuki_id: int, name: Topic | str) -> str:
    return f"{TOPIC_ROOT}/{hex_id(nuki_id)}/{name}"


def lock_filter(nuki_id: int) -> str:
    """Subscription filter for everything about one lock."""
    return f"{TOPIC_ROOT}/{hex_id(nuki_id)}/#"


def client_id_for(nuki_id: int) -> str:
    """The MQTT client id a lock connects with: its BLE name, ``Nuki_<HEX>``."""
    return f"Nuki_{hex_id(nuki_id)}"


def mosquitto_password(wifi_password: str) -> str:
    """v1.4 debug-mode password: lower-case hex SHA-256 of the Wi-Fi password."""
    return hashlib.sha256(wifi_password.encode()).hexdigest()


# --- Home Assistant discovery published by the lock ----------------------------


class DiscoverySuffix(StrEnum):
    """The entities a lock announces itself, as ``nuki_<HEX>_<suffix>``."""

    LOCK = "lock"
    LOCK_BATTERY_CRITICAL = "lock_battery_critical"
    BATTERY_PERCENT = "battery_percent"
    BATTERY_CHARGING = "battery_charging"
    DOOR_SENSOR = "door_sensor"
    DOOR_SENSOR_BATTERY_CRITICAL = "door_sensor_battery_critical"
    KEYPAD_BATTERY_CRITICAL = "keypad_battery_critical"
    UNLATCH_BUTTON = "unlatch_button"
    LOCKNGO_BUTTON = "lockngo_button"
    LOCK_N_GO_UNLATCH = "lock_n_go_unlatch"


DISCOVERY_COMPONENTS: Final[dict[DiscoverySuffix, str]] = {
    DiscoverySuffix.LOCK: "lock",
    DiscoverySuffix.LOCK_BATTERY_CRITICAL: "binary_sensor",
    DiscoverySuffix.BATTERY_PERCENT: "sensor",
    DiscoverySuffix.BATTERY_CHARGING: "binary_sensor",
    DiscoverySuffix.DOOR_SENSOR: "binary_sensor",
    DiscoverySuffix.DOOR_SENSOR_BATTERY_CRITICAL: "binary_sensor",
    DiscoverySuffix.KEYPAD_BATTERY_CRITICAL: "binary_sensor",
    DiscoverySuffix.UNLATCH_BUTTON: "button",
    DiscoverySuffix.LOCKNGO_BUTTON: "button",
    DiscoverySuffix.LOCK_N_GO_UNLATCH: "button",
}


def discovery_topic(nuki_id: int, suffix: DiscoverySuffix, component: str | None = None) -> str:
    component = component or DISCOVERY_COMPONENTS[suffix]
    return f"{DISCOVERY_PREFIX}/{component}/nuki_{hex_id(nuki_id)}_{suffix}/config"
