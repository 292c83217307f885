"""Asyncio client for the Nuki Bridge HTTP API.

A bridge serves one request at a time and answers a second concurrent one with
503; two requests within about half a second can make it hang. This client
therefore sends every request through one gate per bridge (per event loop):
at most one request is in flight, requests are spaced out, and a 503, which
means "not executed", is retried with back-off.

A lock action whose answer is lost (timeout, dropped connection) may or may not
have been carried out. It is reported as :class:`NukiOutcomeUnknownError` and
never sent again: unlatching twice opens the door twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import urlsplit

import aiohttp

from .auth import Token, auth_params
from .const import (
    AUTH_BUTTON_SECONDS,
    CALLBACK_URL_MAX_LENGTH,
    DEFAULT_PORT,
    DeviceType,
    LockAction,
    OpenerAction,
    TokenMode,
)
from .exceptions import (
    NukiAuthError,
    NukiBadRequestError,
    NukiBridgeBusyError,
    NukiCallbackSlotsFullError,
    NukiCommandRefusedError,
    NukiConnectionError,
    NukiError,
    NukiInvalidResponseError,
    NukiOutcomeUnknownError,
    NukiTimeoutError,
    NukiUnknownDeviceError,
)
from .models import BridgeInfo, CallbackEntry, Device, DeviceState

_LOGGER = logging.getLogger(__name__)

DEFAULT_REQUEST_TIMEOUT: Final = 10.0
# A waiting lock action lasts as long as the motor and Bluetooth need.
DEFAULT_ACTION_TIMEOUT: Final = 40.0
DEFAULT_REQUEST_INTERVAL: Final = 0.5
DEFAULT_BUSY_RETRIES: Final = 5
DEFAULT_BUSY_BACKOFF: Final = 0.5
# How a bridge says its callback slots are full: "too many callbacks registered".
_SLOTS_FULL_TEXT: Final = "too many"


def callback_url_problem(url: str) -> str | None:
    """Why the bridge would refuse this callback URL, or ``None`` if it takes it.

    The one statement of the rule: the client checks before sending, the bridge
    stand-in answers 400 with it.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "the URL cannot be read"
    if parts.scheme != "http":
        return "the bridge only calls http:// URLs"
    if not parts.hostname:
        return "the URL names no host"
    if len(url) > CALLBACK_URL_MAX_LENGTH:
        return f"the bridge accepts callback URLs of at most {CALLBACK_URL_MAX_LENGTH} characters"
    return None


@dataclass(frozen=True, slots=True)
class ActionResult:
    """Answer to a lock action: it was accepted (``nowait``) or carried out."""

    success: bool
    battery_critical: bool | None


