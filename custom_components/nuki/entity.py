"""Base entities of the Nuki integration and the one place library errors become HA errors."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any, Concatenate

from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from nukilocal.exceptions import (
    NukiAuthError,
    NukiBridgeBusyError,
    NukiCommandRefusedError,
    NukiConnectionError,
    NukiError,
    NukiOutcomeUnknownError,
    NukiTimeoutError,
    NukiUnknownDeviceError,
)
from nukilocal.models import Device, DeviceState

from .const import DOMAIN, MANUFACTURER
from .coordinator import DeviceKey, NukiCoordinator


def bridge_device_info(coordinator: NukiCoordinator) -> DeviceInfo:
    info = coordinator.info
    bridge_id = coordinator.bridge_id
    software = info.bridge_type == 2
    return DeviceInfo(
        identifiers={(DOMAIN, bridge_id)},
        manufacturer=MANUFACTURER,
        name=f"Nuki Bridge {bridge_id}",
        model="Software Bridge" if software else "Hardware Bridge",
        sw_version=info.version,
        serial_number=bridge_id,
    )


class NukiBridgeEntity(CoordinatorEntity[NukiCoordinator]):
    """An entity of the bridge itself."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: NukiCoordinator, description: EntityDescription) -> None:
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.bridge_id}_{description.key}"
        self._attr_device_info = bridge_device_info(coordinator)


class NukiEntity(CoordinatorEntity[NukiCoordinator]):
    """An entity of a lock or opener paired with the bridge."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: NukiCoordinator, device: Device) -> None:
        super().__init__(coordinator)
        self._key: DeviceKey = device.key
        self._last_device = device
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, device.hex_id)},
            manufacturer=MANUFACTURER,
            name=device.name,
            model=device.device_type.model,
            sw_version=device.firmware_version,
            serial_number=device.hex_id,
            via_device=(DOMAIN, coordinator.bridge_id),
        )

    @property
    def device(self) -> Device:
        """The device as last reported (kept while the bridge is unreachable)."""
        if self.coordinator.data is not None and (device := self.coordinator.data.get(self._key)):
            self._last_device = device
        return self._last_device

    @property
    def device_state(self) -> DeviceState:
        return self.device.state

    @property
    def available(self) -> bool:
        return (
            super().available
            and self.coordinator.data is not None
            and self._key in self.coordinator.data
        )


class NukiDescribedEntity(NukiEntity):
    """An entity made from a description; unique id ``<nukiId>_<key>`` like the built-in."""

    def __init__(
        self, coordinator: NukiCoordinator, device: Device, description: EntityDescription
    ) -> None:
        super().__init__(coordinator, device)
        self.entity_description = description
        self._attr_unique_id = f"{device.nuki_id}_{description.key}"


def nuki_command[E: NukiEntity, **P](
    func: Callable[Concatenate[E, P], Coroutine[Any, Any, None]],
) -> Callable[Concatenate[E, P], Coroutine[Any, Any, None]]:
    """Turn library errors into translated errors that say what happened."""

    @wraps(func)
    async def handler(self: E, *args: P.args, **kwargs: P.kwargs) -> None:
        placeholders = {"name": self.device.name}
        try:
            await func(self, *args, **kwargs)
        except NukiCommandRefusedError as err:
            raise _error("command_refused", placeholders, message=err.message) from err
        except NukiBridgeBusyError as err:
            raise _error("bridge_busy", placeholders) from err
        except NukiOutcomeUnknownError as err:
            raise _error("outcome_unknown", placeholders) from err
        except NukiTimeoutError as err:
            raise _error("timeout", placeholders) from err
        except NukiConnectionError as err:
            raise _error("cannot_connect", placeholders, error=str(err)) from err
        except NukiAuthError as err:
            raise _error("command_auth", placeholders) from err
        except NukiUnknownDeviceError as err:
            raise _error("unknown_device", placeholders) from err
        except NukiError as err:
            raise _error("command_failed", placeholders, error=str(err)) from err

    return handler


def _error(key: str, placeholders: dict[str, str], **extra: str) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={**placeholders, **extra},
    )
