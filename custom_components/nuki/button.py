"""One-press actions: unlatch, lock 'n' go and full lock of smart locks, the opener's
electric strike, and the bridge's restart and firmware check."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from homeassistant.components.button import (
    ButtonDeviceClass,
    ButtonEntity,
    ButtonEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from nukilocal.const import BridgeType, LockAction, OpenerAction

from .bridge import BridgeTransport
from .commands import LOCKING, OPENING, UNLOCKING
from .entity import (
    NukiBridgeEntity,
    NukiDescribedEntity,
    NukiEntityDescription,
    async_add_described_entities,
    nuki_bridge_command,
    nuki_command,
    nuki_mqtt_command,
)
from .hub import DeviceHub
from .runtime import NukiConfigEntry

# Commands queue in the transports: one at a time per bridge, one per MQTT lock.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class NukiButtonEntityDescription(ButtonEntityDescription, NukiEntityDescription):
    """A device action; the transition is the one the lock entity shows for it."""

    action: LockAction | OpenerAction
    transition: str | None
    # Only the MQTT API has the action (full lock): sent over MQTT or not at all.
    mqtt_only: bool = False


DEVICE_BUTTONS: tuple[NukiButtonEntityDescription, ...] = (
    NukiButtonEntityDescription(
        key="open",
        translation_key="open",
        action=OpenerAction.ELECTRIC_STRIKE_ACTUATION,
        transition=OPENING,
        exists_fn=lambda hub: hub.device_type.is_opener,
    ),
    NukiButtonEntityDescription(
        key="unlatch",
        translation_key="unlatch",
        action=LockAction.UNLATCH,
        transition=OPENING,
        exists_fn=lambda hub: hub.device_type.is_lock,
    ),
    NukiButtonEntityDescription(
        key="lock_n_go",
        translation_key="lock_n_go",
        action=LockAction.LOCK_N_GO,
        transition=UNLOCKING,
        exists_fn=lambda hub: hub.device_type.is_lock,
    ),
    NukiButtonEntityDescription(
        key="lock_n_go_unlatch",
        translation_key="lock_n_go_unlatch",
        action=LockAction.LOCK_N_GO_UNLATCH,
        transition=OPENING,
        exists_fn=lambda hub: hub.device_type.is_lock,
    ),
    NukiButtonEntityDescription(
        key="full_lock",
        translation_key="full_lock",
        action=LockAction.FULL_LOCK,
        transition=LOCKING,
        mqtt_only=True,
        available_fn=lambda hub: hub.mqtt_connected,
        exists_fn=lambda hub: hub.has_mqtt and hub.device_type.is_lock,
    ),
)


@dataclass(frozen=True, kw_only=True)
class NukiBridgeButtonEntityDescription(ButtonEntityDescription):
    press_fn: Callable[[BridgeTransport], Coroutine[Any, Any, None]]


def _hardware_bridge(transport: BridgeTransport) -> bool:
    # A software bridge has neither /reboot nor /fwupdate (it answers 404).
    return transport.info.bridge_type is not BridgeType.SOFTWARE


BRIDGE_BUTTONS: tuple[NukiBridgeButtonEntityDescription, ...] = (
    NukiBridgeButtonEntityDescription(
        key="restart",
        translation_key="restart",
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        press_fn=lambda transport: transport.async_restart(),
    ),
    NukiBridgeButtonEntityDescription(
        key="check_firmware",
        translation_key="check_firmware",
        entity_category=EntityCategory.CONFIG,
        press_fn=lambda transport: transport.async_check_firmware(),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NukiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    if (transport := entry.runtime_data.bridge) is not None and _hardware_bridge(transport):
        async_add_entities(
            NukiBridgeButton(transport, description) for description in BRIDGE_BUTTONS
        )
    async_add_described_entities(hass, entry, async_add_entities, DEVICE_BUTTONS, _device_button)


def _device_button(hub: DeviceHub, description: NukiButtonEntityDescription) -> NukiButton:
    if description.mqtt_only:
        return NukiMqttOnlyButton(hub, description)
    return NukiButton(hub, description)


class NukiButton(NukiDescribedEntity, ButtonEntity):
    """Sends its action over the device's preferred transport."""

    entity_description: NukiButtonEntityDescription

    @nuki_command
    async def async_press(self) -> None:
        description = self.entity_description
        await self.hub.async_command(description.action, description.transition)


class NukiMqttOnlyButton(NukiButton):
    """An action of the MQTT API only: available while the lock is connected there."""

    @nuki_mqtt_command
    async def async_press(self) -> None:
        description = self.entity_description
        await self.hub.async_mqtt_only_command(
            LockAction(description.action), description.transition
        )


class NukiBridgeButton(NukiBridgeEntity, ButtonEntity):
    entity_description: NukiBridgeButtonEntityDescription

    @nuki_bridge_command
    async def async_press(self) -> None:
        await self.entity_description.press_fn(self.coordinator)
