"""Config flow for Nuki bridges and Wi-Fi locks.

Bridges: by hand, by DHCP discovery, re-authentication, reconfiguration.
Wi-Fi locks on MQTT: by MQTT discovery (``nuki/+/deviceType``) or by lock id;
unique id the lock's id in upper-case hex, data only that id.

Entries keep the built-in integration's data keys (``host``, ``port``, ``token``,
``encrypt_token``) and its unique id, the bridge id in upper-case hex, so that
entries created by either integration work with the other. Very old built-in
entries carry the id as an int; they are recognised here and migrated by the
integration's set-up.

The token is never put into a flow result (no suggested value, no placeholder)
nor into a log line: library messages never contain it, and messages of other
exceptions are redacted before logging.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
from collections.abc import Mapping
from typing import Any, Final

import voluptuous as vol
from homeassistant.components import mqtt
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo

from nukilocal.client import BridgeClient
from nukilocal.const import AUTH_BUTTON_SECONDS, TOKEN_MAX_LENGTH, TOKEN_MIN_LENGTH, TokenMode
from nukilocal.discovery import parse_bridge_hostname
from nukilocal.exceptions import (
    NukiAuthError,
    NukiCommandRefusedError,
    NukiConnectionError,
    NukiError,
)
from nukilocal.models import BridgeInfo, hex_id
from nukilocal.mqtt.protocol import LockUpdate, MqttLock, parse_lock_id, parse_message

from .const import CONF_ENCRYPT_TOKEN, CONF_LOCK_ID, CONF_TOKEN_MODE, DEFAULT_PORT, DOMAIN
from .mqtt_lock import async_read_lock

MQTT_DOMAIN: Final = "mqtt"

_LOGGER = logging.getLogger(__name__)

PORT_MIN: Final = 1
PORT_MAX: Final = 65535

_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$", re.IGNORECASE)

_HOST_SELECTOR = TextSelector()
_PORT_SELECTOR = NumberSelector(NumberSelectorConfig(mode=NumberSelectorMode.BOX, step=1))
_TOKEN_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
# Labels: "selector" > "token_mode" in strings.json.
_TOKEN_MODE_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=[str(mode) for mode in TokenMode],
        mode=SelectSelectorMode.DROPDOWN,
        translation_key="token_mode",
    )
)


def _connection_schema(*, token_mode: TokenMode) -> vol.Schema:
    """Host, port, token and token mode; an empty token means "press the button"."""
    return vol.Schema(
        {
            vol.Required(CONF_HOST): _HOST_SELECTOR,
            vol.Required(CONF_PORT, default=DEFAULT_PORT): _PORT_SELECTOR,
            vol.Optional(CONF_TOKEN): _TOKEN_SELECTOR,
            vol.Required(CONF_TOKEN_MODE, default=token_mode): _TOKEN_MODE_SELECTOR,
        }
    )


def _token_schema(*, token_mode: TokenMode) -> vol.Schema:
    return vol.Schema(
        {
            vol.Optional(CONF_TOKEN): _TOKEN_SELECTOR,
            vol.Required(CONF_TOKEN_MODE, default=token_mode): _TOKEN_MODE_SELECTOR,
        }
    )


def normalize_bridge_id(unique_id: object) -> str | None:
    """The bridge id of an entry's unique id, whichever form the entry was created with.

    Built-in entries from before 2021 stored ``hardwareId`` as an int.
    """
    if isinstance(unique_id, bool):
        return None
    if isinstance(unique_id, int):
        return f"{unique_id:X}"
    if isinstance(unique_id, str) and unique_id:
        return unique_id.upper()
    return None


def entry_token_mode(data: Mapping[str, Any]) -> TokenMode:
    """The token mode of an entry; built-in entries only have ``encrypt_token``."""
    try:
        return TokenMode(data[CONF_TOKEN_MODE])
    except (KeyError, ValueError):
        return TokenMode.ENCRYPTED if data.get(CONF_ENCRYPT_TOKEN, True) else TokenMode.PLAIN


def _valid_host(host: str) -> bool:
    """An IP address or a host name; not a URL, not ``host:port``."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return True
    labels = host.removesuffix(".").split(".")
    return len(host) <= 253 and all(_HOST_LABEL.match(label) for label in labels)


