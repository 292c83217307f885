"""Config flow steps that obtain a token with the bridge's button (``/auth``).

The new token never appears in a flow result nor in a log line.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult

from nukilocal.const import TokenMode
from nukilocal.exceptions import NukiCommandRefusedError, NukiConnectionError, NukiError
from nukilocal.models import BridgeInfo

from .flow_helpers import async_probe, bridge_client

_LOGGER = logging.getLogger(__name__)


def _token_request_error(task: asyncio.Task[str], host: str | None) -> str | None:
    """The error key of a finished token request, None when it brought a token."""
    try:
        task.result()
    except NukiCommandRefusedError:
        return "button_not_pressed"
    except NukiConnectionError as err:
        _LOGGER.debug("Token request to %s failed: %s", host, err)
        return "cannot_connect"
    except NukiError as err:
        _LOGGER.warning("Token request to %s failed: %s", host, err)
        return "unknown"
    except Exception as err:  # the flow must stay usable whatever happened
        # Only the type: the message of a foreign exception may hold the token.
        _LOGGER.error(
            "Unexpected error while requesting a token from %s: %s", host, type(err).__name__
        )
        return "unknown"
    return None


class ButtonStepsMixin(ConfigFlow, ABC):
    """Press the bridge's button instead of typing the token.

    A mixin of ``NukiConfigFlow``; without a domain it registers no flow. The
    flow's forms set the bridge's address and token mode, then call
    ``_async_start_button``; the flow provides the hooks below.
    """

    _host: str | None
    _port: int
    _token_mode: TokenMode

    def __init__(self) -> None:
        super().__init__()
        # The form the button path returns to, with an error, when it fails.
        self._form_step = "bridge"
        self._auth_task: asyncio.Task[str] | None = None
        self._button_error: str | None = None
        self._obtained_token: str | None = None

    @abstractmethod
    def _placeholders(self) -> dict[str, str]:
        """The description placeholders of the bridge's forms."""

    @abstractmethod
    def _show_form_again(self, step_id: str, errors: dict[str, str]) -> ConfigFlowResult:
        """The form ``step_id``, which started the button path, with ``errors``."""

    @abstractmethod
    async def _async_finish_with_token(self, info: BridgeInfo, token: str) -> ConfigFlowResult:
        """Finish as the flow's source asks, with a token the bridge accepted."""

    async def _async_start_button(self, form_step: str) -> ConfigFlowResult:
        """The button path instead of a token typed into the form ``form_step``."""
        self._form_step = form_step
        return await self.async_step_button()

    async def async_step_button(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Tell the user to go to the bridge, then run ``/auth`` while they press its button.

        One step for both because Home Assistant re-enters the step that showed
        the progress when the task ends: a running or finished task tells the
        two calls apart from the first one, which shows the form.
        """
        if self._auth_task is None:
            if user_input is None:
                return self._show_button_form()
            assert self._host is not None
            # The 30 s of the bridge start now, not when the form was shown.
            self._auth_task = self.hass.async_create_task(
                bridge_client(
                    self.hass, self._host, self._port, None, self._token_mode
                ).request_token(),
                "nuki bridge token request",
            )
        if not self._auth_task.done():
            return self.async_show_progress(
                progress_action="press_button",
                progress_task=self._auth_task,
                description_placeholders=self._placeholders(),
            )
        task, self._auth_task = self._auth_task, None
        self._button_error = _token_request_error(task, self._host)
        if self._button_error == "button_not_pressed":
            return self.async_show_progress_done(next_step_id="button")
        if self._button_error is not None:
            # Pressing again cannot help when the address is wrong: back to the form.
            return self.async_show_progress_done(next_step_id="button_failed")
        self._obtained_token = task.result()
        return self.async_show_progress_done(next_step_id="button_finish")

    def _show_button_form(self) -> ConfigFlowResult:
        errors = {"base": self._button_error} if self._button_error else {}
        self._button_error = None
        return self.async_show_form(
            step_id="button",
            data_schema=vol.Schema({}),
            errors=errors,
            description_placeholders=self._placeholders(),
        )

    async def async_step_button_failed(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Back to the form the button path started from, with the error."""
        error, self._button_error = self._button_error or "unknown", None
        return self._show_form_again(self._form_step, {"base": error})

    async def async_step_button_finish(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Check the new token like a typed one, then finish as the flow's source asks."""
        assert self._host is not None
        assert self._obtained_token is not None
        token, self._obtained_token = self._obtained_token, None
        info, error = await async_probe(self.hass, self._host, self._port, token, self._token_mode)
        if info is None:
            # The new token is valid on the bridge, but checking it failed (most
            # likely the clock): back to the form, where another mode can be chosen.
            return self._show_form_again(self._form_step, {"base": error or "unknown"})
        return await self._async_finish_with_token(info, token)
