"""Smart locks and openers as lock entities."""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.components.lock import LockEntity, LockEntityFeature
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from nukilocal.const import LockAction, LockState, OpenerAction

from .commands import LOCKING, OPENING, UNLOCKING
from .entity import (
    NukiEntity,
    NukiEntityDescription,
    async_add_described_entities,
    nuki_command,
    nuki_mqtt_command,
)
from .hub import DeviceHub
from .runtime import NukiConfigEntry

_LOGGER = logging.getLogger(__name__)

# Commands queue in the transports: one at a time per bridge, one per MQTT lock.
PARALLEL_UPDATES = 0
# The lock entity has the built-in integration's unique id, the bare nukiId.
LOCK = NukiEntityDescription(key="lock")

_LOCK_UNLOCKED_STATES = {
    LockState.UNLOCKED,
    LockState.UNLOCKED_LOCK_N_GO,
    LockState.UNLATCHED,
    LockState.UNLATCHING,
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NukiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    async_add_described_entities(hass, entry, async_add_entities, (LOCK,), _lock_entity)


def _lock_entity(hub: DeviceHub, description: NukiEntityDescription) -> NukiLockEntity:
    if hub.device_type.is_opener:
        return NukiOpenerEntity(hub)
    return NukiSmartLockEntity(hub)


class NukiLockEntity(NukiEntity, LockEntity):
    """What smart locks and openers share: the built-in's unique id and name."""

    _attr_translation_key = "nuki_lock"
    _attr_name = None
    _attr_supported_features = LockEntityFeature.OPEN

    def __init__(self, hub: DeviceHub) -> None:
        super().__init__(hub)
        self._attr_unique_id = hub.unique_id_base

    @property
    def _transition(self) -> str | None:
        return self.hub.transition

    @property
    def is_locking(self) -> bool:
        return self._transition == LOCKING or self.device_state.is_locking

    @property
    def is_unlocking(self) -> bool:
        return self._transition == UNLOCKING or self.device_state.is_unlocking

    @property
    def is_opening(self) -> bool:
        return self._transition == OPENING or self.device_state.is_opening

    @property
    def is_open(self) -> bool:
        return self.device_state.is_open

    @property
    def is_jammed(self) -> bool:
        return self.device_state.is_jammed

    async def _command(self, action: LockAction | OpenerAction, transition: str | None) -> None:
        await self.hub.async_command(action, transition)

    async def async_lock_n_go(self, unlatch: bool = False) -> None:
        _LOGGER.debug("%s: lock 'n' go is for smart locks only, ignored", self.entity_id)

    async def async_set_continuous_mode(
        self, enabled: bool | None = None, enable: bool | None = None
    ) -> None:
        _LOGGER.debug("%s: continuous mode is for openers only, ignored", self.entity_id)

    async def async_full_lock(self) -> None:
        _LOGGER.debug(
            "%s: full lock is for Wi-Fi smart locks on MQTT only, ignored", self.entity_id
        )


class NukiSmartLockEntity(NukiLockEntity):
    @property
    def is_locked(self) -> bool | None:
        state = self.device_state.state
        if state == LockState.LOCKED:
            return True
        if state in _LOCK_UNLOCKED_STATES:
            return False
        # Uncalibrated, boot run, undefined: the bolt's position is unknown.
        return None

    @nuki_command
    async def async_lock(self, **kwargs: Any) -> None:
        await self._command(LockAction.LOCK, LOCKING)

    @nuki_command
    async def async_unlock(self, **kwargs: Any) -> None:
        await self._command(LockAction.UNLOCK, UNLOCKING)

    @nuki_command
    async def async_open(self, **kwargs: Any) -> None:
        await self._command(LockAction.UNLATCH, OPENING)

    @nuki_command
    async def async_lock_n_go(self, unlatch: bool = False) -> None:
        action = LockAction.LOCK_N_GO_UNLATCH if unlatch else LockAction.LOCK_N_GO
        await self._command(action, OPENING if unlatch else UNLOCKING)

    async def async_full_lock(self) -> None:
        if not self.hub.has_mqtt:
            # The bridge API has no full lock action.
            await super().async_full_lock()
            return
        await self._async_full_lock()

    @nuki_mqtt_command
    async def _async_full_lock(self) -> None:
        await self.hub.async_mqtt_only_command(LockAction.FULL_LOCK, LOCKING)


class NukiOpenerEntity(NukiLockEntity):
    """Unlocked while the next ring opens the door (ring to open or continuous mode)."""

    @property
    def is_locked(self) -> bool | None:
        # The library says what an opener's state means; unknown while it cannot tell.
        state = self.device_state
        return state.is_locked if state.opener_state_known else None

    @nuki_command
    async def async_lock(self, **kwargs: Any) -> None:
        # In continuous mode switching ring to open off would leave the door
        # opening on every ring: locking means continuous mode off then.
        action = (
            OpenerAction.DEACTIVATE_CONTINUOUS_MODE
            if self.device_state.continuous_mode
            else OpenerAction.DEACTIVATE_RTO
        )
        await self._command(action, LOCKING)

    @nuki_command
    async def async_unlock(self, **kwargs: Any) -> None:
        await self._command(OpenerAction.ACTIVATE_RTO, UNLOCKING)

    @nuki_command
    async def async_open(self, **kwargs: Any) -> None:
        await self._command(OpenerAction.ELECTRIC_STRIKE_ACTUATION, OPENING)

    @nuki_command
    async def async_set_continuous_mode(
        self, enabled: bool | None = None, enable: bool | None = None
    ) -> None:
        on = enabled if enabled is not None else bool(enable)
        if on:
            await self._command(OpenerAction.ACTIVATE_CONTINUOUS_MODE, UNLOCKING)
        else:
            await self._command(OpenerAction.DEACTIVATE_CONTINUOUS_MODE, LOCKING)
