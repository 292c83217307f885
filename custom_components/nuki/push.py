"""Bridge callbacks: register Home Assistant's webhook with a bridge and watch that it works.

A bridge calls at most three URLs on every change of a device. This module
registers ours (and removes older addresses of this Home Assistant), checks
about hourly that the bridge still lists it, and notices a bridge that lists
it but does not deliver. What it finds is one small :class:`PushHealth`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.network import NoURLAvailableError, get_url

from nukilocal.client import BridgeClient, callback_url_problem
from nukilocal.const import MAX_CALLBACKS
from nukilocal.exceptions import NukiCallbackSlotsFullError, NukiError, NukiTimeoutError
from nukilocal.models import CallbackEntry

from .const import (
    CALLBACK_CHECK_EVERY_POLLS,
    DOMAIN,
    ISSUE_CALLBACK_SLOTS_FULL,
    ISSUE_CALLBACKS_UNDELIVERED,
    ISSUE_HTTPS_WEBHOOK,
    POLL_INTERVAL_NO_PUSH,
    UNDELIVERED_AFTER_CHECKS,
)

_LOGGER = logging.getLogger(__name__)

REGISTER_TIMEOUT: Final = 30
REMOVE_TIMEOUT: Final = 15


@dataclass(slots=True)
class PushHealth:
    """Whether the bridge's callbacks bring changes, and what was seen of them."""

    # Registered, and not found undelivered: polls are a safety net only.
    active: bool = False
    url: str | None = None
    received: int = 0
    rejected: int = 0
    last_callback: datetime | None = None
    # Checks in a row that found ours listed while changes came by polls only.
    undelivered_checks: int = 0

    @property
    def undelivered(self) -> bool:
        """The bridge lists our callback, yet its changes arrive only through polls."""
        return self.undelivered_checks >= UNDELIVERED_AFTER_CHECKS


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "?"


