"""One bridge: callbacks first, a rare ``/list`` poll as the safety net, commands out.

The transport of a bridge entry. It keeps the bridge's own picture of its
devices (``data``, one :class:`~nukilocal.models.Device` per
:class:`~nukilocal.models.DeviceKey`) and reports every callback and every poll
of a device to that device's listener, the device hub (hub.py). It does not
decide what a report means for an entity; the hub does.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any, Protocol

from aiohttp import web
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from nukilocal.client import DEFAULT_ACTION_TIMEOUT, BridgeClient
from nukilocal.exceptions import (
    NukiAuthError,
    NukiError,
)
from nukilocal.models import BridgeInfo, CallbackUpdate, Device, DeviceKey, DeviceState

from .bridge_actions import BridgeActions
from .const import (
    DOMAIN,
    MAX_CALLBACK_BODY,
    POLL_INTERVAL_NO_PUSH,
    POLL_INTERVAL_PUSH,
)
from .identity import async_update_bridge
from .push import BridgePush
from .rings import ReportSource

_LOGGER = logging.getLogger(__name__)

# How long an action refused while others run waits for one of them to finish.
RADIO_WAIT = DEFAULT_ACTION_TIMEOUT


def auth_failed(err: NukiAuthError) -> ConfigEntryAuthFailed:
    """The bridge refused the token: Home Assistant asks the user for a new one."""
    return ConfigEntryAuthFailed(
        translation_domain=DOMAIN,
        translation_key="invalid_auth",
        translation_placeholders={"error": str(err)},
    )


class BridgeListener(Protocol):
    """What the transport tells about one device (the device hub listens)."""

    def bridge_reported(self, old: Device | None, new: Device, source: ReportSource) -> None:
        """A callback or a poll reported the device (changed or not)."""

    def bridge_availability_changed(self) -> None:
        """The bridge started or stopped answering."""

    def bridge_info_changed(self) -> None:
        """``/info`` told something new (firmware, signal strengths)."""


def _moved(old: DeviceState, new: DeviceState) -> bool:
    """A change every bridge reports by callback (not battery drift or the like)."""
    return (old.state, old.mode, old.door_sensor_state) != (
        new.state,
        new.mode,
        new.door_sensor_state,
    )


def _comparable(state: DeviceState) -> DeviceState:
    """The fields whose change a bridge callback would have reported.

    Timestamps and state names only echo other fields, and ringactionState
    resets by itself.
    """
    return replace(
        state,
        timestamp=None,
        state_name=None,
        door_sensor_state_name=None,
        ring_action_state=None,
    )


class BridgeTransport(DataUpdateCoordinator[dict[DeviceKey, Device]]):
    """Every device of one bridge as the bridge reports it; commands to them."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: BridgeClient,
        info: BridgeInfo,
        webhook_id: str,
    ) -> None:
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"Nuki bridge {info.bridge_id}",
            update_interval=POLL_INTERVAL_NO_PUSH,
        )
        self.client = client
        self.info = info
        self.bridge_id = info.bridge_id
        self.webhook_id = webhook_id
        self.push = BridgePush(hass, entry, client, info.bridge_id, webhook_id, self._push_changed)
        self.polls = 0
        # Callbacks applied per device: tells a poll that one overtook it.
        self._callback_counts: Counter[DeviceKey] = Counter()
        self._device_listeners: dict[DeviceKey, BridgeListener] = {}
        self._was_available = True
        # Set by a poll until its reports went out: the devices as before it.
        self._poll_previous: dict[DeviceKey, Device] | None = None
        self._check_task: asyncio.Task[None] | None = None
        self.actions = BridgeActions(
            hass, client, self.async_refresh, lambda: self.push.health.active
        )
        self.async_add_listener(self._async_updated)

    # -- listeners ----------------------------------------------------------------

    @callback
    def async_add_device_listener(self, key: DeviceKey, listener: BridgeListener) -> CALLBACK_TYPE:
        self._device_listeners[key] = listener

        @callback
        def remove() -> None:
            if self._device_listeners.get(key) is listener:
                del self._device_listeners[key]

        return remove

    def device_available(self, key: DeviceKey) -> bool:
        return self.last_update_success and self.data is not None and key in self.data

    @callback
    def _async_updated(self) -> None:
        """After every poll (and callback): tell the devices what the poll read."""
        if self.last_update_success != self._was_available:
            self._was_available = self.last_update_success
            for listener in list(self._device_listeners.values()):
                listener.bridge_availability_changed()
        previous, self._poll_previous = self._poll_previous, None
        if previous is None or not self.last_update_success:
            return
        for key, device in (self.data or {}).items():
            if (device_listener := self._device_listeners.get(key)) is not None:
                device_listener.bridge_reported(previous.get(key), device, "poll")

    def _push_changed(self, active: bool) -> None:
        # Takes effect when the next poll is scheduled.
        self.update_interval = POLL_INTERVAL_PUSH if active else POLL_INTERVAL_NO_PUSH

    # -- polling --------------------------------------------------------------

    async def _async_update_data(self) -> dict[DeviceKey, Device]:
        callbacks_before = self._callback_counts.copy()
        try:
            devices = await self.client.list_devices()
        except NukiAuthError as err:
            raise auth_failed(err) from err
        except NukiError as err:
            # An unreachable bridge may be rebooting and forget our callback:
            # check it on the first poll that gets through.
            self.push.check_needed = True
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self.polls += 1
        previous = self.data or {}
        data: dict[DeviceKey, Device] = {}
        unreported_change = moved = False
        for device in devices:
            old = previous.get(device.key)
            if (
                old is not None
                and self._callback_counts[device.key] != callbacks_before[device.key]
            ):
                # A callback arrived while /list was on its way: the answer may
                # predate it, so the state stays as the callback left it.
                data[device.key] = replace(device, state=old.state)
                continue
            if old is not None:
                state = old.state.merged_with(device.state)
                unreported_change |= _comparable(state) != _comparable(old.state)
                moved |= _moved(old.state, state)
                device = replace(device, state=state)
            data[device.key] = device
        if self.push.note_poll(unreported_change=unreported_change, moved=moved):
            self._async_schedule_check()
        # Reported to the devices' listeners once the data is in place.
        self._poll_previous = previous
        return data

    @callback
    def _async_schedule_check(self) -> None:
        # Not awaited by the poll: callbacks arriving while it runs must build
        # on this poll's data, not be overwritten by it afterwards.
        if self._check_task is None or self._check_task.done():
            assert self.config_entry is not None
            self._check_task = self.config_entry.async_create_background_task(
                self.hass, self._async_check(), f"Nuki bridge {self.bridge_id} callback check"
            )

    async def _async_check(self) -> None:
        await self.push.async_check()
        try:
            # /info as rarely as the callback check: about hourly with push.
            info = await self.client.info()
        except NukiError as err:
            _LOGGER.debug("Could not read /info of bridge %s: %s", self.bridge_id, err)
            return
        if info != self.info:
            self.info = info
            async_update_bridge(self.hass, self.bridge_id, info)
            self.async_update_listeners()
            for listener in list(self._device_listeners.values()):
                listener.bridge_info_changed()

    # -- push ---------------------------------------------------------------------

    async def async_handle_webhook(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """A bridge callback: apply it at once; refuse bodies that are not one."""
        body = await request.content.read(MAX_CALLBACK_BODY + 1)
        if len(body) > MAX_CALLBACK_BODY:
            self.push.note_rejected(f"body larger than {MAX_CALLBACK_BODY} bytes")
            return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        try:
            update = CallbackUpdate.from_dict(json.loads(body))
        except (ValueError, RecursionError, NukiError) as err:
            self.push.note_rejected(str(err))
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        self.async_apply_callback(update)
        return web.Response(status=HTTPStatus.OK)

    def _match(self, update: CallbackUpdate) -> DeviceKey | None:
        """The device a callback is for; without a type, the only one with its id."""
        if update.key is not None:
            return update.key if self.data and update.key in self.data else None
        matches = [key for key in self.data or {} if key.nuki_id == update.nuki_id]
        return matches[0] if len(matches) == 1 else None

    @callback
    def async_apply_callback(self, update: CallbackUpdate) -> None:
        if self.data is None:
            return
        key = self._match(update)
        if key is None:
            _LOGGER.debug("Callback for unknown device %s ignored", update.nuki_id)
            return
        old = self.data[key]
        self._callback_counts[key] += 1
        push_was_active = self.push.health.active
        self.push.note_callback(dt_util.utcnow())
        new = replace(old, state=old.state.merged_with(update.state_of(old.device_type)))
        if self.last_update_success and self.push.health.active == push_was_active:
            # Nothing the bridge's own entities show changed: only the device
            # hears of it (below), and the next poll stays where it was due.
            self.data = {**self.data, key: new}
        else:
            # A sign of life after a failed poll, or the first callback to arrive.
            self.async_set_updated_data({**self.data, key: new})
        if (listener := self._device_listeners.get(key)) is not None:
            listener.bridge_reported(old, new, "callback")

    def signal_strength(self, key: DeviceKey) -> int | None:
        """The bridge's Bluetooth signal of a device (dBm) as ``/info`` last told it."""
        for result in self.info.scan_results:
            if DeviceKey.of(result.nuki_id, result.device_type) == key:
                return result.rssi
        return None

    async def async_restart(self) -> None:
        """Reboot the bridge (``/reboot``); push is checked again when it answers."""
        await self.client.reboot()
        self.push.check_needed = True

    async def async_check_firmware(self) -> None:
        """Ask the bridge to look for a firmware update (``/fwupdate``)."""
        await self.client.fw_update()

    async def async_shutdown(self) -> None:
        self.actions.async_cancel()
        await super().async_shutdown()


@dataclass(slots=True)
class BridgeLink:
    """How the hub reaches its device through a bridge."""

    entry_id: str
    transport: BridgeTransport
    key: DeviceKey
    unsubscribe: CALLBACK_TYPE

    @property
    def device(self) -> Device | None:
        data = self.transport.data
        return data.get(self.key) if data is not None else None
