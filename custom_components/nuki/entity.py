"""Base entities of the Nuki integration and the one place library errors become HA errors."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass
from functools import wraps
from typing import Any, cast
from weakref import WeakKeyDictionary

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
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
from nukilocal.models import DeviceState
from nukilocal.mqtt.protocol import describe_command_response

from .bridge import BridgeTransport
from .commands import TRANSPORT_MQTT
from .const import DOMAIN
from .hub import DeviceHub
from .hubs import async_get_data
from .identity import bridge_device_info


class NukiBridgeEntity(CoordinatorEntity[BridgeTransport]):
    """An entity of the bridge itself."""

    _attr_has_entity_name = True

    def __init__(self, transport: BridgeTransport, description: EntityDescription) -> None:
        super().__init__(transport)
        self.entity_description = description
        self._attr_unique_id = f"{transport.bridge_id}_{description.key}"
        self._attr_device_info = bridge_device_info(transport.bridge_id, transport.info)
        # How error messages name the bridge.
        self.bridge_name = str(self._attr_device_info.get("name") or transport.bridge_id)
        self._shown: tuple[bool, Any] | None = None

    @callback
    def _handle_coordinator_update(self) -> None:
        # Every device callback updates the coordinator; what the bridge's own
        # entities show changes rarely, and writing it anyway delays the next
        # state change of a lock behind three needless writes.
        shown = (self.available, self.state)
        if shown != self._shown:
            self._shown = shown
            self.async_write_ha_state()


class NukiEntity(Entity):
    """An entity of a lock or opener, whichever transports reach it (see hub.py)."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, hub: DeviceHub) -> None:
        self.hub = hub
        self._attr_device_info = hub.device_info()
        self._shown: tuple[bool, Any] | None = None

    @property
    def device_state(self) -> DeviceState:
        return self.hub.state

    @property
    def available(self) -> bool:
        return self.hub.available

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self.hub.async_add_listener(self._async_hub_changed))

    @callback
    def _async_hub_changed(self) -> None:
        # The hub tells every entity of the device about every change; most of
        # them show something else (a button, the battery): writing their
        # unchanged state anyway costs more than the change itself.
        shown = (self.available, self.state)
        if shown != self._shown:
            self._shown = shown
            self.async_write_ha_state()


class NukiDescribedEntity(NukiEntity):
    """An entity made from a description; unique id ``<nukiId>_<key>`` like the built-in."""

    entity_description: NukiEntityDescription

    def __init__(self, hub: DeviceHub, description: NukiEntityDescription) -> None:
        super().__init__(hub)
        self.entity_description = description
        self._attr_unique_id = f"{hub.unique_id_base}_{description.key}"

    @property
    def available(self) -> bool:
        return self.entity_description.available_fn(self.hub)


@callback
def async_add_device_entities(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[DeviceHub, set[str]], Iterable[Entity]],
) -> None:
    """Add the entities of every device this entry owns, and those that appear later.

    ``build`` gets a hub and the keys already added for it; it adds the keys of
    the entities it returns. It runs on every change of an owned hub, so an
    entity appears as soon as its device reports what it needs (a door sensor,
    the MQTT transport).
    """
    # By hub object: a device the bridge unpaired and lists again gets a new hub.
    added: WeakKeyDictionary[DeviceHub, set[str]] = WeakKeyDictionary()

    @callback
    def hub_changed(hub: DeviceHub) -> None:
        if new := list(build(hub, added.setdefault(hub, set()))):
            async_add_entities(new)

    entry.async_on_unload(
        async_get_data(hass).async_add_platform_listener(entry.entry_id, hub_changed)
    )


@dataclass(frozen=True, kw_only=True)
class NukiEntityDescription(EntityDescription):
    """A device entity's description; it exists for a device once ``exists_fn`` says so."""

    exists_fn: Callable[[DeviceHub], bool] = lambda _: True
    # What only one transport reports or carries out is available through it alone.
    available_fn: Callable[[DeviceHub], bool] = lambda hub: hub.available


@callback
def async_add_described_entities[D: NukiEntityDescription](
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: Iterable[D],
    make: Callable[[DeviceHub, D], Entity],
) -> None:
    """Per device, an entity for each description as soon as it exists for the device."""
    descriptions = tuple(descriptions)

    def build(hub: DeviceHub, added: set[str]) -> Iterator[Entity]:
        for description in descriptions:
            if description.key not in added and description.exists_fn(hub):
                added.add(description.key)
                yield make(hub, description)

    async_add_device_entities(hass, entry, async_add_entities, build)


type CommandMethod = Callable[..., Coroutine[Any, Any, None]]
# Whom a command is for (the ``name`` of the messages), and whether it goes over MQTT.
type CommandTarget = Callable[[Any], tuple[str, bool]]


def nuki_command[F: CommandMethod](func: F) -> F:
    """Turn library errors into translated errors that say what happened, and where."""
    return _translate_errors(func, _device_target(mqtt_only=False))


def nuki_mqtt_command[F: CommandMethod](func: F) -> F:
    """Like :func:`nuki_command` for actions only the MQTT API has."""
    return _translate_errors(func, _device_target(mqtt_only=True))


def nuki_bridge_command[F: CommandMethod](func: F) -> F:
    """Like :func:`nuki_command` for a command to the bridge itself (restart, ...)."""
    return _translate_errors(func, _bridge_target)


def _device_target(*, mqtt_only: bool) -> CommandTarget:
    def target(entity: NukiEntity) -> tuple[str, bool]:
        hub = entity.hub
        return hub.name, mqtt_only or hub.command_transport == TRANSPORT_MQTT

    return target


def _bridge_target(entity: NukiBridgeEntity) -> tuple[str, bool]:
    return entity.bridge_name, False


def _translate_errors[F: CommandMethod](func: F, target: CommandTarget) -> F:
    @wraps(func)
    async def handler(self: Entity, *args: Any, **kwargs: Any) -> None:
        # Decided before sending: the transport may change while the command runs.
        name, over_mqtt = target(self)
        placeholders = {"name": name}
        try:
            await func(self, *args, **kwargs)
        except NukiCommandRefusedError as err:
            if err.code is not None:
                info = describe_command_response(err.code)
                raise _error(
                    "mqtt_command_refused", placeholders, code=info.name, reason=info.message
                ) from err
            raise _error("command_refused", placeholders, message=err.message) from err
        except NukiBridgeBusyError as err:
            raise _error("bridge_busy", placeholders) from err
        except NukiOutcomeUnknownError as err:
            key = "mqtt_outcome_unknown" if over_mqtt else "outcome_unknown"
            raise _error(key, placeholders) from err
        except NukiTimeoutError as err:
            raise _error("timeout", placeholders) from err
        except NukiConnectionError as err:
            key = "mqtt_not_connected" if over_mqtt else "cannot_connect"
            raise _error(key, placeholders, error=str(err)) from err
        except NukiAuthError as err:
            raise _error("command_auth", placeholders) from err
        except NukiUnknownDeviceError as err:
            raise _error("unknown_device", placeholders) from err
        except NukiError as err:
            raise _error("command_failed", placeholders, error=str(err)) from err

    return cast(F, handler)


def _error(key: str, placeholders: dict[str, str], **extra: str) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={**placeholders, **extra},
    )