class BridgePush:
    """Registration and delivery of one bridge's callbacks to this entry's webhook."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: BridgeClient,
        bridge_id: str,
        webhook_id: str,
        on_change: Callable[[bool], None],
    ) -> None:
        self.hass = hass
        self.bridge_id = bridge_id
        self.entry = entry
        self.client = client
        self.webhook_id = webhook_id
        self.health = PushHealth()
        self._on_change = on_change
        self.check_needed = True
        self._polls_since_check = 0
        self._missed_since_check = False
        self._received_at_check = 0
        self._warned = False

    def _issue(self, key: str) -> str:
        return f"{key}_{self.entry.entry_id}"

    # -- what polls and callbacks tell -------------------------------------------

    def note_callback(self, when: datetime) -> None:
        health = self.health
        health.received += 1
        health.last_callback = when
        if health.undelivered:
            health.undelivered_checks = 0
            _LOGGER.info("Bridge %s delivers callbacks again", self.bridge_id)
            ir.async_delete_issue(self.hass, DOMAIN, self._issue(ISSUE_CALLBACKS_UNDELIVERED))
        if not health.active and health.url is not None:
            self._set_active(True)

    def note_rejected(self, reason: str) -> None:
        self.health.rejected += 1
        _LOGGER.warning("Ignoring a callback for bridge %s: %s", self.bridge_id, reason)

    def note_poll(self, *, unreported_change: bool, moved: bool) -> bool:
        """Account for a poll; whether the callback needs checking now."""
        if moved:
            self._missed_since_check = True
        if self.health.url is None:
            return False
        self._polls_since_check += 1
        if unreported_change and self.health.active:
            # Either the callback got lost once or the bridge forgot it.
            _LOGGER.debug("A poll found a change no callback reported")
            self.check_needed = True
        return self.check_needed or self._polls_since_check >= CALLBACK_CHECK_EVERY_POLLS

    # -- registration --------------------------------------------------------------

    async def async_setup(self) -> None:
        """Work out the callback URL and register it; never raises."""
        url = self._callback_url()
        if url is None:
            return
        self.health.url = url
        try:
            # Set-up must not hang on a bridge that takes each request slowly.
            async with asyncio.timeout(REGISTER_TIMEOUT):
                await self.async_check()
        except TimeoutError:
            self._failed(NukiTimeoutError("callback registration timed out"))

    def _callback_url(self) -> str | None:
        try:
            base = get_url(
                self.hass,
                allow_cloud=False,
                allow_external=False,
                allow_ip=True,
                require_ssl=False,
                prefer_external=False,
            )
        except NoURLAvailableError:
            _LOGGER.warning(
                "Home Assistant has no local URL the bridge could call; "
                "updates come from polling only"
            )
            return None
        url = f"{base}{webhook.async_generate_path(self.webhook_id)}"
        issue_id = self._issue(ISSUE_HTTPS_WEBHOOK)
        if url.startswith("https://"):
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_HTTPS_WEBHOOK,
                translation_placeholders={
                    "base_url": base,
                    "bridge": self.bridge_id,
                    "network_link": "https://my.home-assistant.io/redirect/network/",
                },
            )
            return None
        ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        if (problem := callback_url_problem(url)) is not None:
            _LOGGER.warning("Cannot register %s with the bridge: %s", base, problem)
            return None
        return url

    def _is_ours(self, url: str) -> bool:
        """URLs of this entry's webhook, whatever host, and the built-in integration's."""
        path = urlsplit(url).path.rstrip("/")
        return path in (
            webhook.async_generate_path(self.webhook_id),
            webhook.async_generate_path(self.entry.entry_id),
        )

    async def async_check(self) -> None:
        """Make sure the bridge lists our URL once, ahead of nothing of ours."""
        url = self.health.url
        if url is None:
            return
        self.check_needed = False
        self._polls_since_check = 0
        try:
            callbacks = await self.client.callback_list()
            registered = any(entry.url == url for entry in callbacks)
            first = next((e for e in callbacks if e.url == url), None)
            outdated = [e.callback_id for e in callbacks if self._is_ours(e.url) and e is not first]
            others = [e for e in callbacks if not self._is_ours(e.url)]
            await self._async_remove(outdated)
            if not registered:
                if len(others) >= MAX_CALLBACKS:
                    raise NukiCallbackSlotsFullError("all callback slots are taken")
                await self.client.callback_add(url)
                _LOGGER.debug("Registered callback with bridge %s", self.bridge_id)
            ahead = [e for e in others if first is None or e.callback_id < first.callback_id]
            self._judge_delivery(registered=registered, ahead=ahead)
        except NukiCallbackSlotsFullError:
            self._slots_full()
            return
        except NukiError as err:
            self._failed(err)
            return
        ir.async_delete_issue(self.hass, DOMAIN, self._issue(ISSUE_CALLBACK_SLOTS_FULL))
        self._warned = False
        self._set_active(not self.health.undelivered)

    def _judge_delivery(self, *, registered: bool, ahead: list[CallbackEntry]) -> None:
        """Count checks that found our callback listed while its changes came by polls only."""
        health = self.health
        silent = self._missed_since_check and health.received == self._received_at_check
        self._missed_since_check = False
        self._received_at_check = health.received
        if health.undelivered:
            return
        if not registered or not silent:
            # Just (re-)added, or callbacks do arrive: nothing to hold against it.
            health.undelivered_checks = 0
            return
        health.undelivered_checks += 1
        if not health.undelivered:
            return
        _LOGGER.warning(
            "Bridge %s lists Home Assistant's callback but does not deliver it; polling "
            "every %s s until a callback arrives",
            self.bridge_id,
            int(POLL_INTERVAL_NO_PUSH.total_seconds()),
        )
        self._create_issue(
            ISSUE_CALLBACKS_UNDELIVERED,
            # Where the others point, not their paths (which may hold secrets).
            ahead=", ".join(f"{e.callback_id}: {_origin(e.url)}" for e in ahead) or "none",
            # Where the bridge must reach Home Assistant (the path holds the webhook id).
            address=_origin(health.url or ""),
        )

    def _create_issue(self, key: str, **placeholders: str) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue(key),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=key,
            translation_placeholders={
                "bridge": self.bridge_id,
                "host": self.entry.data[CONF_HOST],
                **placeholders,
            },
        )

    def _slots_full(self) -> None:
        self._create_issue(ISSUE_CALLBACK_SLOTS_FULL, count=str(MAX_CALLBACKS))
        self._set_active(False)

    def _failed(self, err: NukiError) -> None:
        log = _LOGGER.debug if self._warned else _LOGGER.warning
        log(
            "Could not register the callback with bridge %s (%s); polling until it works",
            self.bridge_id,
            err,
        )
        self._warned = True
        self._set_active(False)

    def _set_active(self, active: bool) -> None:
        self.health.active = active
        self._on_change(active)

    async def _async_remove(self, callback_ids: list[int]) -> None:
        # Bridges number callbacks by position: removing one renumbers those
        # after it, so the highest id goes first.
        for callback_id in sorted(callback_ids, reverse=True):
            _LOGGER.debug("Removing callback %s from bridge %s", callback_id, self.bridge_id)
            await self.client.callback_remove(callback_id)

    async def async_remove(self) -> None:
        """Best effort: take this entry's callbacks off the bridge."""
        if self.health.url is None:
            # Never registered (no usable URL) or already removed.
            return
        self.health.url = None
        try:
            async with asyncio.timeout(REMOVE_TIMEOUT):
                callbacks = await self.client.callback_list()
                await self._async_remove([c.callback_id for c in callbacks if self._is_ours(c.url)])
        except (NukiError, TimeoutError) as err:
            _LOGGER.warning("Could not remove the callback from bridge %s: %s", self.bridge_id, err)
