"""A real Home Assistant in a config dir, driven through its HTTP and WebSocket APIs.

Nothing here writes Home Assistant's ``.storage``: onboarding, users, config
entries and flows go through the same endpoints the frontend uses, so the
demo and the tests exercise what a user's clicks would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp

REPO_ROOT = Path(__file__).resolve().parent.parent
INTEGRATION_DIR = REPO_ROOT / "custom_components" / "nuki"

USERNAME = "demo"
PASSWORD = "nuki-demo"
USER_DISPLAY_NAME = "Demo"
LOG_FILE = "home-assistant.log"
CONSOLE_FILE = "hass-console.log"

# The core_config step of onboarding starts these integrations' flows by
# itself. Their packages are not installed (the demo is offline), so each
# logs an import error once; the entries it leaves behind are removed.
ONBOARDING_EXTRAS = ("google_translate", "met", "radio_browser", "shopping_list")
ONBOARDING_EXTRA_MODULES = ("gtts", "metno", "radios")
ONBOARDING_EXTRA_PACKAGES = ("gTTS", "PyMetno", "radios")
ONBOARDING_STEPS = ("user", "core_config", "analytics", "integration")


class HassError(Exception):
    """Home Assistant did not start, or an API call did not do what was asked."""


class HassCommandError(HassError):
    """A WebSocket command answered ``success: false``; ``error`` is Home Assistant's."""

    def __init__(self, error: Mapping[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.error = dict(error)
        self.code = str(error.get("code"))
        self.message = str(error.get("message"))


def http_settings_stored(config_dir: Path) -> bool:
    """Home Assistant 2026.x keeps the HTTP settings in its storage once it read them.

    It takes ``http:`` from YAML only on the first start (as settings to
    confirm within five minutes, see :meth:`HassClient.confirm_http_settings`)
    and asks for it to be removed afterwards.
    """
    return (config_dir / ".storage" / "http").exists()


def configuration_yaml(port: int, *, log_level: str = "info", http: bool = True) -> str:
    """Minimal and offline: no ``default_config``, whose integrations need packages."""
    url = f"http://127.0.0.1:{port}"
    http_section = f"http:\n  server_host: 127.0.0.1\n  server_port: {port}\n" if http else ""
    return f"""\
# Written by demo/hass.py on every start (ports may change); edit that file instead.
homeassistant:
  name: Nuki demo
  unit_system: metric
  # Set, so that a newcomer is not greeted by a repair about it.
  country: DE
  # The bridge stand-in calls the integration's webhook at this address.
  internal_url: {url}

{http_section}
frontend:

# Automations made in the UI (or through the config API) land in this file.
automation: !include automations.yaml

logger:
  default: warning
  logs:
    homeassistant.setup: info
    # Shows Home Assistant installing the integration's requirement.
    homeassistant.util.package: info
    homeassistant.bootstrap: info
    custom_components.nuki: {log_level}
    nukilocal: {log_level}
"""


def prepare_config_dir(config_dir: Path, port: int, *, log_level: str = "info") -> None:
    """Create or refresh the config dir; the integration is linked, not copied."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "configuration.yaml").write_text(
        configuration_yaml(port, log_level=log_level, http=not http_settings_stored(config_dir))
    )
    automations = config_dir / "automations.yaml"
    if not automations.exists():
        automations.write_text("[]\n")
    custom = config_dir / "custom_components"
    custom.mkdir(exist_ok=True)
    link = custom / "nuki"
    if link.is_symlink() and link.resolve() == INTEGRATION_DIR:
        return
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(INTEGRATION_DIR, target_is_directory=True)


HASS_VENV = REPO_ROOT / ".venv-hass"


def hass_venv() -> Path:
    """The virtual environment Home Assistant runs from (``make setup`` creates it).

    ``.venv-hass``: the current release (2026.11) on Python 3.14, what users run.
    ``NUKI_HASS_VENV`` names another one (the oldest supported release runs from
    ``.venv``, where Home Assistant 2025.4 is installed for the integration's tests).
    """
    return Path(os.environ.get("NUKI_HASS_VENV", HASS_VENV)).absolute()


def installs_requirements(venv: Path) -> bool:
    """Only in its own venv does Home Assistant install the library itself.

    Another venv (``.venv``) has the library installed editable for the tests:
    Home Assistant runs there with ``--skip-pip`` and must not replace it.
    """
    return venv.resolve() == HASS_VENV.resolve()


def build_wheel() -> Path:
    """This checkout's library as the wheel a package index would serve."""
    wheelhouse = REPO_ROOT / ".artifacts" / "wheelhouse"
    shutil.rmtree(wheelhouse, ignore_errors=True)
    # The demo's own interpreter has setuptools: no isolated build, no download.
    subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(wheelhouse),
            str(REPO_ROOT),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return wheelhouse


def prepare_requirements(venv: Path) -> dict[str, str]:
    """Let Home Assistant install the library itself, as it does for a HACS user.

    The library is removed from Home Assistant's venv and the wheel of this
    checkout is offered next to the package index (``UV_FIND_LINKS``; Home
    Assistant installs requirements with uv). Returns the environment for
    ``hass``.
    """
    subprocess.run(  # noqa: S603
        [str(venv / "bin" / "python"), "-m", "pip", "uninstall", "--quiet", "--yes", "nukilocal"],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = dict(os.environ)
    env["UV_FIND_LINKS"] = str(build_wheel())
    # Nothing of the project's own venv leaks into Home Assistant's.
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    return env


def hass_command(config_dir: Path, venv: Path) -> list[str]:
    # The venv's entry point, not ``python -m``: that would put the working
    # directory first on sys.path, and the repo's own custom_components with it.
    # Requirements are installed by Home Assistant (prepare_requirements), except
    # the onboarding extras' packages: they are left out on purpose (offline demo).
    if installs_requirements(venv):
        skip = ["--skip-pip-packages", ",".join(ONBOARDING_EXTRA_PACKAGES)]
    else:
        skip = ["--skip-pip"]
    return [str(venv / "bin" / "hass"), "--config", str(config_dir), *skip, "--log-no-color"]


class HassProcess:
    """``hass`` in its own session, stopped by pid."""

    def __init__(self, config_dir: Path, port: int) -> None:
        self.config_dir = config_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def log_path(self) -> Path:
        return self.config_dir / LOG_FILE

    def start(self) -> None:
        venv = hass_venv()
        env = prepare_requirements(venv) if installs_requirements(venv) else None
        console = (self.config_dir / CONSOLE_FILE).open("wb")
        try:
            # Fixed argument list (the venv's hass, our config dir): no shell, no user input.
            self.process = subprocess.Popen(  # noqa: S603
                hass_command(self.config_dir, venv),
                cwd=self.config_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                # Ctrl-C in the demo's terminal must not reach Home Assistant
                # before the stack decides the order of stopping.
                start_new_session=True,
            )
        finally:
            console.close()

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def log_tail(self, lines: int = 30) -> str:
        for path in (self.log_path, self.config_dir / CONSOLE_FILE):
            if path.exists():
                return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    async def wait_http(self, session: aiohttp.ClientSession, timeout: float = 120.0) -> None:
        """Until the HTTP server answers: a bounded poll, the process has no other signal."""
        deadline = time.monotonic() + timeout
        while True:
            if (code := self.exited()) is not None:
                raise HassError(f"Home Assistant exited with {code}:\n{self.log_tail()}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                # Served from the start without a login; it answers 400 until
                # onboarding is done, any answer means the server is up.
                async with session.get(
                    f"{self.url}/auth/providers", timeout=aiohttp.ClientTimeout(total=5)
                ) as response:
                    if response.status < 500:
                        return
            if time.monotonic() > deadline:
                raise HassError(f"Home Assistant did not answer in {timeout:.0f} s")
            await asyncio.sleep(0.25)

    def stop(self, timeout: float = 60.0) -> int | None:
        """SIGTERM (Home Assistant saves its state and stops), SIGKILL if it hangs."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode


@dataclass(slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    client_id: str
    hass_url: str

    def frontend_storage(self) -> dict[str, Any]:
        """What the frontend keeps in localStorage ``hassTokens``."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_in": self.expires_in,
            "token_type": "Bearer",
            "expires": int(time.time() * 1000) + self.expires_in * 1000,
            "hassUrl": self.hass_url,
            "clientId": self.client_id,
        }


class HassClient:
    """REST side: onboarding, login, config entries and flows."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        # The frontend's own client id: tokens made for it work in the browser.
        self.client_id = f"{url}/"
        self.tokens: Tokens | None = None

    @property
    def _auth(self) -> dict[str, str]:
        if self.tokens is None:
            raise HassError("not logged in")
        return {"Authorization": f"Bearer {self.tokens.access_token}"}

    async def _json(self, response: aiohttp.ClientResponse) -> Any:
        text = await response.text()
        if response.status >= 400:
            raise HassError(f"{response.method} {response.url.path}: {response.status} {text}")
        return json.loads(text) if text else None

    async def get(self, path: str) -> Any:
        async with self.session.get(f"{self.url}{path}", headers=self._auth) as response:
            return await self._json(response)

    async def post(self, path: str, payload: Any = None) -> Any:
        async with self.session.post(
            f"{self.url}{path}", json=payload, headers=self._auth
        ) as response:
            return await self._json(response)

    async def delete(self, path: str) -> Any:
        async with self.session.delete(f"{self.url}{path}", headers=self._auth) as response:
            return await self._json(response)

    # -- onboarding and login ---------------------------------------------------

    async def wait_running(self, timeout: float = 120.0) -> None:
        """Until start-up has finished (config entries set up): a bounded poll of /api/config."""
        deadline = time.monotonic() + timeout
        while (await self.get("/api/config")).get("state") != "RUNNING":
            if time.monotonic() > deadline:
                raise HassError(f"Home Assistant did not finish starting in {timeout:.0f} s")
            await asyncio.sleep(0.25)

    async def onboarding_steps(self) -> dict[str, bool]:
        """Each step and whether it is done; all done once the endpoint is gone."""
        async with self.session.get(f"{self.url}/api/onboarding") as response:
            if response.status == 404:
                return dict.fromkeys(ONBOARDING_STEPS, True)
            steps = await self._json(response)
        return {step["step"]: step["done"] for step in steps}

    async def _exchange(self, code: str) -> Tokens:
        async with self.session.post(
            f"{self.url}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        ) as response:
            data = await self._json(response)
        self.tokens = Tokens(
            access_token=data["access_token"],
            refresh_token=data["refresh_token"],
            expires_in=int(data["expires_in"]),
            client_id=self.client_id,
            hass_url=self.url,
        )
        return self.tokens

    async def create_owner(self, username: str, password: str, name: str) -> Tokens:
        """Onboarding's user step: the owner account, logged in at once."""
        async with self.session.post(
            f"{self.url}/api/onboarding/users",
            json={
                "name": name,
                "username": username,
                "password": password,
                "client_id": self.client_id,
                "language": "en",
            },
        ) as response:
            data = await self._json(response)
        return await self._exchange(data["auth_code"])

    async def finish_onboarding(self, steps: Mapping[str, bool]) -> bool:
        """The remaining steps, in the frontend's order; True when core_config ran now."""
        ran_core_config = False
        for step in ("core_config", "analytics"):
            if not steps.get(step, False):
                await self.post(f"/api/onboarding/{step}", {})
                ran_core_config |= step == "core_config"
        if not steps.get("integration", False):
            await self.post(
                "/api/onboarding/integration",
                {"client_id": self.client_id, "redirect_uri": f"{self.url}/?auth_callback=1"},
            )
        return ran_core_config

    async def confirm_http_settings(self) -> bool:
        """Confirm HTTP settings Home Assistant 2026.x took from YAML, as the dialog's button does.

        Unconfirmed, they are reverted after five minutes (and the server moves
        to port 8123). True when there was something to confirm; releases
        without these settings (2025.4) have no such command.
        """
        async with self.websocket() as ws:
            try:
                settings = await ws.call("http/config")
            except HassCommandError:
                return False
            pending = settings.get("pending")
            if not pending or pending.get("error"):
                return False
            await ws.call("http/config/promote")
            # The settings live in Home Assistant's storage from now on; the demo
            # leaves ``http:`` out of its YAML at the next start, so the notice
            # asking to remove it is answered now (Repairs > Ignore).
            with contextlib.suppress(HassCommandError):
                await ws.call(
                    "repairs/ignore_issue", domain="http", issue_id="deprecated_yaml", ignore=True
                )
            return True

    def use_token(self, access_token: str) -> None:
        """A long-lived access token instead of a login (no refresh token)."""
        self.tokens = Tokens(access_token, "", 0, self.client_id, self.url)

    async def login(self, username: str, password: str) -> Tokens:
        """The login form's flow, as the frontend runs it."""
        async with self.session.post(
            f"{self.url}/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.url}/?auth_callback=1",
            },
        ) as response:
            flow = await self._json(response)
        async with self.session.post(
            f"{self.url}/auth/login_flow/{flow['flow_id']}",
            json={"client_id": self.client_id, "username": username, "password": password},
        ) as response:
            result = await self._json(response)
        if result.get("type") != "create_entry":
            raise HassError(f"login as {username!r} refused: {result.get('errors')}")
        return await self._exchange(result["result"])

    # -- config entries and flows -------------------------------------------------

    async def entries(self, domain: str | None = None) -> list[dict[str, Any]]:
        query = f"?domain={domain}" if domain else ""
        result: list[dict[str, Any]] = await self.get(f"/api/config/config_entries/entry{query}")
        return result

    async def delete_entry(self, entry_id: str) -> None:
        await self.delete(f"/api/config/config_entries/entry/{entry_id}")

    async def start_flow(self, handler: str, *, entry_id: str | None = None) -> dict[str, Any]:
        """A user flow, or with ``entry_id`` the entry's reconfigure flow."""
        payload: dict[str, Any] = {"handler": handler, "show_advanced_options": False}
        if entry_id is not None:
            payload["entry_id"] = entry_id
        result: dict[str, Any] = await self.post("/api/config/config_entries/flow", payload)
        return result

    async def submit_flow(self, flow_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self.post(
            f"/api/config/config_entries/flow/{flow_id}", dict(data)
        )
        return result

    async def run_flow(
        self, handler: str, data: Mapping[str, Any], *, entry_id: str | None = None
    ) -> dict[str, Any]:
        """Start a flow and answer its first form; the final result, checked for errors."""
        form = await self.start_flow(handler, entry_id=entry_id)
        if form.get("type") != "form":
            raise HassError(f"{handler} flow did not show a form: {form}")
        result = await self.submit_flow(form["flow_id"], data)
        if result.get("type") == "form":
            # Left open, a flow would sit in the UI's "discovered" list.
            with contextlib.suppress(HassError):
                await self.delete(f"/api/config/config_entries/flow/{form['flow_id']}")
            raise HassError(f"{handler} flow refused the input: {result.get('errors')}")
        return result

    async def wait_entry_loaded(self, entry_id: str, timeout: float = 60.0) -> dict[str, Any]:
        """Until the entry is set up again, e.g. after a reconfigure flow scheduled a reload.

        The reload starts eagerly inside the flow step, so by the time the flow
        answered the entry is no longer "loaded" unless the reload has finished.
        """
        async with self.websocket() as ws:
            updates = await ws.subscribe("config_entries/subscribe")
            async with asyncio.timeout(timeout):
                while True:
                    for change in await updates.next(timeout):
                        entry = change["entry"]
                        if entry["entry_id"] != entry_id:
                            continue
                        if entry["state"] == "loaded":
                            return dict(entry)
                        if entry["state"] in ("setup_error", "migration_error", "failed_unload"):
                            raise HassError(f"{entry['title']}: {entry['state']}")

    @contextlib.asynccontextmanager
    async def websocket(self) -> AsyncIterator[HassWebSocket]:
        if self.tokens is None:
            raise HassError("not logged in")
        ws = await HassWebSocket.connect(self.session, self.url, self.tokens.access_token)
        try:
            yield ws
        finally:
            await ws.close()


class Subscription:
    """Messages of one subscription, in the order Home Assistant sent them."""

    def __init__(self, ws: HassWebSocket, message_id: int) -> None:
        self.ws = ws
        self.id = message_id
        # An event is an object, or for some subscriptions a list of changes.
        self.queue: asyncio.Queue[Any] = asyncio.Queue()

    async def next(self, timeout: float = 30.0) -> Any:
        async with asyncio.timeout(timeout):
            return await self.queue.get()

    def pending(self) -> list[Any]:
        """Everything already received, without waiting."""
        items = []
        while not self.queue.empty():
            items.append(self.queue.get_nowait())
        return items

    async def unsubscribe(self) -> None:
        self.ws.subscriptions.pop(self.id, None)
        with contextlib.suppress(HassCommandError):
            await self.ws.call("unsubscribe_events", subscription=self.id)


class HassWebSocket:
    """``/api/websocket``: commands matched to results by id, subscriptions to queues."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._next_id = 0
        self._results: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.subscriptions: dict[int, Subscription] = {}
        self._reader = asyncio.create_task(self._read(), name="hass websocket reader")

    @classmethod
    async def connect(cls, session: aiohttp.ClientSession, url: str, access_token: str) -> Self:
        ws = await session.ws_connect(f"{url}/api/websocket", max_msg_size=0)
        hello = await ws.receive_json()
        if hello.get("type") != "auth_required":
            raise HassError(f"unexpected greeting {hello}")
        await ws.send_json({"type": "auth", "access_token": access_token})
        answer = await ws.receive_json()
        if answer.get("type") != "auth_ok":
            await ws.close()
            raise HassError(f"websocket authentication failed: {answer}")
        return cls(ws)

    async def _read(self) -> None:
        try:
            async for message in self._ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                for item in data if isinstance(data, list) else [data]:
                    self._dispatch(item)
        finally:
            for future in self._results.values():
                if not future.done():
                    future.set_exception(HassError("websocket closed"))

    def _dispatch(self, item: dict[str, Any]) -> None:
        message_id = item.get("id")
        if not isinstance(message_id, int):
            return
        if item.get("type") == "event":
            if (subscription := self.subscriptions.get(message_id)) is not None:
                subscription.queue.put_nowait(item["event"])
            return
        future = self._results.pop(message_id, None)
        if future is not None and not future.done():
            future.set_result(item)

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    async def _send(self, message_id: int, type_: str, payload: Mapping[str, Any]) -> Any:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._results[message_id] = future
        await self._ws.send_json({"id": message_id, "type": type_, **payload})
        answer = await future
        if not answer.get("success", False):
            raise HassCommandError(answer.get("error") or {"code": "unknown", "message": answer})
        return answer.get("result")

    async def call(self, type_: str, timeout: float = 60.0, **payload: Any) -> Any:
        async with asyncio.timeout(timeout):
            return await self._send(self._new_id(), type_, payload)

    async def subscribe(self, type_: str, **payload: Any) -> Subscription:
        message_id = self._new_id()
        # Registered before sending: the first event can follow the result at once.
        subscription = self.subscriptions[message_id] = Subscription(self, message_id)
        try:
            await self._send(message_id, type_, payload)
        except BaseException:
            self.subscriptions.pop(message_id, None)
            raise
        return subscription

    async def subscribe_events(self, event_type: str | None = None) -> Subscription:
        if event_type is None:
            return await self.subscribe("subscribe_events")
        return await self.subscribe("subscribe_events", event_type=event_type)

    async def call_service(
        self,
        domain: str,
        service: str,
        data: Mapping[str, Any] | None = None,
        *,
        entity_id: str | list[str] | None = None,
        timeout: float = 60.0,
    ) -> Any:
        payload: dict[str, Any] = {"domain": domain, "service": service}
        if data:
            payload["service_data"] = dict(data)
        if entity_id is not None:
            payload["target"] = {"entity_id": entity_id}
        return await self.call("call_service", timeout=timeout, **payload)

    async def close(self) -> None:
        await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
