"""Config flow steps of Wi-Fi locks on MQTT.

Unique id the lock's id in upper-case hex, data only that id. The discovery
step itself, ``async_step_mqtt``, is in config_flow.py, where hassfest looks
for it; it hands over to ``async_step_mqtt_confirm`` here.
"""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers.selector import TextSelector

from nukilocal.models import hex_id
from nukilocal.mqtt.protocol import MqttLock, parse_lock_id

from .const import CONF_LOCK_ID
from .mqtt_lock import async_read_lock


class WifiLockStepsMixin(ConfigFlow):
    """Add a Wi-Fi lock by its id or confirm a discovered one.

    A mixin of ``NukiConfigFlow``; without a domain it registers no flow.
    """

    def __init__(self) -> None:
        super().__init__()
        # The discovered lock, shown for confirmation.
        self._lock: MqttLock | None = None

    async def async_step_wifi_lock(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A Wi-Fi lock by its id, for brokers where discovery did not find it."""
        errors: dict[str, str] = {}
        if user_input is not None:
            nuki_id = parse_lock_id(str(user_input.get(CONF_LOCK_ID) or ""))
            if nuki_id is None:
                errors[CONF_LOCK_ID] = "invalid_lock_id"
            else:
                await self.async_set_unique_id(hex_id(nuki_id), raise_on_progress=False)
                self._abort_if_unique_id_configured()
                if not await mqtt.async_wait_for_mqtt_client(self.hass):
                    errors["base"] = "mqtt_not_available"
                elif (lock := await async_read_lock(self.hass, nuki_id)) is None:
                    errors["base"] = "lock_not_found"
                else:
                    return self._async_create_lock_entry(lock)
        return self.async_show_form(
            step_id="wifi_lock",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema({vol.Required(CONF_LOCK_ID): TextSelector()}), user_input
            ),
            errors=errors,
        )

    async def async_step_mqtt_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The discovered lock with its name, model and firmware; the user confirms."""
        assert self._lock is not None
        if user_input is not None:
            return self._async_create_lock_entry(self._lock)
        self._set_confirm_only()
        lock = self._lock
        return self.async_show_form(
            step_id="mqtt_confirm",
            description_placeholders={
                "name": lock.name or lock.hex_id,
                "model": lock.device_type.model,
                "lock_id": lock.hex_id,
                "firmware": lock.firmware or "?",
            },
        )

    def _async_create_lock_entry(self, lock: MqttLock) -> ConfigFlowResult:
        return self.async_create_entry(
            title=lock.name or f"Nuki {lock.hex_id}", data={CONF_LOCK_ID: lock.hex_id}
        )
