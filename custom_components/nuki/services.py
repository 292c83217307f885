"""The entity services, registered once in ``async_setup``, independent of config entries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import voluptuous as vol
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import entity_platform, service
from homeassistant.helpers.typing import VolSchemaType

from .const import (
    ATTR_ENABLE,
    ATTR_ENABLED,
    ATTR_UNLATCH,
    DOMAIN,
    SERVICE_FULL_LOCK,
    SERVICE_LOCK_N_GO,
    SERVICE_SET_CONTINUOUS_MODE,
)

# Home Assistant 2025.10 and later: services that find the entities of one
# integration's platform by themselves.
_REGISTER_PLATFORM_ENTITY_SERVICE: Callable[..., None] | None = getattr(
    service, "async_register_platform_entity_service", None
)

# Service name -> (schema, name of the lock entity's method that carries it out).
SERVICES: dict[str, tuple[VolSchemaType, str]] = {
    SERVICE_LOCK_N_GO: (
        cv.make_entity_service_schema({vol.Optional(ATTR_UNLATCH, default=False): cv.boolean}),
        "async_lock_n_go",
    ),
    SERVICE_SET_CONTINUOUS_MODE: (
        vol.All(
            cv.make_entity_service_schema(
                {
                    vol.Exclusive(ATTR_ENABLED, "enabled"): cv.boolean,
                    vol.Exclusive(ATTR_ENABLE, "enabled"): cv.boolean,
                }
            ),
            cv.has_at_least_one_key(ATTR_ENABLED, ATTR_ENABLE),
        ),
        "async_set_continuous_mode",
    ),
    SERVICE_FULL_LOCK: (cv.make_entity_service_schema({}), "async_full_lock"),
}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the services of the lock entities, once for the integration."""
    for name, (schema, method) in SERVICES.items():
        if _REGISTER_PLATFORM_ENTITY_SERVICE is not None:
            _REGISTER_PLATFORM_ENTITY_SERVICE(
                hass, DOMAIN, name, entity_domain=Platform.LOCK, func=method, schema=schema
            )
        else:
            # Before 2025.10: the same registration the lock platform would make,
            # over the table of this integration's lock entities that Home
            # Assistant keeps and the platform fills as entities are added.
            service.async_register_entity_service(
                hass,
                DOMAIN,
                name,
                entities=_platform_entities(hass),
                func=method,
                job_type=None,
                schema=schema,
            )


def _platform_entities(hass: HomeAssistant) -> dict[str, Any]:
    tables = hass.data.setdefault(entity_platform.DATA_DOMAIN_PLATFORM_ENTITIES, {})
    entities: dict[str, Any] = tables.setdefault((Platform.LOCK, DOMAIN), {})
    return entities
