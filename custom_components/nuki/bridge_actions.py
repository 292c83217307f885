"""Lock actions through one bridge: sent once, a result read back, the radio shared.

While push works an action goes with ``nowait``: the bridge answers at once
and the device's callbacks bring the result (the device hub waits for it).
A bridge whose radio runs one device at a time answers 503 to an action while
another device's accepted action still runs; such an action was not executed
and is sent again once one of those is done. Without push the bridge answers
when the device is done, and a ``/list`` soon after tells the new state.
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
        self._verify_unsub: CALLBACK_TYPE | None = None
        self._verify_forced = False
        self._verify_wanted: list[Callable[[], bool]] = []

    async def async_send(self, device: Device, action: LockAction | OpenerAction) -> bool:
        """Send one action; True when the bridge only accepted it and the result is to come.

        While callbacks work the bridge is asked not to wait for the device
        (``nowait``): its one request slot is free again at once, and the
        device's callbacks bring the result; the caller tells
        :meth:`action_finished` when it has it. Without callbacks the bridge
        answers once the device is done. Errors are the library's.
        """
        key = device.key
        nowait = self._push_active()
        while True:
            # Set by the next action_finished, also one during this request.
            radio_free = self._radio_free
            # While another device's accepted action runs, a 503 most likely
            # means the radio is taken: waiting for that action's result beats
            # the client's back-off, which would hold the bridge meanwhile.
            others_running = nowait and bool(self._running - {key})
            try:
                await self.client.lock_action(
                    device.nuki_id,
                    device.device_type,
                    action,
                    wait=not nowait,
                    retry_busy=not others_running,
                )
            except NukiBridgeBusyError:
                # A bridge whose radio runs one device at a time answers 503
                # while another device's accepted action still runs: it was not
                # executed, so it is sent again once one of those is done.
                if not nowait or not await self._async_wait_for_radio(key, radio_free):
                    raise
                continue
            except NukiOutcomeUnknownError:
                # The device may have moved: learn where it is.
                self.async_verify_later(force=True)
                raise
            break
        if not nowait:
            self.async_verify_later(force=True)
            return False
        self._running.add(key)
        return True

    @callback
    def finished(self, key: DeviceKey) -> None:
        """The result of ``key``'s accepted action is known (or never will be)."""
        self._running.discard(key)
        self._radio_free.set()
        self._radio_free = asyncio.Event()

    async def _async_wait_for_radio(self, key: DeviceKey, radio_free: asyncio.Event) -> bool:
        """Until an accepted action of another device is done; False if none ran."""
        if not radio_free.is_set() and not self._running - {key}:
            return False
        try:
            async with asyncio.timeout(RADIO_WAIT):
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