class _Gate:
    """One request in flight per bridge, and a pause between requests."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.last_done = float("-inf")


_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, int], _Gate]] = (
    weakref.WeakKeyDictionary()
)


def _gate_for(host: str, port: int) -> _Gate:
    # Clients of the same bridge in one program share a gate, so a config flow
    # probing a bridge never collides with the running integration's requests.
    per_loop = _gates.setdefault(asyncio.get_running_loop(), {})
    return per_loop.setdefault((host.lower(), port), _Gate())


# Request-level middlewares came with aiohttp 3.12.
_REQUEST_MIDDLEWARES: Final = tuple(map(int, aiohttp.__version__.split(".")[:2])) >= (3, 12)


def _send_once() -> dict[str, Any]:
    """Request options that stop aiohttp from sending an action a second time.

    aiohttp retries an idempotent request once when the connection drops; for
    a bridge action that may carry it out twice. The request-level middleware
    (aiohttp 3.12 and later) sees each send; the second one fails as the first
    did, so the caller reports the outcome as unknown.
    """
    if not _REQUEST_MIDDLEWARES:
        return {}
    sent = False

    async def guard(
        request: aiohttp.ClientRequest, handler: Callable[..., Awaitable[aiohttp.ClientResponse]]
    ) -> aiohttp.ClientResponse:
        nonlocal sent
        if sent:
            raise aiohttp.ServerDisconnectedError("not sent again: the action may have been done")
        sent = True
        return await handler(request)

    return {"middlewares": (guard,)}


class BridgeClient:
    """Talks to one Nuki Bridge.

    ``session`` is used as given and left open; without one, the client creates
    its own and closes it in :meth:`close` / ``async with``.
    """

    def __init__(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        token: str | Token | None = None,
        *,
        token_mode: TokenMode = TokenMode.ENCRYPTED,
        session: aiohttp.ClientSession | None = None,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        action_timeout: float = DEFAULT_ACTION_TIMEOUT,
        request_interval: float = DEFAULT_REQUEST_INTERVAL,
        busy_retries: int = DEFAULT_BUSY_RETRIES,
        busy_backoff: float = DEFAULT_BUSY_BACKOFF,
    ) -> None:
        self.host = host
        self.port = port
        self._token = token if isinstance(token, Token) or token is None else Token(token)
        self.token_mode = TokenMode(token_mode)
        self._session = session
        self._own_session = session is None
        self.request_timeout = request_timeout
        self.action_timeout = action_timeout
        self.request_interval = request_interval
        self.busy_retries = busy_retries
        self.busy_backoff = busy_backoff

    def __repr__(self) -> str:
        return f"BridgeClient(host={self.host!r}, port={self.port}, token_mode={self.token_mode})"

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

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

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        return self._session

    # -- the one choke point ---------------------------------------------

    async def request(
        self,
        endpoint: str,
        params: Mapping[str, str | int] | None = None,
        *,
        authenticated: bool = True,
        is_action: bool = False,
        timeout: float | None = None,
        busy_retries: int | None = None,
    ) -> Any:
        """Send one request through the bridge's gate and return its JSON.

        ``is_action`` marks requests that change the world: when their answer is
        lost they raise :class:`NukiOutcomeUnknownError` instead of a timeout.
        ``busy_retries``: how often a 503 is tried again (default: the client's);
        0 for a caller that knows better when to try again.
        """
        retries = self.busy_retries if busy_retries is None else busy_retries
        gate = _gate_for(self.host, self.port)
        loop = asyncio.get_running_loop()
        async with gate.lock:
            attempt = 0
            while True:
                pause = gate.last_done + self.request_interval - loop.time()
                if pause > 0:
                    await asyncio.sleep(pause)
                try:
                    status, body = await self._send(
                        endpoint, params, authenticated, is_action, timeout
                    )
                finally:
                    gate.last_done = loop.time()
                if status != 503:
                    try:
                        return self._interpret(endpoint, status, body)
                    except NukiInvalidResponseError as err:
                        if not is_action:
                            raise
                        # The bridge got the command; only its answer is unreadable.
                        raise NukiOutcomeUnknownError(
                            f"the bridge's answer to /{endpoint} could not be read; "
                            "the command may or may not have been carried out"
                        ) from err
                if attempt >= retries:
                    raise NukiBridgeBusyError(
                        f"the bridge answered /{endpoint} with 503 (busy, or the device out "
                        f"of its reach) {attempt + 1} times; nothing was executed"
                    )
                delay = self.busy_backoff * 2**attempt
                attempt += 1
                _LOGGER.debug(
                    "Bridge %s busy on /%s, retry %d in %.2fs", self.host, endpoint, attempt, delay
                )
                await asyncio.sleep(delay)

    async def _send(
        self,
        endpoint: str,
        params: Mapping[str, str | int] | None,
        authenticated: bool,
        is_action: bool,
        timeout: float | None,
    ) -> tuple[int, str]:
        query: dict[str, str] = {k: str(v) for k, v in (params or {}).items()}
        if authenticated:
            if self._token is None:
                raise NukiAuthError("no API token configured")
            # Built anew for each attempt: hashed and encrypted tokens are single use.
            query.update(auth_params(self._token, self.token_mode))
        limit = timeout if timeout is not None else self.request_timeout
        _LOGGER.debug("GET %s/%s %s", self.base_url, endpoint, sorted(params or {}))
        try:
            async with asyncio.timeout(limit):
                async with self._get_session().request(
                    # aiohttp silently sends an idempotent method ("GET") a second
                    # time when the connection drops; every bridge action is a GET.
                    # Older aiohttp only does so for the upper-case spelling, so
                    # actions are sent as "get" (the wire still says GET); aiohttp
                    # 3.12 and later also get a guard that refuses the second send.
                    "get" if is_action else "GET",
                    f"{self.base_url}/{endpoint}",
                    params=query,
                    allow_redirects=False,
                    **(_send_once() if is_action else {}),
                ) as response:
                    return response.status, await response.text(errors="replace")
        except aiohttp.ClientConnectorError as err:
            # Nothing reached the bridge: safe to report as a plain connection error.
            raise NukiConnectionError(
                f"cannot connect to the bridge at {self.host}:{self.port}: {err.os_error}"
            ) from err
        except TimeoutError as err:
            if is_action:
                raise NukiOutcomeUnknownError(
                    f"the bridge did not answer /{endpoint} within {limit:g}s; "
                    "the command may or may not have been carried out"
                ) from err
            raise NukiTimeoutError(
                f"the bridge did not answer /{endpoint} within {limit:g}s"
            ) from err
        except aiohttp.ClientError as err:
            if is_action:
                raise NukiOutcomeUnknownError(
                    f"the connection to the bridge dropped during /{endpoint} "
                    f"({type(err).__name__}); the command may or may not have been carried out"
                ) from err
            raise NukiConnectionError(
                f"the connection to the bridge dropped during /{endpoint} ({type(err).__name__})"
            ) from err

    def _interpret(self, endpoint: str, status: int, body: str) -> Any:
        if status == 200:
            if not body.strip():
                return None
            try:
                return json.loads(body)
            except ValueError as err:
                raise NukiInvalidResponseError(
                    f"the bridge answered /{endpoint} with something that is not JSON"
                ) from err
        if status == 401:
            hint = (
                " If the token is right, the clocks of this machine and the bridge may differ "
                f"(the {self.token_mode} token is only valid for 60 s)."
                if self.token_mode.depends_on_clock
                else ""
            )
            raise NukiAuthError(
                f"the bridge refused the API token.{hint}",
                clock_may_differ=self.token_mode.depends_on_clock,
            )
        if status == 403:
            raise NukiAuthError("authentication is disabled on the bridge (enable the HTTP API)")
        if status == 404:
            raise NukiUnknownDeviceError(f"the bridge does not know this device (/{endpoint})")
        if status == 400:
            raise NukiBadRequestError(f"the bridge rejected the parameters of /{endpoint}")
        raise NukiInvalidResponseError(f"the bridge answered /{endpoint} with HTTP {status}")

    # -- endpoints ----------------------------------------------------------

    async def request_token(self) -> str:
        """``/auth``: wait for the bridge's button to be pressed, return the new token.

        The bridge waits up to 30 s. This is the one call without a token.
        """
        data = await self.request(
            "auth", authenticated=False, timeout=AUTH_BUTTON_SECONDS + self.request_timeout
        )
        if not isinstance(data, dict) or not data.get("success") or "token" not in data:
            raise NukiCommandRefusedError("the bridge's button was not pressed in time")
        token = data["token"]
        if not isinstance(token, str):
            raise NukiInvalidResponseError("the bridge sent a token that is not a string")
        return token

    async def config_auth(self, enable: bool) -> None:
        self._expect_success(
            await self.request("configAuth", {"enable": int(enable)}, is_action=True)
        )

    async def info(self) -> BridgeInfo:
        return BridgeInfo.from_dict(await self.request("info"))

    async def list_devices(self) -> list[Device]:
        """``/list``: every paired device with its last known state (cheap, cached)."""
        data = await self.request("list")
        if not isinstance(data, list):
            raise NukiInvalidResponseError("/list did not answer a JSON array")
        devices = []
        for item in data:
            try:
                devices.append(Device.from_dict(item))
            except NukiInvalidResponseError as err:
                _LOGGER.debug("Ignoring unreadable /list entry: %s", err)
        return devices

    async def lock_state(self, nuki_id: int, device_type: DeviceType) -> DeviceState:
        """``/lockState``: asks the device itself over Bluetooth.

        This wakes the lock and costs battery: call it on explicit demand only.
        """
        data = await self.request("lockState", {"nukiId": nuki_id, "deviceType": int(device_type)})
        if not isinstance(data, dict):
            raise NukiInvalidResponseError("/lockState did not answer a JSON object")
        if data.get("success") is False:
            raise NukiCommandRefusedError(
                str(data.get("message") or "the bridge could not reach the device")
            )
        return DeviceState.from_dict(data, DeviceType(device_type))

    async def lock_action(
        self,
        nuki_id: int,
        device_type: DeviceType,
        action: LockAction | OpenerAction | int,
        *,
        wait: bool = True,
        retry_busy: bool = True,
    ) -> ActionResult:
        """``/lockAction``. With ``wait`` the bridge answers once the device is done.

        ``retry_busy=False``: a 503 (not executed) raises :class:`NukiBridgeBusyError`
        at once, for a caller that waits for the bridge's radio itself.
        """
        params = {
            "nukiId": nuki_id,
            "deviceType": int(device_type),
            "action": int(action),
            "nowait": 0 if wait else 1,
        }
        answer = await self.request(
            "lockAction",
            params,
            is_action=True,
            timeout=self._timeout(wait),
            busy_retries=None if retry_busy else 0,
        )
        return self._action_result(answer)

    async def lock(
        self, nuki_id: int, device_type: DeviceType, *, wait: bool = True
    ) -> ActionResult:
        """``/lock``: the simple lock action the device firmware chooses."""
        return await self._simple("lock", nuki_id, device_type, wait)

    async def unlock(
        self, nuki_id: int, device_type: DeviceType, *, wait: bool = True
    ) -> ActionResult:
        return await self._simple("unlock", nuki_id, device_type, wait)

    async def _simple(
        self, endpoint: str, nuki_id: int, device_type: DeviceType, wait: bool
    ) -> ActionResult:
        params = {"nukiId": nuki_id, "deviceType": int(device_type), "nowait": 0 if wait else 1}
        return self._action_result(
            await self.request(endpoint, params, is_action=True, timeout=self._timeout(wait))
        )

    async def unpair(self, nuki_id: int, device_type: DeviceType) -> None:
        self._expect_success(
            await self.request(
                "unpair", {"nukiId": nuki_id, "deviceType": int(device_type)}, is_action=True
            )
        )

    async def callback_add(self, url: str) -> None:
        """Register ``url``; :class:`NukiCallbackSlotsFullError` when all 3 slots are taken."""
        if (problem := callback_url_problem(url)) is not None:
            raise NukiBadRequestError(f"invalid callback URL: {problem}")
        try:
            self._expect_success(await self.request("callback/add", {"url": url}, is_action=True))
        except NukiCommandRefusedError as err:
            if _SLOTS_FULL_TEXT in err.message.lower():
                raise NukiCallbackSlotsFullError(err.message) from err
            raise

    async def callback_list(self) -> list[CallbackEntry]:
        data = await self.request("callback/list")
        if not isinstance(data, dict) or not isinstance(data.get("callbacks"), list):
            raise NukiInvalidResponseError("/callback/list did not answer a callbacks list")
        return [CallbackEntry.from_dict(item) for item in data["callbacks"]]

    async def callback_remove(self, callback_id: int) -> None:
        self._expect_success(
            await self.request("callback/remove", {"id": callback_id}, is_action=True)
        )

    async def log(self, offset: int = 0, count: int = 100) -> list[dict[str, Any]]:
        data = await self.request("log", {"offset": offset, "count": count})
        if not isinstance(data, list):
            raise NukiInvalidResponseError("/log did not answer a JSON array")
        return [entry for entry in data if isinstance(entry, dict)]

    async def clear_log(self) -> None:
        await self.request("clearlog", is_action=True)

    async def reboot(self) -> None:
        await self.request("reboot", is_action=True)

    async def factory_reset(self) -> None:
        await self.request("factoryReset", is_action=True)

    async def fw_update(self, scope: int = 0) -> None:
        await self.request("fwupdate", {"scope": scope}, is_action=True)

    # -- helpers ---------------------------------------------------------------

    def _timeout(self, wait: bool) -> float:
        return self.action_timeout if wait else self.request_timeout

    @staticmethod
    def _expect_success(data: Any) -> None:
        if isinstance(data, dict) and data.get("success") is False:
            raise NukiCommandRefusedError(
                str(data.get("message") or "the bridge did not carry out the command")
            )
        if not isinstance(data, dict) or data.get("success") is not True:
            raise NukiInvalidResponseError("the bridge's answer has no success field")

    @classmethod
    def _action_result(cls, data: Any) -> ActionResult:
        try:
            cls._expect_success(data)
        except NukiInvalidResponseError as err:
            raise NukiOutcomeUnknownError(
                "the bridge's answer to the action has no success field; "
                "the command may or may not have been carried out"
            ) from err
        critical = data.get("batteryCritical")
        return ActionResult(
            success=True, battery_critical=critical if isinstance(critical, bool) else None
        )


__all__ = ["ActionResult", "BridgeClient", "NukiError", "callback_url_problem"]
