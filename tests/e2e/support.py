"""Helpers of the end-to-end tests: entities by unique id, state sequences, the log."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from demo.hass import INTEGRATION_DIR, ONBOARDING_EXTRA_MODULES, HassWebSocket, Subscription

DOMAIN = "nuki"
# Translation keys of a command the lock refused: by the bridge, or itself over MQTT.
REFUSED_KEYS = ("command_refused", "mqtt_command_refused")


@dataclass(slots=True)
class Entities:
    """This integration's entity registry entries, found by unique id, never by entity id."""

    by_unique_id: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    async def load(cls, ws: HassWebSocket) -> Entities:
        registry = await ws.call("config/entity_registry/list")
        return cls({e["unique_id"]: e for e in registry if e["platform"] == DOMAIN})

    def entity_id(self, unique_id: str | int) -> str:
        entry = self.by_unique_id.get(str(unique_id))
        assert entry is not None, f"no {DOMAIN} entity with unique id {unique_id}"
        entity_id: str = entry["entity_id"]
        return entity_id

    def of_domain(self, domain: str) -> dict[str, str]:
        """unique id -> entity id of every entity of one platform domain (lock, event ...)."""
        return {
            unique_id: entry["entity_id"]
            for unique_id, entry in self.by_unique_id.items()
            if entry["entity_id"].split(".", 1)[0] == domain
        }


async def states(ws: HassWebSocket) -> dict[str, dict[str, Any]]:
    return {s["entity_id"]: s for s in await ws.call("get_states")}


async def state_of(ws: HassWebSocket, entity_id: str) -> str:
    state: str = (await states(ws))[entity_id]["state"]
    return state


async def states_until(
    changes: Subscription, entity_id: str, *finals: str, timeout: float = 30.0
) -> list[str]:
    """The states ``entity_id`` passes through until one of ``finals``, in order.

    Attribute-only changes are left out, so the list reads like what a user saw.
    """
    seen: list[str] = []
    while True:
        event = await changes.next(timeout)
        data = event["data"]
        if data["entity_id"] != entity_id or data["new_state"] is None:
            continue
        state = data["new_state"]["state"]
        if seen and seen[-1] == state:
            continue
        seen.append(state)
        if state in finals:
            return seen


async def bring_to(
    ws: HassWebSocket, changes: Subscription, entity_id: str, wanted: str, service: str
) -> None:
    """A precondition: ``lock.<service>`` unless the entity already shows ``wanted``."""
    if await state_of(ws, entity_id) == wanted:
        return
    await ws.call_service("lock", service, entity_id=entity_id)
    await states_until(changes, entity_id, wanted)


def exception_templates() -> dict[str, str]:
    """The integration's translated exception messages (English), by translation key."""
    strings = json.loads((INTEGRATION_DIR / "translations" / "en.json").read_text())
    return {key: value["message"] for key, value in strings.get("exceptions", {}).items()}


def template_pattern(template: str) -> re.Pattern[str]:
    """A translated message with its placeholders as wildcards.

    Home Assistant drops a final period from exception messages.
    """
    parts = re.split(r"\{[a-z_]+\}", template.rstrip("."))
    return re.compile(".+?".join(re.escape(part) for part in parts) + r"\.?\Z", re.DOTALL)


# -- Home Assistant's log ------------------------------------------------------------

_RECORD_START = re.compile(
    # 2026.x adds the UTC offset to the time ("...52.765+00:00").
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+(?:[+-]\d\d:\d\d)? "
    r"(?P<level>[A-Z]+) \([^)]*\) \[(?P<logger>[^\]]+)\] "
)


@dataclass(slots=True)
class LogRecord:
    level: str
    logger: str
    text: str  # the first line and everything up to the next record (tracebacks)

    @property
    def last_line(self) -> str:
        lines = [line for line in self.text.splitlines() if line.strip()]
        return lines[-1] if lines else ""


def log_records(path: Path) -> list[LogRecord]:
    records: list[LogRecord] = []
    for line in path.read_text(errors="replace").splitlines():
        match = _RECORD_START.match(line)
        if match:
            records.append(LogRecord(match["level"], match["logger"], line))
        elif records:
            records[-1].text += "\n" + line
    return records


def is_onboarding_extra(record: LogRecord) -> bool:
    """Onboarding sets up weather, translation and radio by itself; their packages are absent."""
    return any(f"No module named '{module}'" in record.text for module in ONBOARDING_EXTRA_MODULES)


def is_reported_command_failure(record: LogRecord, expected: list[re.Pattern[str]]) -> bool:
    """Home Assistant's websocket logs every failed service call with its traceback.

    That is the expected translated error of a command a test made fail on
    purpose, not a fault: the record must end in exactly that message.
    """
    if not record.logger.startswith("homeassistant.components.websocket_api"):
        return False
    last = record.last_line
    # 2025.4: a traceback ending in the exception; 2026.x: one line
    # "Error during service call to lock.unlock: <message>".
    traceback_end = "homeassistant.exceptions.HomeAssistantError: "
    one_line = re.compile(r".*\] Error during service call to [a-z_]+\.[a-z_]+: ")
    if last.startswith(traceback_end):
        message = last.removeprefix(traceback_end)
    elif (match := one_line.match(last)) is not None and "\n" not in record.text:
        message = last[match.end() :]
    else:
        return False
    return any(pattern.match(message) for pattern in expected)
