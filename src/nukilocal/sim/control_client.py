"""Typed client of the bridge stand-in's control interface (``/sim/...``).

The routes are described in :mod:`nukilocal.sim.control`.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import aiohttp

from ..exceptions import (
    NukiAuthError,
    NukiBadRequestError,
    NukiConnectionError,
    NukiError,
    NukiInvalidResponseError,
    NukiUnknownDeviceError,
)

TOKEN_HEADER = "X-Sim-Token"


class SimControlClient:
    """Typed client of the control interface (used by the CLI, demos and tests).

    Errors: :class:`NukiAuthError` (401), :class:`NukiUnknownDeviceError` (404),
    :class:`NukiBadRequestError` (400), :class:`NukiConnectionError` (transport).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        session: aiohttp.ClientSession | None = None,
        *,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._session = session
        self._own_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def request(self, route: str, **params: object) -> dict[str, Any]:
        """POST ``/sim/<route>``; ``None`` parameters are left out, booleans sent as 1/0."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        query: dict[str, str] = {}
        for key, value in params.items():
            if value is None:
                continue
            query[key] = str(int(value)) if isinstance(value, bool) else str(value)
        try:
            async with self._session.post(
                f"{self.base_url}/sim/{route}",
                params=query,
                headers={TOKEN_HEADER: self._token},
                timeout=self._timeout,
            ) as response:
                status = response.status
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as err:
            raise NukiConnectionError(f"control interface unreachable: {err!r}") from err
        except ValueError as err:
            raise NukiInvalidResponseError("control interface sent no JSON") from err
        if not isinstance(data, dict):
            raise NukiInvalidResponseError("control interface answer is not an object")
        message = str(data.get("message", ""))
        if status == 401:
            raise NukiAuthError("control interface refused the token")
        if status == 404:
            raise NukiUnknownDeviceError(message)
        if status == 400:
            raise NukiBadRequestError(message)
        if status != 200 or not data.get("success"):
            raise NukiError(f"control request failed ({status}): {message}")
        return data

    async def devices(self) -> list[dict[str, Any]]:
        devices: list[dict[str, Any]] = (await self.request("devices"))["devices"]
        return devices

    async def turn_knob(self, nuki_id: int, *, lock: bool, device_type: int | None = None) -> None:
        await self.request(
            "knob", nukiId=nuki_id, deviceType=device_type, action="lock" if lock else "unlock"
        )

    async def ring(self, nuki_id: int) -> bool:
        """Ring an opener's doorbell; True when it opened the door."""
        return bool((await self.request("ring", nukiId=nuki_id))["opened"])

    async def set_door(
        self, nuki_id: int, *, is_open: bool, device_type: int | None = None
    ) -> None:
        await self.request("door", nukiId=nuki_id, deviceType=device_type, open=is_open)

    async def jam(self, nuki_id: int, *, times: int = 1, device_type: int | None = None) -> None:
        await self.request("jam", nukiId=nuki_id, deviceType=device_type, times=times)

    async def set_battery(
        self,
        nuki_id: int,
        *,
        level: int | None = None,
        critical: bool | None = None,
        charging: bool | None = None,
        device_type: int | None = None,
    ) -> None:
        await self.request(
            "battery",
            nukiId=nuki_id,
            deviceType=device_type,
            level=level,
            critical=critical,
            charging=charging,
        )

    async def set_keypad_battery_critical(
        self, nuki_id: int, critical: bool, *, device_type: int | None = None
    ) -> None:
        await self.request("keypad", nukiId=nuki_id, deviceType=device_type, critical=critical)

    async def set_online(
        self, nuki_id: int, online: bool, *, device_type: int | None = None
    ) -> None:
        await self.request("online", nukiId=nuki_id, deviceType=device_type, online=online)

    async def set_identity(
        self,
        nuki_id: int,
        *,
        name: str | None = None,
        firmware: str | None = None,
        device_type: int | None = None,
    ) -> None:
        """Rename a device (as in the Nuki app) or give it new firmware."""
        await self.request(
            "identity", nukiId=nuki_id, deviceType=device_type, name=name, firmware=firmware
        )

    async def press_button(self) -> bool:
        return bool((await self.request("button"))["pressed"])

    async def reboot(self, *, forget_callbacks: bool = False) -> None:
        await self.request("reboot", forget_callbacks=forget_callbacks)

    async def set_faults(
        self,
        *,
        force503: int | None = None,
        latency: float | None = None,
        hang: float | None = None,
        reset: int | None = None,
        malformed: int | None = None,
        truncated: int | None = None,
        burst_window: float | None = None,
        burst_hang: float | None = None,
        failed_callback_blocks: bool | None = None,
        clear: bool = False,
    ) -> dict[str, Any]:
        """Faults for the next requests; ``burst_window``/``burst_hang``: a fragile bridge."""
        data = await self.request(
            "faults",
            clear=clear or None,
            force503=force503,
            latency=latency,
            hang=hang,
            reset=reset,
            malformed=malformed,
            truncated=truncated,
            burst_window=burst_window,
            burst_hang=burst_hang,
            failed_callback_blocks=failed_callback_blocks,
        )
        faults: dict[str, Any] = data["faults"]
        return faults

    async def clear_faults(self) -> dict[str, Any]:
        return await self.set_faults(clear=True)

    async def set_clock_offset(self, seconds: float) -> None:
        await self.request("clock", offset=seconds)

    async def callbacks(self) -> list[str]:
        urls: list[str] = (await self.request("callbacks"))["callbacks"]
        return urls

    async def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = (await self.request("stats"))["stats"]
        return stats

    async def reset_stats(self) -> None:
        await self.request("stats/reset")

    async def set_radio(self, mode: str) -> str:
        """``"exclusive"`` or ``"parallel"`` (see :mod:`nukilocal.sim.radio`); the mode now."""
        return str((await self.request("radio", mode=mode))["radio"])

    async def radio(self) -> dict[str, Any]:
        """``{"radio": mode, "running": [nukiId, ...]}``: devices with a bridge action running."""
        data = await self.request("radio")
        return {"radio": data["radio"], "running": data["running"]}