def _clean_host(raw: object) -> str:
    host = str(raw or "").strip()
    # A bracketed IPv6 address is what users copy from a browser's address bar.
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def _clean_port(raw: object) -> int | None:
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not value.is_integer() or not PORT_MIN <= value <= PORT_MAX:
        return None
    return int(value)


def _read_connection_input(
    user_input: Mapping[str, Any],
) -> tuple[str, int | None, str, TokenMode, dict[str, str]]:
    """Host, port, token (empty: none given) and mode of a form, with field errors."""
    host = _clean_host(user_input.get(CONF_HOST))
    port = _clean_port(user_input.get(CONF_PORT, DEFAULT_PORT))
    token = str(user_input.get(CONF_TOKEN) or "").strip()
    mode = TokenMode(user_input.get(CONF_TOKEN_MODE, TokenMode.ENCRYPTED))
    errors: dict[str, str] = {}
    if not _valid_host(host):
        errors[CONF_HOST] = "invalid_host"
    if port is None:
        errors[CONF_PORT] = "invalid_port"
    if token and not TOKEN_MIN_LENGTH <= len(token) <= TOKEN_MAX_LENGTH:
        errors[CONF_TOKEN] = "invalid_token_length"
    return host, port, token, mode, errors


def _entry_data(host: str, port: int, token: str, mode: TokenMode) -> dict[str, Any]:
    # encrypt_token is what the built-in integration reads: keep it in step with token_mode.
    return {
        CONF_HOST: host,
        CONF_PORT: port,
        CONF_TOKEN: token,
        CONF_ENCRYPT_TOKEN: mode is TokenMode.ENCRYPTED,
        CONF_TOKEN_MODE: str(mode),
    }


def _redact(message: str, token: str | None) -> str:
    return message.replace(token, "**REDACTED**") if token else message


class NukiConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a Nuki bridge."""

    # The built-in integration's entry version: entries move between both unchanged.
    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        self._host: str | None = None
        self._port: int = DEFAULT_PORT
        self._token_mode: TokenMode = TokenMode.ENCRYPTED
        self._discovered_id: str | None = None
        # The form the button path returns to, with an error, when it fails.
        self._form_step: str = "bridge"
        self._auth_task: asyncio.Task[str] | None = None
        self._button_error: str | None = None
        self._obtained_token: str | None = None
        self._lock: MqttLock | None = None

    # -- talking to the bridge ---------------------------------------------

    def _client(self, host: str, port: int, token: str | None, mode: TokenMode) -> BridgeClient:
        return BridgeClient(
            host, port, token, token_mode=mode, session=async_get_clientsession(self.hass)
        )

    async def _async_probe(
        self, host: str, port: int, token: str, mode: TokenMode
    ) -> tuple[BridgeInfo | None, str | None]:
        """Ask the bridge for ``/info`` with this token: its answer, or an error key."""
        try:
            return await self._client(host, port, token, mode).info(), None
        except NukiAuthError as err:
            _LOGGER.debug("Bridge %s:%s refused the token: %s", host, port, err)
            # A 401 with an encrypted or hashed token cannot tell a wrong token
            # from clocks that differ; the error text names both causes.
            return None, "clock_out_of_sync" if err.clock_may_differ else "invalid_auth"
        except NukiConnectionError as err:
            _LOGGER.debug("Cannot reach bridge %s:%s: %s", host, port, err)
            return None, "cannot_connect"
        except NukiError as err:
            _LOGGER.warning("Unexpected answer from bridge %s:%s: %s", host, port, err)
            return None, "unknown"
        except Exception as err:  # the form must stay usable whatever happened
            # No traceback: frames and messages of foreign exceptions may hold the token.
            _LOGGER.error(
                "Unexpected error while checking bridge %s:%s: %s: %s",
                host,
                port,
                type(err).__name__,
                _redact(str(err), token),
            )
            return None, "unknown"

    # -- user step -----------------------------------------------------------

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A bridge by hand; with MQTT set up, first the choice of bridge or Wi-Fi lock."""
        if self.hass.config_entries.async_loaded_entries(MQTT_DOMAIN):
            return self.async_show_menu(menu_options=["bridge", "wifi_lock"])
        return await self.async_step_bridge(user_input)

    async def async_step_bridge(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Host, port and token typed in by the user, or the button instead of a token."""
        return await self._async_connection_form("bridge", user_input)

    # -- Wi-Fi locks on MQTT -------------------------------------------------

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

    async def async_step_mqtt_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
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

    async def _async_connection_form(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            host, port, token, mode, errors = _read_connection_input(user_input)
            if not errors and port is not None:
                self._host, self._port, self._token_mode = host, port, mode
                if not token:
                    self._form_step = step_id
                    return await self.async_step_button()
                info, error = await self._async_probe(host, port, token, mode)
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
                _connection_schema(token_mode=self._token_mode), suggested
            ),
            errors=errors,
            description_placeholders=self._placeholders(),
        )

    def _placeholders(self) -> dict[str, str]:
        return {
            "bridge_id": self._discovered_id or "",
            "host": self._host or "",
            "min_length": str(TOKEN_MIN_LENGTH),
            "max_length": str(TOKEN_MAX_LENGTH),
            "button_seconds": str(AUTH_BUTTON_SECONDS),
        }

    async def _async_create_or_abort(self, info: BridgeInfo, token: str) -> ConfigFlowResult:
        assert self._host is not None
        bridge_id = info.bridge_id
        updates = {CONF_HOST: self._host, CONF_PORT: self._port}
        self._abort_if_legacy_entry_configured(bridge_id, updates)
        # The discovered id may differ when the user typed another bridge's address.
        await self.async_set_unique_id(bridge_id, raise_on_progress=False)
        self._abort_if_unique_id_configured(updates=updates)
        return self.async_create_entry(
            title=bridge_id,
            data=_entry_data(self._host, self._port, token, self._token_mode),
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

    # -- button: obtain a token with /auth -----------------------------------

    async def async_step_button(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Tell the user to go to the bridge, then run ``/auth`` while they press its button.

        One step for both because Home Assistant re-enters the step that showed
        the progress when the task ends: a running or finished task tells the
        two calls apart from the first one, which shows the form.
        """
        if self._auth_task is None:
            if user_input is None:
                errors = {"base": self._button_error} if self._button_error else {}
                self._button_error = None
                return self.async_show_form(
                    step_id="button",
                    data_schema=vol.Schema({}),
                    errors=errors,
                    description_placeholders=self._placeholders(),
                )
            assert self._host is not None
            # The 30 s of the bridge start now, not when the form was shown.
            self._auth_task = self.hass.async_create_task(
                self._client(self._host, self._port, None, self._token_mode).request_token(),
                "nuki bridge token request",
            )
        if not self._auth_task.done():
            return self.async_show_progress(
                progress_action="press_button",
                progress_task=self._auth_task,
                description_placeholders=self._placeholders(),
            )
        task, self._auth_task = self._auth_task, None
        try:
            self._obtained_token = task.result()
        except NukiCommandRefusedError:
            self._button_error = "button_not_pressed"
        except NukiConnectionError as err:
            _LOGGER.debug("Token request to %s failed: %s", self._host, err)
            self._button_error = "cannot_connect"
        except NukiError as err:
            _LOGGER.warning("Token request to %s failed: %s", self._host, err)
            self._button_error = "unknown"
        except Exception as err:  # the flow must stay usable whatever happened
            _LOGGER.error(
                "Unexpected error while requesting a token from %s: %s",
                self._host,
                type(err).__name__,
            )
            self._button_error = "unknown"
        if self._button_error == "button_not_pressed":
            return self.async_show_progress_done(next_step_id="button")
        if self._button_error is not None:
            # Pressing again cannot help when the address is wrong: back to the form.
            return self.async_show_progress_done(next_step_id="button_failed")
        return self.async_show_progress_done(next_step_id="button_finish")

    async def async_step_button_failed(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        error, self._button_error = self._button_error or "unknown", None
        return await self._async_back_to_form({"base": error})

    async def async_step_button_finish(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Check the new token like a typed one, then finish as the flow's source asks."""
        assert self._host is not None
        assert self._obtained_token is not None
        token, self._obtained_token = self._obtained_token, None
        info, error = await self._async_probe(self._host, self._port, token, self._token_mode)
        if info is None:
            # The new token is valid on the bridge, but checking it failed (most
            # likely the clock): back to the form, where another mode can be chosen.
            return await self._async_back_to_form({"base": error or "unknown"})
        if self.source == SOURCE_REAUTH:
            return self._async_finish_reauth(info, token)
        return await self._async_create_or_abort(info, token)

    async def _async_back_to_form(self, errors: dict[str, str]) -> ConfigFlowResult:
        if self._form_step == "reauth_confirm":
            return self._show_token_form("reauth_confirm", errors)
        return self._show_connection_form(self._form_step, None, errors)

    # -- DHCP ----------------------------------------------------------------

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
        self.context["title_placeholders"] = {"name": f"Nuki Bridge {bridge_id}"}
        return await self.async_step_dhcp_confirm()

    async def async_step_dhcp_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The discovered bridge with its address filled in; the user adds the token."""
        return await self._async_connection_form("dhcp_confirm", user_input)

    # -- re-authentication ---------------------------------------------------

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The bridge refused the stored token."""
        entry = self._get_reauth_entry()
        self._host = entry.data[CONF_HOST]
        self._port = entry.data.get(CONF_PORT, DEFAULT_PORT)
        self._token_mode = entry_token_mode(entry.data)
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            assert self._host is not None
            token = str(user_input.get(CONF_TOKEN) or "").strip()
            self._token_mode = TokenMode(user_input.get(CONF_TOKEN_MODE, self._token_mode))
            if not token:
                self._form_step = "reauth_confirm"
                return await self.async_step_button()
            if not TOKEN_MIN_LENGTH <= len(token) <= TOKEN_MAX_LENGTH:
                errors[CONF_TOKEN] = "invalid_token_length"
            else:
                info, error = await self._async_probe(
                    self._host, self._port, token, self._token_mode
                )
                if info is not None:
                    return self._async_finish_reauth(info, token)
                errors["base"] = error or "unknown"
        return self._show_token_form("reauth_confirm", errors)

    def _show_token_form(self, step_id: str, errors: dict[str, str]) -> ConfigFlowResult:
        return self.async_show_form(
            step_id=step_id,
            data_schema=_token_schema(token_mode=self._token_mode),
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
            entry,
            data_updates={
                CONF_TOKEN: token,
                CONF_ENCRYPT_TOKEN: self._token_mode is TokenMode.ENCRYPTED,
                CONF_TOKEN_MODE: str(self._token_mode),
            },
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
            self._token_mode = entry_token_mode(entry.data)
        else:
            host, port, token, mode, errors = _read_connection_input(user_input)
            token = token or entry.data[CONF_TOKEN]
            if not errors and port is not None:
                self._token_mode = mode
                info, error = await self._async_probe(host, port, token, mode)
                if info is not None:
                    self._abort_if_other_bridge(entry, info)
                    return self.async_update_reload_and_abort(
                        entry, data_updates=_entry_data(host, port, token, mode)
                    )
                errors["base"] = error or "unknown"
        return self._show_connection_form("reconfigure", user_input, errors)
