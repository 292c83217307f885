"""Lock actions through one bridge: sent once, a result read back, the radio shared.

While push works an action goes with ``nowait``: the bridge answers at once
and the device's callbacks bring the result (the device hub waits for it).
A bridge whose radio runs one device at a time answers 503 to an action while
another device's accepted action still runs; such an action was not executed
and is sent again once one of those is done. After one such 503 the bridge's
next actions wait for the running one's result before they are sent, until
no action runs or waits: each is then sent the moment the radio is free,
instead of being refused on the way. Without push the bridge answers when the
device is done, and a ``/list`` soon after tells the new state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later

from nukilocal.client import DEFAULT_ACTION_TIMEOUT, BridgeClient
from nukilocal.const import LockAction, OpenerAction
from nukilocal.exceptions import NukiBridgeBusyError, NukiOutcomeUnknownError
from nukilocal.models import Device, DeviceKey

from .const import VERIFY_AFTER_COMMAND

# How long an action refused while others run waits for one of them to finish.
RADIO_WAIT = DEFAULT_ACTION_TIMEOUT


class BridgeActions:
    """The actions of one bridge's devices, and the /list reads that verify them."""

    def __init__(
        self,
        hass: HomeAssistant,
        client: BridgeClient,
        refresh: Callable[[], Awaitable[None]],
        push_active: Callable[[], bool],
    ) -> None:
        self.hass = hass
        self.client = client
        self._refresh = refresh
        self._push_active = push_active
        # Devices whose accepted (nowait) action has no result yet.
        self._running: set[DeviceKey] = set()
        self._radio_free = asyncio.Event()
        # Accepted-action sends one after another: each knows what runs when it goes.
        self._send_lock = asyncio.Lock()
        self._sending = 0
        # Learned from a 503 while another action ran; forgotten once all are done.
        self._one_at_a_time = False
        self._verify_unsub: CALLBACK_TYPE | None = None
        self._verify_forced = False
        self._verify_wanted: list[Callable[[], bool]] = []

    async def async_send(self, device: Device, action: LockAction | OpenerAction) -> bool:
        """Send one action; True when the bridge only accepted it and the result is to come.

        While callbacks work the bridge is asked not to wait for the device
        (``nowait``): its one request slot is free again at once, and the
        device's callbacks bring the result; the caller tells
        :meth:`finished` when it has it. Without callbacks the bridge
        answers once the device is done. Errors are the library's.
        """
        if not self._push_active():
            await self._async_send(device, action, wait=True, retry_busy=True)
            # Done: a /list soon tells the new state.
            self.async_verify_later(force=True)
            return False
        self._sending += 1
        try:
            async with self._send_lock:
                await self._async_send_nowait(device, action)
        finally:
            self._sending -= 1
            self._forget_if_idle()
        return True

    async def _async_send_nowait(self, device: Device, action: LockAction | OpenerAction) -> None:
        key = device.key
        deadline = asyncio.get_running_loop().time() + RADIO_WAIT
        while True:
            # Set by the next finished(), also one during this request.
            radio_free = self._radio_free
            others_running = bool(self._running - {key})
            if (
                others_running
                and self._one_at_a_time
                and await self._async_wait_for_radio(key, radio_free, deadline)
            ):
                continue
            try:
                # While another device's accepted action runs, a 503 most likely
                # means the radio is taken: waiting for that action's result
                # beats the client's back-off, which would hold the bridge.
                await self._async_send(device, action, wait=False, retry_busy=not others_running)
            except NukiBridgeBusyError:
                # Not executed: sent again once another device's action is done.
                if not others_running:
                    raise
                self._one_at_a_time = True
                if not await self._async_wait_for_radio(key, radio_free, deadline):
                    raise
                continue
            self._running.add(key)
            return

    async def _async_send(
        self, device: Device, action: LockAction | OpenerAction, *, wait: bool, retry_busy: bool
    ) -> None:
        try:
            await self.client.lock_action(
                device.nuki_id, device.device_type, action, wait=wait, retry_busy=retry_busy
            )
        except NukiOutcomeUnknownError:
            # The device may have moved: learn where it is.
            self.async_verify_later(force=True)
            raise

    @callback
    def finished(self, key: DeviceKey) -> None:
        """The result of ``key``'s accepted action is known (or never will be)."""
        self._running.discard(key)
        self._radio_free.set()
        self._radio_free = asyncio.Event()
        self._forget_if_idle()

    @callback
    def _forget_if_idle(self) -> None:
        # A later burst learns the radio again: a 503 can also have had
        # another cause (the bridge busy with an app), and must not slow
        # a radio that runs devices in parallel for good.
        if not self._running and not self._sending:
            self._one_at_a_time = False

    async def _async_wait_for_radio(
        self, key: DeviceKey, radio_free: asyncio.Event, deadline: float
    ) -> bool:
        """Until an accepted action of another device is done; False if none ran
        or none was done by ``deadline`` (loop time)."""
        if not radio_free.is_set() and not self._running - {key}:
            return False
        try:
            async with asyncio.timeout_at(deadline):
                await radio_free.wait()
        except TimeoutError:
            return False
        return True

    @property
    def verify_scheduled(self) -> bool:
        """A /list to learn a command's result is due."""
        return self._verify_unsub is not None

    @callback
    def async_verify_later(
        self, *, force: bool = False, wanted: Callable[[], bool] | None = None
    ) -> None:
        """Read /list soon: always when ``force``, else if ``wanted()`` still says so then."""
        self._verify_forced |= force
        if wanted is not None:
            self._verify_wanted.append(wanted)
        if self._verify_unsub is None:
            self._verify_unsub = async_call_later(
                self.hass, VERIFY_AFTER_COMMAND, self._async_verify
            )

    async def _async_verify(self, _now: datetime) -> None:
        self._verify_unsub = None
        forced, self._verify_forced = self._verify_forced, False
        # With push working, callbacks usually reported the result already.
        wanted, self._verify_wanted = self._verify_wanted, []
        if forced or any(still() for still in wanted):
            await self._refresh()

    @callback
    def async_cancel(self) -> None:
        if self._verify_unsub is not None:
            self._verify_unsub()
            self._verify_unsub = None
