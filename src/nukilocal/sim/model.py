"""The bridge stand-in's model: what a Nuki Bridge knows and does, without HTTP.

Its identity, clock and token, the paired devices, the callbacks and their
delivery, the log, the faults to show, the counters and the radio. The HTTP
side (:mod:`nukilocal.sim.server`) and the control interface
(:mod:`nukilocal.sim.control`) both work on this model;
:class:`~nukilocal.sim.bridge.BridgeSimulator` puts them together.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from ..auth import AuthResult, TokenVerifier
from ..const import BridgeType, DeviceType
from ..models import format_timestamp
from .callbacks import CallbackInterceptor, CallbackRegistry
from .clock import SimClock
from .config import DEFAULT_HARDWARE_ID, DEFAULT_SERVER_ID, default_devices
from .devices import SimDevice, SimOpener, SimSmartLock
from .faults import BridgeFaults, BridgeStats
from .radio import DEFAULT_RADIO, Radio, RadioMode

LOG_SIZE = 1000


class BridgeModel:
    """A Nuki Bridge (hardware or software flavour) as data and behaviour."""

    def __init__(
        self,
        token: str,
        *,
        devices: Iterable[SimDevice] | None = None,
        time_factor: float = 1.0,
        bridge_type: BridgeType = BridgeType.HARDWARE,
        hardware_id: int = DEFAULT_HARDWARE_ID,
        server_id: int = DEFAULT_SERVER_ID,
        firmware_version: str = "2.17.0",
        wifi_firmware_version: str = "2.4.0",
        app_version: str = "1.4.6",
        clock_offset: timedelta | float = 0.0,
        callback_transitional: bool = True,
        radio: RadioMode | str = DEFAULT_RADIO,
    ) -> None:
        self.token = token
        self.bridge_type = BridgeType(bridge_type)
        self.hardware_id = hardware_id
        self.server_id = server_id
        self.firmware_version = firmware_version
        self.wifi_firmware_version = wifi_firmware_version
        self.app_version = app_version
        self.clock = SimClock(time_factor)
        self.clock_offset = clock_offset
        # Real bridges call back mostly on final states; True reports every step.
        self.callback_transitional = callback_transitional
        self.verifier = TokenVerifier(token)
        self.stats = BridgeStats()
        self.faults = BridgeFaults()
        self.radio_model = Radio(radio)
        self.auth_enabled = True
        self.callbacks = CallbackRegistry(self.stats, self.faults, self._post_callback)
        self._devices: list[SimDevice] = []
        self._unsubscribe: dict[int, Callable[[], None]] = {}
        self._log: list[dict[str, Any]] = []
        self._boot = time.monotonic()
        self._running = False
        self._button: asyncio.Event | None = None
        self._auth_waiters: list[asyncio.Future[None]] = []
        for device in default_devices() if devices is None else devices:
            self.add_device(device)

    # -- identity, time ---------------------------------------------------------

    @property
    def clock_offset(self) -> timedelta:
        return self.clock.offset

    @clock_offset.setter
    def clock_offset(self, value: timedelta | float) -> None:
        """Shift the bridge's clock (seconds or timedelta) against real UTC."""
        self.clock.offset = value if isinstance(value, timedelta) else timedelta(seconds=value)

    @property
    def uptime(self) -> int:
        return int(time.monotonic() - self._boot)

    @property
    def is_software(self) -> bool:
        return self.bridge_type is BridgeType.SOFTWARE

    @property
    def running(self) -> bool:
        """Between :meth:`open` and :meth:`close`: callbacks are delivered."""
        return self._running

    @property
    def radio(self) -> RadioMode:
        """``"exclusive"`` or ``"parallel"``: see :mod:`nukilocal.sim.radio`."""
        return self.radio_model.mode

    @radio.setter
    def radio(self, mode: RadioMode | str) -> None:
        self.radio_model.mode = mode

    def authorized(self, params: dict[str, str]) -> bool:
        """True when the query parameters prove the client knows the token."""
        return self.verifier.check(params, self.clock.now()) == AuthResult.OK

    def info(self) -> dict[str, Any]:
        """The ``/info`` answer, key order as a real bridge sends it."""
        if self.is_software:
            # The specification: hardwareId and the firmware versions are
            # hardware-bridge only; the software bridge has an app version.
            ids: dict[str, int] = {"serverId": self.server_id}
            versions: dict[str, str] = {"appVersion": self.app_version}
        else:
            ids = {"hardwareId": self.hardware_id, "serverId": self.server_id}
            versions = {
                "firmwareVersion": self.firmware_version,
                "wifiFirmwareVersion": self.wifi_firmware_version,
            }
        data: dict[str, Any] = {
            "bridgeType": int(self.bridge_type),
            "ids": ids,
            "versions": versions,
            "uptime": self.uptime,
            "currentTime": format_timestamp(self.clock.now()),
        }
        if not self.is_software:
            data["wlanConnected"] = True
        data["serverConnected"] = True
        data["scanResults"] = [d.scan_result() for d in self._devices]
        return data

    # -- life cycle -------------------------------------------------------------

    async def open(self) -> None:
        """Start delivering callbacks; uptime starts."""
        await self.callbacks.open()
        self._running = True
        self._boot = time.monotonic()

    async def close(self) -> None:
        """Stop delivering callbacks (they stay registered); a waiting ``/auth`` fails."""
        self._running = False
        await self.callbacks.suspend()
        if self._button is not None:
            self._button.set()

    async def close_devices(self) -> None:
        """Cancel every running device sequence; after :meth:`close`."""
        await self.radio_model.close()
        for device in self._devices:
            await device.close()
        await self.callbacks.close_session()

    # -- devices ----------------------------------------------------------------

    @property
    def devices(self) -> list[SimDevice]:
        return list(self._devices)

    def device(self, nuki_id: int, device_type: DeviceType | int | None = None) -> SimDevice:
        """The paired device; without ``device_type`` the id must be unambiguous."""
        matches = [d for d in self._devices if d.nuki_id == nuki_id]
        if device_type is not None:
            matches = [d for d in matches if d.device_type == device_type]
        if len(matches) != 1:
            raise KeyError((nuki_id, device_type))
        return matches[0]

    def find_device(self, nuki_id: int, device_type: DeviceType | None) -> SimDevice | None:
        """The device an API request names, by the bridge's rule; None: 404.

        ``deviceType`` defaults to 0 as on a real bridge, but clients often omit
        it for newer locks: without it an unambiguous id is enough.
        """
        for device in self._devices:
            if device.nuki_id == nuki_id and device.device_type == (device_type or 0):
                return device
        if device_type is None:
            matches = [d for d in self._devices if d.nuki_id == nuki_id]
            if len(matches) == 1:
                return matches[0]
        return None

    def lock(self, nuki_id: int) -> SimSmartLock:
        device = self.device(nuki_id)
        if not isinstance(device, SimSmartLock):
            raise KeyError(nuki_id)
        return device

    def opener(self, nuki_id: int) -> SimOpener:
        device = self.device(nuki_id, DeviceType.OPENER)
        assert isinstance(device, SimOpener)
        return device

    def add_device(self, device: SimDevice) -> SimDevice:
        if any(d.key == device.key for d in self._devices):
            raise ValueError(f"device {device.key} is already paired")
        device.clock = self.clock
        self._devices.append(device)
        self._unsubscribe[id(device)] = device.add_listener(self._device_changed)
        return device

    def remove_device(self, nuki_id: int, device_type: DeviceType | int | None = None) -> SimDevice:
        """Unpair: the device disappears from ``/list`` and answers 404."""
        device = self.device(nuki_id, device_type)
        self._devices.remove(device)
        self._unsubscribe.pop(id(device))()
        return device

    def add_unknown_device(
        self, nuki_id: int = 3735928559, device_type: int = 99, name: str = "Mystery lock"
    ) -> SimDevice:
        """A device of a type no document lists appears in ``/list``."""
        return self.add_device(SimSmartLock(nuki_id, name, device_type=DeviceType(device_type)))

    def _device_changed(self, device: SimDevice) -> None:
        self.add_log(
            {"type": "DeviceStateChanged", "nukiId": device.nuki_id, "state": device.state_id}
        )
        if not self.callback_transitional and device.is_transitional:
            return
        self.callbacks.send(device.callback_body())

    # -- log --------------------------------------------------------------------

    def add_log(self, entry: dict[str, Any]) -> None:
        self._log.insert(0, {"timestamp": format_timestamp(self.clock.now()), **entry})
        del self._log[LOG_SIZE:]

    def log_entries(self, offset: int = 0, count: int = 100) -> list[dict[str, Any]]:
        return self._log[offset : offset + count]

    def clear_log(self) -> None:
        self._log.clear()

    # -- the button, reboots, callbacks -------------------------------------------

    async def wait_for_button(self, seconds: float) -> bool:
        """An ``/auth`` request waits up to ``seconds``; True when the button was pressed."""
        button = self._button = asyncio.Event()
        for arrived in self._auth_waiters:
            if not arrived.done():
                arrived.set_result(None)
        try:
            async with asyncio.timeout(seconds):
                await button.wait()
        except TimeoutError:
            return False
        finally:
            self._button = None
        return self._running

    def press_button(self) -> bool:
        """Press the bridge button; True when a waiting ``/auth`` gets the token."""
        if self._button is None or self._button.is_set():
            return False
        self._button.set()
        return True

    async def wait_for_auth_request(self, timeout: float | None = None) -> None:
        """Return once an ``/auth`` request is waiting for the button."""
        if self._button is not None and not self._button.is_set():
            return
        arrived: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._auth_waiters.append(arrived)
        try:
            async with asyncio.timeout(timeout):
                await arrived
        finally:
            self._auth_waiters.remove(arrived)

    async def reboot(self, *, forget_callbacks: bool = False) -> None:
        """Uptime starts again; a bridge with a lost configuration forgets callbacks."""
        self._boot = time.monotonic()
        self.add_log({"type": "Reboot"})
        if forget_callbacks:
            await self.callbacks.forget()

    async def factory_reset(self) -> None:
        """The configuration is gone; devices stay paired so a test can go on."""
        self.auth_enabled = True
        self._log.clear()
        await self.reboot(forget_callbacks=True)

    @property
    def callback_urls(self) -> list[str]:
        return self.callbacks.urls

    def add_callback(self, url: str) -> None:
        """Register without HTTP and without the checks of ``/callback/add``."""
        self.callbacks.add(url)

    async def drain_callbacks(self) -> None:
        """Return once every queued callback was delivered or failed."""
        await self.callbacks.drain()

    def add_callback_interceptor(self, interceptor: CallbackInterceptor) -> Callable[[], None]:
        """Hold back, drop or let go every callback delivery: see :mod:`.callbacks`."""
        return self.callbacks.add_interceptor(interceptor)

    async def _post_callback(self, url: str, body: dict[str, Any]) -> bool:
        # Kept for subclasses written before add_callback_interceptor existed.
        return await self.callbacks.deliver(url, body)
