"""Which ids a device has in Home Assistant, and its device registry entry.

The built-in integration gives a lock or opener the unique id ``<nukiId>`` and
the device identifier ``<HEX>``. A nukiId is unique only per kind of device:
when a lock and an opener share one, only one of them can have those plain
ids; the other gets ``<nukiId>_<qualifier>`` and ``<HEX>_<qualifier>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.typing import UNDEFINED

from nukilocal.const import BridgeType
from nukilocal.models import BridgeInfo, DeviceKey

from .compat import devices_with_identifier, via_bridge
from .const import DOMAIN, MANUFACTURER

# Name, firmware and model as the Nuki app and the device report them.
type DeviceFacts = tuple[str | None, str | None, str]


def id_qualifier(opener: bool) -> str:
    return "opener" if opener else "smartlock"


def device_identifiers(key: DeviceKey) -> set[tuple[str, str]]:
    """The device registry identifiers a device may have (plain or qualified)."""
    return {(DOMAIN, key.hex_id), (DOMAIN, f"{key.hex_id}_{id_qualifier(key.opener)}")}


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    key: DeviceKey
    # None: the built-in integration's ids. Else the device shares its nukiId
    # with one of the other kind, which holds those ids.
    qualifier: str | None = None

    @property
    def unique_id_base(self) -> str:
        nuki_id = str(self.key.nuki_id)
        return nuki_id if self.qualifier is None else f"{nuki_id}_{self.qualifier}"

    @property
    def device_identifier(self) -> str:
        hex_id = self.key.hex_id
        return hex_id if self.qualifier is None else f"{hex_id}_{self.qualifier}"

    @classmethod
    def decide(cls, hass: HomeAssistant, key: DeviceKey, *, twin_listed: bool) -> DeviceIdentity:
        """Decided once per hub, from the registry, so it does not change with /list's order.

        The plain ids stay with whoever holds them in the registry; with nobody
        there, with the smart lock (the built-in integration added locks first).
        """
        qualifier = id_qualifier(key.opener)
        if devices_with_identifier(hass, f"{key.hex_id}_{qualifier}"):
            return cls(key, qualifier)
        holder = next((d for d in devices_with_identifier(hass, key.hex_id) if d.model), None)
        if holder is not None and holder.model:
            held_by_opener = "opener" in holder.model.lower()
            return cls(key, None if held_by_opener == key.opener else qualifier)
        return cls(key, qualifier if twin_listed and key.opener else None)


def device_info(
    hass: HomeAssistant,
    identity: DeviceIdentity,
    facts: DeviceFacts,
    via: tuple[str, str] | None,
) -> DeviceInfo:
    """``via``: the bridge id and entry id when a bridge reaches the device."""
    name, firmware, model = facts
    extra: dict[str, Any] = via_bridge(hass, *via) if via is not None else {}
    # A TypedDict before 2026.8, a dataclass since; both take keywords.
    make: Callable[..., DeviceInfo] = DeviceInfo
    return make(
        identifiers={(DOMAIN, identity.device_identifier)},
        manufacturer=MANUFACTURER,
        name=name or f"Nuki {identity.key.hex_id}",
        model=model,
        sw_version=firmware,
        serial_number=identity.key.hex_id,
        **extra,
    )


def bridge_device_info(bridge_id: str, info: BridgeInfo) -> DeviceInfo:
    software = info.bridge_type is BridgeType.SOFTWARE
    return DeviceInfo(
        identifiers={(DOMAIN, bridge_id)},
        manufacturer=MANUFACTURER,
        name=f"Nuki Bridge {bridge_id}",
        model="Software Bridge" if software else "Hardware Bridge",
        sw_version=info.version,
        serial_number=bridge_id,
    )


@callback
def async_update_facts(hass: HomeAssistant, identifier: str, facts: DeviceFacts) -> bool:
    """A device renamed in the Nuki app or given new firmware: its device page follows.

    Names the user gave in Home Assistant stay (``name_by_user`` wins); unknown
    facts (a Wi-Fi lock whose name topic has not arrived yet) stay as they are.
    False when the device is not registered yet.
    """
    devices = devices_with_identifier(hass, identifier)
    if not devices:
        return False
    name, firmware, model = facts
    registry = dr.async_get(hass)
    # One device entry per config entry that reaches the device (Home
    # Assistant 2026.8 and later), or one shared by both (earlier).
    for device in devices:
        if (
            name in (None, device.name)
            and firmware in (None, device.sw_version)
            and model == device.model
        ):
            continue
        registry.async_update_device(
            device.id,
            name=name if name is not None else UNDEFINED,
            model=model,
            sw_version=firmware if firmware is not None else UNDEFINED,
        )
    return True


@callback
def async_update_bridge(hass: HomeAssistant, bridge_id: str, info: BridgeInfo) -> None:
    """The bridge's device entry follows a firmware update."""
    registry = dr.async_get(hass)
    for device in devices_with_identifier(hass, bridge_id):
        if info.version and device.sw_version != info.version:
            registry.async_update_device(device.id, sw_version=info.version)
