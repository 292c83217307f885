"""Config flow for Nuki bridges and Wi-Fi locks.

Bridges: by hand, by DHCP discovery, re-authentication, reconfiguration; the
bridge's button instead of a token is in flow_button.py.
Wi-Fi locks on MQTT: by MQTT discovery (``nuki/+/deviceType``) or by lock id;
the steps after discovery are in flow_lock.py.

Entries keep the built-in integration's data keys (``host``, ``port``, ``token``,
``encrypt_token``) and its unique id, the bridge id in upper-case hex, so that
entries created by either integration work with the other. Very old built-in
entries carry the id as an int; they are recognised here and migrated by the
integration's set-up. New bridge entries are titled "Nuki Bridge <id>".

The token is never put into a flow result (no suggested value, no placeholder)
nor into a log line (see flow_helpers.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo

from nukilocal.const import DEFAULT_PORT, TokenMode
from nukilocal.discovery import parse_bridge_hostname
from nukilocal.models import BridgeInfo, hex_id
from nukilocal.mqtt.protocol import LockUpdate, MqttLock, parse_message

from .const import CONF_TOKEN_MODE, DOMAIN
from .entry_data import token_mode
from .flow_button import ButtonStepsMixin
from .flow_helpers import (
    async_probe,
    bridge_entry_data,
    bridge_title,
    connection_schema,
    form_placeholders,
    normalize_bridge_id,
    read_connection_input,
    token_data,
    token_schema,
    valid_token_length,
)
from .flow_lock import WifiLockStepsMixin
from .mqtt_lock import async_read_lock

MQTT_DOMAIN: Final = "mqtt"


class NukiConfigFlow(ButtonStepsMixin, WifiLockStepsMixin, domain=DOMAIN):
    """Set up a Nuki bridge or a Wi-Fi lock."""

    # The built-in integration's entry version: entries move between both unchanged.
    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        super().__init__()
        self._host: str | None = None
        self._port: int = DEFAULT_PORT
        self._token_mode: TokenMode = TokenMode.ENCRYPTED
        self._discovered_id: str | None = None

    # -- user step -----------------------------------------------------------

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A bridge by hand; with MQTT set up, first the choice of bridge or Wi-Fi lock."""
        if self.hass.config_entries.async_loaded_entries(MQTT_DOMAIN):
            return self.async_show_menu(menu_options=["bridge", "wifi_lock"])
        return await self.async_step_bridge(user_input)

    async def async_step_bridge(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Host, port and token typed in by the user, or the button instead of a token."""
        return await self._async_connection_form("bridge", user_input)

    async def _async_connection_form(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            host, port, token, mode, errors = read_connection_input(user_input)
            if not errors and port is not None:
                self._host, self._port, self._token_mode = host, port, mode
                if not token:
                    return await self._async_start_button(step_id)
                info, error = await async_probe(self.hass, host, port, token, mode)
                if info is not None:
                    return await self._async_create_or_abort(info, token)
                errors["base"] = error or "unknown"
        return self._show_connection_form(step_id, user_input, errors)

    def _show_connection_form(
        self, step_id: str, user_input: Mapping[str, Any] | None, errors: dict[str, str]
    ) -> ConfigFlowResult:
        suggested: dict[str, Any] = {}
        if self._host is not None:
            suggested = {CONF_HOST: self._host, CONF_PORT: self._port}
        if user_input is not None:
            # Everything but the token comes back into the form; the token never
            # leaves Home Assistant again, so the user types it anew.
            suggested = {k: v for k, v in user_input.items() if k != CONF_TOKEN}
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                connection_schema(token_mode=self._token_mode), suggested
            ),
            errors=errors,
            description_placeholders=self._placeholders(),
        )

    async def _async_create_or_abort(self, info: BridgeInfo, token: str) -> ConfigFlowResult:
        assert self._host is not None
        bridge_id = info.bridge_id
        updates = {CONF_HOST: self._host, CONF_PORT: self._port}
        self._abort_if_legacy_entry_configured(bridge_id, updates)
        # The discovered id may differ when the user typed another bridge's address.
        await self.async_set_unique_id(bridge_id, raise_on_progress=False)
        self._abort_if_unique_id_configured(updates=updates)
        return self.async_create_entry(
            title=bridge_title(bridge_id),
            data=bridge_entry_data(self._host, self._port, token, self._token_mode),
        )

    def _abort_if_legacy_entry_configured(self, bridge_id: str, updates: dict[str, Any]) -> None:
        """Like ``_abort_if_unique_id_configured`` for entries whose unique id is an int."""
        for entry in self._async_current_entries(include_ignore=True):
            if isinstance(entry.unique_id, str) or normalize_bridge_id(entry.unique_id) != (
                bridge_id
            ):
                continue
            if self.hass.config_entries.async_update_entry(
                entry, data={**entry.data, **updates}
            ) and entry.state in (ConfigEntryState.LOADED, ConfigEntryState.SETUP_RETRY):
                self.hass.config_entries.async_schedule_reload(entry.entry_id)
            raise AbortFlow("already_configured")

    # -- hooks of the button steps -------------------------------------------

    def _placeholders(self) -> dict[str, str]:
        return form_placeholders(self._discovered_id, self._host)

    def _show_form_again(self, step_id: str, errors: dict[str, str]) -> ConfigFlowResult:
        if step_id == "reauth_confirm":
            return self._show_token_form(step_id, errors)
        return self._show_connection_form(step_id, None, errors)

    async def _async_finish_with_token(self, info: BridgeInfo, token: str) -> ConfigFlowResult:
        if self.source == SOURCE_REAUTH:
            return self._async_finish_reauth(info, token)
        return await self._async_create_or_abort(info, token)

    # -- discovery -----------------------------------------------------------

    async def async_step_dhcp(self, discovery_info: DhcpServiceInfo) -> ConfigFlowResult:
        """A bridge announced itself on the network (hostname ``nuki_bridge_<hex id>``)."""
        bridge_id = parse_bridge_hostname(discovery_info.hostname)
        if bridge_id is None:
            return self.async_abort(reason="not_nuki_bridge")
        updates = {CONF_HOST: discovery_info.ip}
        self._abort_if_legacy_entry_configured(bridge_id, updates)
        await self.async_set_unique_id(bridge_id)
        self._abort_if_unique_id_configured(updates=updates)
        self._discovered_id = bridge_id
        self._host = discovery_info.ip
        self.context["title_placeholders"] = {"name": bridge_title(bridge_id)}
        return await self.async_step_dhcp_confirm()

    async def async_step_dhcp_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The discovered bridge with its address filled in; the user adds the token."""
        return await self._async_connection_form("dhcp_confirm", user_input)

    async def async_step_mqtt(self, discovery_info: MqttServiceInfo) -> ConfigFlowResult:
        """A lock published ``nuki/<id>/deviceType`` (retained, so also every lock seen before)."""
        message = parse_message(discovery_info.topic, discovery_info.payload)
        if not isinstance(message, LockUpdate) or message.device_type is None:
            return self.async_abort(reason="invalid_discovery_info")
        await self.async_set_unique_id(hex_id(message.nuki_id))
        self._abort_if_unique_id_configured()
        lock = await async_read_lock(self.hass, message.nuki_id) or MqttLock(
            nuki_id=message.nuki_id
        )
        self._lock = lock.apply(message)
        self.context["title_placeholders"] = {"name": self._lock.name or self._lock.hex_id}
        return await self.async_step_mqtt_confirm()

    # -- re-authentication ---------------------------------------------------

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The bridge refused the stored token."""
        entry = self._get_reauth_entry()
        self._host = entry.data[CONF_HOST]
        self._port = entry.data.get(CONF_PORT, DEFAULT_PORT)
        self._token_mode = token_mode(entry.data)
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new token, or the button; the token mode may change too."""
        errors: dict[str, str] = {}
        if user_input is not None:
            assert self._host is not None
            token = str(user_input.get(CONF_TOKEN) or "").strip()
            self._token_mode = TokenMode(user_input.get(CONF_TOKEN_MODE, self._token_mode))
            if not token:
                return await self._async_start_button("reauth_confirm")
            if not valid_token_length(token):
                errors[CONF_TOKEN] = "invalid_token_length"
            else:
                info, error = await async_probe(
                    self.hass, self._host, self._port, token, self._token_mode
                )
                if info is not None:
                    return self._async_finish_reauth(info, token)
                errors["base"] = error or "unknown"
        return self._show_token_form("reauth_confirm", errors)

    def _show_token_form(self, step_id: str, errors: dict[str, str]) -> ConfigFlowResult:
        return self.async_show_form(
            step_id=step_id,
            data_schema=token_schema(token_mode=self._token_mode),
            errors=errors,
            description_placeholders={
                **self._placeholders(),
                "name": self._get_reauth_entry().title,
            },
        )

    def _async_finish_reauth(self, info: BridgeInfo, token: str) -> ConfigFlowResult:
        entry = self._get_reauth_entry()
        self._abort_if_other_bridge(entry, info)
        return self.async_update_reload_and_abort(
            entry, data_updates=token_data(token, self._token_mode)
        )

    def _abort_if_other_bridge(self, entry: ConfigEntry, info: BridgeInfo) -> None:
        expected = normalize_bridge_id(entry.unique_id)
        # An entry without unique id cannot be checked; whatever answers is taken.
        if expected is not None and expected != info.bridge_id:
            raise AbortFlow("wrong_bridge", {"expected_id": expected, "found_id": info.bridge_id})

    # -- reconfiguration -----------------------------------------------------

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """New address, port, token or token mode for the same bridge.

        An empty token keeps the stored one.
        """
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is None:
            self._host = entry.data[CONF_HOST]
            self._port = entry.data.get(CONF_PORT, DEFAULT_PORT)
            self._token_mode = token_mode(entry.data)
        else:
            host, port, token, mode, errors = read_connection_input(user_input)
            token = token or entry.data[CONF_TOKEN]
            if not errors and port is not None:
                self._token_mode = mode
                info, error = await async_probe(self.hass, host, port, token, mode)
                if info is not None:
                    self._abort_if_other_bridge(entry, info)
                    return self.async_update_reload_and_abort(
                        entry, data_updates=bridge_entry_data(host, port, token, mode)
                    )
                errors["base"] = error or "unknown"
        return self._show_connection_form("reconfigure", user_input, errors)
