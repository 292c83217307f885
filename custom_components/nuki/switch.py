"""The opener's Ring to Open and continuous mode as switches.

The two are separate on the opener and here: "Ring to open" is the
time-limited Ring to Open (off in continuous mode, whatever state the opener
reports then: some report 3, some 1), "Continuous mode" the mode. The lock
entity is unlocked while either of them makes the next ring open the door.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from nukilocal.const import OpenerAction
from nukilocal.models import DeviceState

from .commands import LOCKING, UNLOCKING
from .entity import (
    NukiDescribedEntity,
    NukiEntityDescription,
    async_add_described_entities,
    nuki_command,
)
from .runtime import NukiConfigEntry

# Commands queue in the transports: one at a time per bridge.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class NukiSwitchEntityDescription(SwitchEntityDescription, NukiEntityDescription):
    """On and off are opener actions; the transitions are the lock entity's for them."""

    is_on_fn: Callable[[DeviceState], bool | None]
    turn_on: OpenerAction
    turn_off: OpenerAction


def _continuous_mode(state: DeviceState) -> bool | None:
    return None if state.mode is None else state.continuous_mode


SWITCHES: tuple[NukiSwitchEntityDescription, ...] = (
    NukiSwitchEntityDescription(
        key="ring_to_open",
        translation_key="ring_to_open",
        is_on_fn=lambda state: state.ring_to_open,
        turn_on=OpenerAction.ACTIVATE_RTO,
        turn_off=OpenerAction.DEACTIVATE_RTO,
        exists_fn=lambda hub: hub.device_type.is_opener,
    ),
    NukiSwitchEntityDescription(
        key="continuous_mode",
        translation_key="continuous_mode",
        is_on_fn=_continuous_mode,
        turn_on=OpenerAction.ACTIVATE_CONTINUOUS_MODE,
        turn_off=OpenerAction.DEACTIVATE_CONTINUOUS_MODE,
        exists_fn=lambda hub: hub.device_type.is_opener,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: NukiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    async_add_described_entities(hass, entry, async_add_entities, SWITCHES, NukiSwitch)


class NukiSwitch(NukiDescribedEntity, SwitchEntity):
    entity_description: NukiSwitchEntityDescription

    @property
    def is_on(self) -> bool | None:
        state = self.device_state
        value = self.entity_description.is_on_fn(state)
        if value is None and (state.is_opening or state.is_open):
            # The electric strike buzzing says nothing about Ring to Open: it
            # shows what it showed before until the opener says more.
            return self._attr_is_on
        self._attr_is_on = value
        return value

    @nuki_command
    async def async_turn_on(self, **kwargs: Any) -> None:
        await self.hub.async_command(self.entity_description.turn_on, UNLOCKING)

    @nuki_command
    async def async_turn_off(self, **kwargs: Any) -> None:
        await self.hub.async_command(self.entity_description.turn_off, LOCKING)
