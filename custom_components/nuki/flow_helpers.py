"""The config flow's forms, input checks and bridge probe, without the flow's state.

The token is never put into a flow result (no suggested value, no placeholder)
nor into a log line: library messages never contain it, and messages of other
exceptions are redacted before logging.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Mapping
from typing import Any, Final

import voluptuous as vol
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN
from homeassistant.core import HomeAssistant
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

from nukilocal.client import BridgeClient
from nukilocal.const import (
    AUTH_BUTTON_SECONDS,
    DEFAULT_PORT,
    TOKEN_MAX_LENGTH,
    TOKEN_MIN_LENGTH,
    TokenMode,
)
from nukilocal.exceptions import NukiAuthError, NukiConnectionError, NukiError
from nukilocal.models import BridgeInfo

from .const import CONF_ENCRYPT_TOKEN, CONF_TOKEN_MODE

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


def connection_schema(*, token_mode: TokenMode) -> vol.Schema:
    """Host, port, token and token mode; an empty token means "press the button"."""
    return vol.Schema(
        {
            vol.Required(CONF_HOST): _HOST_SELECTOR,
            vol.Required(CONF_PORT, default=DEFAULT_PORT): _PORT_SELECTOR,
            vol.Optional(CONF_TOKEN): _TOKEN_SELECTOR,
            vol.Required(CONF_TOKEN_MODE, default=token_mode): _TOKEN_MODE_SELECTOR,
        }
    )


def token_schema(*, token_mode: TokenMode) -> vol.Schema:
    """Token and token mode, for re-authentication."""
    return vol.Schema(
        {
            vol.Optional(CONF_TOKEN): _TOKEN_SELECTOR,
            vol.Required(CONF_TOKEN_MODE, default=token_mode): _TOKEN_MODE_SELECTOR,
        }
    )


def bridge_title(bridge_id: str) -> str:
    """The name of a bridge in the discovery card and the title of a new bridge entry."""
    return f"Nuki Bridge {bridge_id}"


def form_placeholders(bridge_id: str | None, host: str | None) -> dict[str, str]:
    """The placeholders of the bridge forms and the button step."""
    return {
        "bridge_id": bridge_id or "",
        "host": host or "",
        "min_length": str(TOKEN_MIN_LENGTH),
        "max_length": str(TOKEN_MAX_LENGTH),
        "button_seconds": str(AUTH_BUTTON_SECONDS),
    }


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


def valid_host(host: str) -> bool:
    """An IP address or a host name; not a URL, not ``host:port``."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return True
    labels = host.removesuffix(".").split(".")
    return len(host) <= 253 and all(_HOST_LABEL.match(label) for label in labels)


def clean_host(raw: object) -> str:
    """The host field without surrounding spaces or the brackets of an IPv6 address."""
    host = str(raw or "").strip()
    # A bracketed IPv6 address is what users copy from a browser's address bar.
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def clean_port(raw: object) -> int | None:
    """The port field as a port number, or None when it is none."""
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not value.is_integer() or not PORT_MIN <= value <= PORT_MAX:
        return None
    return int(value)


def valid_token_length(token: str) -> bool:
    return TOKEN_MIN_LENGTH <= len(token) <= TOKEN_MAX_LENGTH


def read_connection_input(
    user_input: Mapping[str, Any],
) -> tuple[str, int | None, str, TokenMode, dict[str, str]]:
    """Host, port, token (empty: none given) and mode of a form, with field errors."""
    host = clean_host(user_input.get(CONF_HOST))
    port = clean_port(user_input.get(CONF_PORT, DEFAULT_PORT))
    token = str(user_input.get(CONF_TOKEN) or "").strip()
    mode = TokenMode(user_input.get(CONF_TOKEN_MODE, TokenMode.ENCRYPTED))
    errors: dict[str, str] = {}
    if not valid_host(host):
        errors[CONF_HOST] = "invalid_host"
    if port is None:
        errors[CONF_PORT] = "invalid_port"
    if token and not valid_token_length(token):
        errors[CONF_TOKEN] = "invalid_token_length"
    return host, port, token, mode, errors


def token_data(token: str, mode: TokenMode) -> dict[str, Any]:
    """The token keys of a bridge entry's data."""
    # encrypt_token is what the built-in integration reads: keep it in step with token_mode.
    return {
        CONF_TOKEN: token,
        CONF_ENCRYPT_TOKEN: mode is TokenMode.ENCRYPTED,
        CONF_TOKEN_MODE: str(mode),
    }


def bridge_entry_data(host: str, port: int, token: str, mode: TokenMode) -> dict[str, Any]:
    """A bridge entry's data, with the built-in integration's keys."""
    return {CONF_HOST: host, CONF_PORT: port, **token_data(token, mode)}


def redact(message: str, token: str | None) -> str:
    return message.replace(token, "**REDACTED**") if token else message


def bridge_client(
    hass: HomeAssistant, host: str, port: int, token: str | None, mode: TokenMode
) -> BridgeClient:
    return BridgeClient(host, port, token, token_mode=mode, session=async_get_clientsession(hass))


async def async_probe(
    hass: HomeAssistant, host: str, port: int, token: str, mode: TokenMode
) -> tuple[BridgeInfo | None, str | None]:
    """Ask the bridge for ``/info`` with this token: its answer, or an error key."""
    try:
        return await bridge_client(hass, host, port, token, mode).info(), None
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
            redact(str(err), token),
        )
        return None, "unknown"
