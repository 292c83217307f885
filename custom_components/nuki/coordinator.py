"""One coordinator per bridge: bridge callbacks first, a rare /list poll as safety net."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from http import HTTPStatus
from typing import Final, Literal
from urllib.parse import urlsplit

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from nukilocal.client import BridgeClient, callback_url_problem
from nukilocal.const import MAX_CALLBACKS, DeviceType, LockAction, OpenerAction
from nukilocal.exceptions import (
    NukiAuthError,
    NukiCommandRefusedError,
    NukiError,
    NukiOutcomeUnknownError,
    NukiTimeoutError,
)
from nukilocal.models import (
    BridgeInfo,
    CallbackEntry,
    CallbackUpdate,
    Device,
    DeviceState,
    hex_id,
)

from .compat import PER_ENTRY_DEVICES
from .const import (
    CALLBACK_CHECK_EVERY_POLLS,
    DOMAIN,
    ISSUE_CALLBACK_SLOTS_FULL,
    ISSUE_CALLBACKS_UNDELIVERED,
    ISSUE_HTTPS_WEBHOOK,
    MAX_CALLBACK_BODY,
    POLL_INTERVAL_NO_PUSH,
    POLL_INTERVAL_PUSH,
    UNDELIVERED_AFTER_CHECKS,
    VERIFY_AFTER_COMMAND,
)

_LOGGER = logging.getLogger(__name__)

type DeviceKey = tuple[int, DeviceType]
type NukiConfigEntry = ConfigEntry[NukiCoordinator]
type RingSource = Literal["callback", "poll"]

REGISTER_TIMEOUT: Final = 30

# Transitions shown before the bridge reports anything.
LOCKING: Final = "locking"
UNLOCKING: Final = "unlocking"
OPENING: Final = "opening"


@dataclass(slots=True)
class PendingCommand:
    """A command this integration sent whose result the bridge has not reported yet."""

    transition: str
    state_before: DeviceState
    done: bool = False


@dataclass(slots=True)
class RingTrack:
    """What callbacks and polls told of one opener's rings.

    Each source is read as a stream of its own: the bridge sends callbacks in
    order, and polls follow each other. A stream shows a ring when its
    ringactionTimestamp moves on, or, since stamps have whole seconds, when
    ringactionState rises again with the same stamp. The two streams do not
    interleave in order: a ring's callback can arrive after a poll that read
    the ring already over. So rings are counted per stream, and as many fire
    as the stream that showed most of them at the newest stamp.
    """

    stamp: datetime | None
    # Rings at ``stamp`` fired (at start: already past, never fired).
    fired: int = 0
    counted: Counter[RingSource] = field(default_factory=Counter)
    # Each stream's last report: ringactionTimestamp, ringactionState.
    last: dict[RingSource, tuple[datetime | None, bool]] = field(default_factory=dict)


def device_identifiers(nuki_id: int, device_type: DeviceType) -> set[tuple[str, str]]:
    """The device registry identifiers a device of this id and type may have.

    The built-in integration's ``HEX``, or ``HEX_opener``/``HEX_smartlock`` when a
    lock and an opener share the nukiId (see ``NukiData.qualifier``).
    """
    plain = hex_id(nuki_id)
    return {(DOMAIN, plain), (DOMAIN, f"{plain}_{id_qualifier(device_type)}")}


def id_qualifier(device_type: DeviceType) -> str:
    return "opener" if device_type.is_opener else "smartlock"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "?"


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


class NukiCoordinator(DataUpdateCoordinator[dict[DeviceKey, Device]]):
    """Holds every device of one bridge; callbacks update it, polls repair it."""

    config_entry: NukiConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: NukiConfigEntry,
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
        self.callback_url: str | None = None
        self.push_active = False
        self.pending: dict[DeviceKey, PendingCommand] = {}
        self.callbacks_received = 0
        # Callbacks applied per device: tells a poll that one overtook it.
        self._callback_counts: Counter[DeviceKey] = Counter()
        self.callbacks_rejected = 0
        self.polls = 0
        self.last_callback: datetime | None = None
        self._callback_check_needed = True
        self._polls_since_check = 0
        # Callback checks in a row that found ours listed but not delivered.
        self._undelivered_checks = 0
        self._missed_since_check = False
        self._callbacks_at_check = 0
        self._registration_warned = False
        self._rings: dict[DeviceKey, RingTrack] = {}
        self._ring_listeners: dict[DeviceKey, list[CALLBACK_TYPE]] = {}
        self._verify_unsub: CALLBACK_TYPE | None = None
        self._verify_forced = False
        self._registration_task: asyncio.Task[None] | None = None

    @property
    def callbacks_undelivered(self) -> bool:
        """The bridge lists our callback, yet its changes arrive only through polls."""
        return self._undelivered_checks >= UNDELIVERED_AFTER_CHECKS

    # -- polling --------------------------------------------------------------

    async def _async_update_data(self) -> dict[DeviceKey, Device]:
        callbacks_before = self._callback_counts.copy()
        try:
            devices = await self.client.list_devices()
        except NukiAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="invalid_auth",
                translation_placeholders={"error": str(err)},
            ) from err
        except NukiError as err:
            # An unreachable bridge may be rebooting and forget our callback:
            # check it on the first poll that gets through.
            self._callback_check_needed = True
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self.polls += 1
        previous = self.data
        data: dict[DeviceKey, Device] = {}
        unreported_change = False
        for device in devices:
            old = previous.get(device.key) if previous is not None else None
            overtaken = self._callback_counts[device.key] != callbacks_before[device.key]
            if old is not None and overtaken:
                # A callback arrived while /list was on its way: the answer may
                # predate it, so the state stays as the callback left it.
                data[device.key] = replace(device, state=old.state)
                continue
            if old is not None:
                state = old.state.merged_with(device.state)
                if _comparable(state) != _comparable(old.state):
                    unreported_change = True
                if _moved(old.state, state):
                    self._missed_since_check = True
                device = replace(device, state=state)
            data[device.key] = device
            self._note_ring(device.key, "poll", old.state if old else None, device.state)
        self._settle_pending(data)
        if previous is not None and data.keys() != previous.keys():
            self.async_remove_stale_devices(data)
        if self.callback_url is not None:
            self._polls_since_check += 1
            if unreported_change and self.push_active:
                # Either the callback got lost once or the bridge forgot it.
                _LOGGER.debug("A poll found a change no callback reported")
                self._callback_check_needed = True
            if self._callback_check_needed or self._polls_since_check >= CALLBACK_CHECK_EVERY_POLLS:
                self._async_schedule_registration()
        return data

    @callback
    def _async_schedule_registration(self) -> None:
        # Not awaited by the poll: callbacks arriving while it runs must build
        # on this poll's data, not be overwritten by it afterwards.
        if self._registration_task is None or self._registration_task.done():
            self._registration_task = self.config_entry.async_create_background_task(
                self.hass,
                self._async_register_callback(),
                f"Nuki bridge {self.bridge_id} callback check",
            )

    def _settle_pending(self, data: dict[DeviceKey, Device]) -> None:
        for key, pending in list(self.pending.items()):
            device = data.get(key)
            if (
                device is None
                or pending.done
                or device.state.state != pending.state_before.state
                or device.state.mode != pending.state_before.mode
            ):
                del self.pending[key]

    @callback
    def async_remove_stale_devices(self, data: dict[DeviceKey, Device]) -> None:
        """Devices the bridge no longer lists are gone from Home Assistant too."""
        registry = dr.async_get(self.hass)
        known = {(DOMAIN, self.bridge_id)}
        for device in data.values():
            known |= device_identifiers(device.nuki_id, device.device_type)
        for device_entry in dr.async_entries_for_config_entry(registry, self.config_entry.entry_id):
            ours = {i for i in device_entry.identifiers if i[0] == DOMAIN}
            if not ours or ours & known:
                continue
            if PER_ENTRY_DEVICES:
                # hub.py imports this module; the device hubs are looked up late.
                from .hub import reached_elsewhere

                if reached_elsewhere(self.hass, ours, self.config_entry.entry_id):
                    # Still on MQTT: the device moves to that entry when the
                    # bridge lets go of it (hub.py), with its entities.
                    continue
                _LOGGER.info("Removing %s: the bridge no longer lists it", device_entry.name)
                registry.async_remove_device(device_entry.id)
                continue
            _LOGGER.info("Removing %s: the bridge no longer lists it", device_entry.name)
            registry.async_update_device(
                device_entry.id, remove_config_entry_id=self.config_entry.entry_id
            )

    # -- push ---------------------------------------------------------------

    async def async_setup_push(self) -> None:
        """Work out the callback URL and register it; never raises."""
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
            return
        url = f"{base}{webhook.async_generate_path(self.webhook_id)}"
        issue_id = f"{ISSUE_HTTPS_WEBHOOK}_{self.config_entry.entry_id}"
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
                    "bridge": self.config_entry.title,
                    "network_link": "https://my.home-assistant.io/redirect/network/",
                },
            )
            return
        ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        if (problem := callback_url_problem(url)) is not None:
            _LOGGER.warning("Cannot register %s with the bridge: %s", base, problem)
            return
        self.callback_url = url
        try:
            # Set-up must not hang on a bridge that takes each request slowly.
            async with asyncio.timeout(REGISTER_TIMEOUT):
                await self._async_register_callback()
        except TimeoutError:
            self._registration_failed(NukiTimeoutError("callback registration timed out"))

    def _is_our_callback(self, url: str) -> bool:
        """URLs of this entry's webhook, whatever host, and the built-in integration's."""
        path = urlsplit(url).path.rstrip("/")
        return path in (
            webhook.async_generate_path(self.webhook_id),
            webhook.async_generate_path(self.config_entry.entry_id),
        )

    async def _async_register_callback(self) -> None:
        url = self.callback_url
        if url is None:
            return
        self._callback_check_needed = False
        self._polls_since_check = 0
        slots_issue = f"{ISSUE_CALLBACK_SLOTS_FULL}_{self.config_entry.entry_id}"
        try:
            callbacks = await self.client.callback_list()
            registered = False
            others = []
            outdated = []
            ahead: list[CallbackEntry] = []
            for entry in callbacks:
                if entry.url == url and not registered:
                    registered = True
                elif self._is_our_callback(entry.url):
                    # An older address of this Home Assistant, or a duplicate.
                    outdated.append(entry.callback_id)
                else:
                    others.append(entry.url)
                    if not registered:
                        ahead.append(entry)
            await self._async_remove_callbacks(outdated)
            if not registered:
                if len(others) >= MAX_CALLBACKS:
                    self._slots_full(slots_issue, others)
                    return
                await self.client.callback_add(url)
                _LOGGER.debug("Registered callback with bridge %s", self.bridge_id)
            self._judge_delivery(registered=registered, ahead=ahead)
        except NukiCommandRefusedError as err:
            if "too many" in err.message.lower():
                self._slots_full(slots_issue, [])
            else:
                self._registration_failed(err)
            return
        except NukiError as err:
            self._registration_failed(err)
            return
        ir.async_delete_issue(self.hass, DOMAIN, slots_issue)
        self._registration_warned = False
        self._set_push(not self.callbacks_undelivered)

    def _judge_delivery(self, *, registered: bool, ahead: list[CallbackEntry]) -> None:
        """Count checks that found our callback listed while its changes came by polls only."""
        silent = self._missed_since_check and self.callbacks_received == self._callbacks_at_check
        self._missed_since_check = False
        self._callbacks_at_check = self.callbacks_received
        if self.callbacks_undelivered:
            return
        if not registered or not silent:
            # Just (re-)added, or callbacks do arrive: nothing to hold against it.
            self._undelivered_checks = 0
            return
        self._undelivered_checks += 1
        if not self.callbacks_undelivered:
            return
        _LOGGER.warning(
            "Bridge %s lists Home Assistant's callback but does not deliver it; polling "
            "every %s s until a callback arrives",
            self.bridge_id,
            int(POLL_INTERVAL_NO_PUSH.total_seconds()),
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{ISSUE_CALLBACKS_UNDELIVERED}_{self.config_entry.entry_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_CALLBACKS_UNDELIVERED,
            translation_placeholders={
                "bridge": self.config_entry.title,
                "host": self.config_entry.data[CONF_HOST],
                # Where the others point, not their paths (which may hold secrets).
                "ahead": ", ".join(f"{entry.callback_id}: {_origin(entry.url)}" for entry in ahead)
                or "none",
                # Where the bridge must reach Home Assistant (the path holds the webhook id).
                "address": _origin(self.callback_url or ""),
            },
        )

    @callback
    def _callbacks_delivered_again(self) -> None:
        self._undelivered_checks = 0
        _LOGGER.info("Bridge %s delivers callbacks again", self.bridge_id)
        ir.async_delete_issue(
            self.hass, DOMAIN, f"{ISSUE_CALLBACKS_UNDELIVERED}_{self.config_entry.entry_id}"
        )

    def _slots_full(self, issue_id: str, others: list[str]) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_CALLBACK_SLOTS_FULL,
            translation_placeholders={
                "bridge": self.config_entry.title,
                "host": self.config_entry.data[CONF_HOST],
                "count": str(MAX_CALLBACKS),
            },
        )
        self._set_push(False)

    def _registration_failed(self, err: NukiError) -> None:
        log = _LOGGER.debug if self._registration_warned else _LOGGER.warning
        log(
            "Could not register the callback with bridge %s (%s); polling until it works",
            self.bridge_id,
            err,
        )
        self._registration_warned = True
        self._set_push(False)

    def _set_push(self, active: bool) -> None:
        self.push_active = active
        interval = POLL_INTERVAL_PUSH if active else POLL_INTERVAL_NO_PUSH
        # Takes effect when the next poll is scheduled.
        self.update_interval = interval

    async def _async_remove_callbacks(self, callback_ids: list[int]) -> None:
        # Bridges number callbacks by position: removing one renumbers those
        # after it, so the highest id goes first.
        for callback_id in sorted(callback_ids, reverse=True):
            _LOGGER.debug("Removing callback %s from bridge %s", callback_id, self.bridge_id)
            await self.client.callback_remove(callback_id)

    async def async_remove_callback(self) -> None:
        """Best effort: take this entry's callbacks off the bridge."""
        if self.callback_url is None:
            # Never registered (no usable URL) or already removed.
            return
        self.callback_url = None
        try:
            async with asyncio.timeout(15):
                callbacks = await self.client.callback_list()
                await self._async_remove_callbacks(
                    [c.callback_id for c in callbacks if self._is_our_callback(c.url)]
                )
        except (NukiError, TimeoutError) as err:
            _LOGGER.warning("Could not remove the callback from bridge %s: %s", self.bridge_id, err)

    async def async_handle_webhook(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """A bridge callback: apply it at once; refuse bodies that are not one."""
        body = await request.content.read(MAX_CALLBACK_BODY + 1)
        if len(body) > MAX_CALLBACK_BODY:
            self._reject(f"body larger than {MAX_CALLBACK_BODY} bytes")
            return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        try:
            raw = json.loads(body)
            update = CallbackUpdate.from_dict(raw)
        except (ValueError, RecursionError, NukiError) as err:
            self._reject(str(err))
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        self.async_apply_callback(update, type_reported=raw.get("deviceType") is not None)
        return web.Response(status=HTTPStatus.OK)

    def _reject(self, reason: str) -> None:
        self.callbacks_rejected += 1
        _LOGGER.warning("Ignoring a callback for bridge %s: %s", self.bridge_id, reason)

    @callback
    def async_apply_callback(self, update: CallbackUpdate, *, type_reported: bool = True) -> None:
        if self.data is None:
            return
        key = update.key
        device = self.data.get(key)
        if device is None:
            # The software bridge omits deviceType; match on the id when unambiguous.
            # A reported type still tells an opener from a lock with the same id.
            matches = [
                k
                for k in self.data
                if k[0] == update.nuki_id
                and (not type_reported or k[1].is_opener == update.device_type.is_opener)
            ]
            if len(matches) != 1:
                _LOGGER.debug("Callback for unknown device %s ignored", update.nuki_id)
                return
            key = matches[0]
            device = self.data[key]
        self.callbacks_received += 1
        self._callback_counts[key] += 1
        self.last_callback = dt_util.utcnow()
        old = device.state
        self.pending.pop(key, None)
        if self.callbacks_undelivered:
            self._callbacks_delivered_again()
        if not self.push_active and self.callback_url is not None:
            self._set_push(True)
        data = dict(self.data)
        data[key] = replace(device, state=old.merged_with(update.state))
        self.async_set_updated_data(data)
        self._note_ring(key, "callback", old, update.state)

    # -- rings ----------------------------------------------------------------

    @callback
    def _note_ring(
        self, key: DeviceKey, source: RingSource, old: DeviceState | None, new: DeviceState
    ) -> None:
        """Fire once per ring, however many callbacks and polls report it, in whatever order.

        ``old`` is the device's state before this report: where the stream of
        ``source`` starts when this is its first report. The first report of a
        device only sets the baseline, so a ring from before start never fires.
        """
        if not key[1].is_opener:
            return
        stamp = new.ring_action_timestamp
        ringing = bool(new.ring_action_state)
        track = self._rings.get(key)
        if track is None:
            track = self._rings[key] = RingTrack(stamp)
            track.last[source] = (stamp, ringing)
            if stamp is not None:
                track.fired = track.counted[source] = 1
            return
        before = track.last.get(source)
        if before is None and old is not None:
            before = (old.ring_action_timestamp, bool(old.ring_action_state))
        last_stamp, was_ringing = before or (None, False)
        rising = ringing and not was_ringing
        if stamp is None:
            if not rising:
                track.last[source] = (last_stamp, ringing)
                return
            # No timestamp in this report: a poll carrying it (older) must not fire again.
            stamp = dt_util.utcnow()
            new_ring = True
        else:
            new_ring = last_stamp is None or stamp > last_stamp or rising
        track.last[source] = (stamp, ringing)
        if track.stamp is not None and stamp < track.stamp:
            # A ring older than one already reported.
            return
        if track.stamp is None or stamp > track.stamp:
            track.stamp, track.fired = stamp, 0
            track.counted.clear()
        if not new_ring:
            return
        track.counted[source] += 1
        if track.counted[source] <= track.fired:
            # The other stream reported this ring first.
            return
        track.fired += 1
        self._fire_ring(key)

    @callback
    def _fire_ring(self, key: DeviceKey) -> None:
        # The device's hub fires nuki_event, with its own lock entity.
        for listener in list(self._ring_listeners.get(key, ())):
            listener()

    @callback
    def async_add_ring_listener(self, key: DeviceKey, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        self._ring_listeners.setdefault(key, []).append(listener)

        @callback
        def remove() -> None:
            self._ring_listeners[key].remove(listener)

        return remove

    # -- commands ---------------------------------------------------------------

    async def async_command(
        self,
        key: DeviceKey,
        action: LockAction | OpenerAction,
        transition: str | None,
    ) -> None:
        """Send one action; show ``transition`` until the bridge reports a state."""
        device = self.data[key]
        pending: PendingCommand | None = None
        if transition is not None:
            pending = PendingCommand(transition, device.state)
            self.pending[key] = pending
            self.async_update_listeners()
        try:
            await self.client.lock_action(device.nuki_id, device.device_type, action)
        except NukiError as err:
            if pending is not None and self.pending.get(key) is pending:
                del self.pending[key]
                self.async_update_listeners()
            if isinstance(err, NukiOutcomeUnknownError):
                # The device may have moved: learn where it is.
                self._schedule_verify(force=True)
            raise
        if pending is not None and self.pending.get(key) is pending:
            pending.done = True
            self._schedule_verify()
        elif not self.push_active:
            self._schedule_verify()

    def _schedule_verify(self, *, force: bool = False) -> None:
        self._verify_forced |= force
        if self._verify_unsub is None:
            self._verify_unsub = async_call_later(
                self.hass, VERIFY_AFTER_COMMAND, self._async_verify
            )

    async def _async_verify(self, _now: datetime) -> None:
        self._verify_unsub = None
        forced, self._verify_forced = self._verify_forced, False
        # With push working, callbacks usually reported the result already.
        if forced or self.pending or not self.push_active:
            await self.async_refresh()

    async def async_shutdown(self) -> None:
        if self._verify_unsub is not None:
            self._verify_unsub()
            self._verify_unsub = None
        await super().async_shutdown()
