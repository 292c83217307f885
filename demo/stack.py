"""Start and stop the whole demo stack: stand-ins, broker, and a set-up Home Assistant.

One ``DemoStack`` owns two child processes, each in its own session and
stopped by pid: ``python -m demo.standins`` (bridge stand-in with the default
devices, embedded MQTT broker, the Front door also as a Wi-Fi lock on it) and
``hass``. ``start()`` also brings Home Assistant to a usable state through its
APIs (onboarding, login, MQTT and Nuki config flows); a second start on the
same state dir finds all of that done and only logs in.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import aiohttp

from nukilocal.const import TokenMode
from nukilocal.sim.config import DEFAULT_TOKEN

from .hass import (
    INTEGRATION_DIR,
    ONBOARDING_EXTRAS,
    PASSWORD,
    REPO_ROOT,
    USER_DISPLAY_NAME,
    USERNAME,
    HassClient,
    HassCommandError,
    HassError,
    HassProcess,
    prepare_config_dir,
)

_LOGGER = logging.getLogger(__name__)

STATE_FILE: Final = "stack.json"
STANDINS_LOG: Final = "standins.log"
DOMAIN: Final = "nuki"
# The embedded broker (amqtt) speaks MQTT 3.1.1, not MQTT 5 (Home Assistant 2026.x's default).
EMBEDDED_BROKER_PROTOCOL: Final = "3.1.1"
# The demo's own dashboard (a dash is required in a dashboard's URL).
DASHBOARD_PATH: Final = "nuki-demo"

FRONT_DOOR: Final = 1015571181
BACK_DOOR: Final = 437991291
OPENER: Final = 930999314
DEVICE_NAMES: Final = {
    FRONT_DOOR: "Front door",
    BACK_DOOR: "Back door",
    OPENER: "Building entrance",
}


@dataclass(slots=True)
class Ports:
    """0 means "any free port"."""

    hass: int = 8123
    bridge: int = 8080
    broker: int = 1883


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        # Like the servers will: a port in TIME_WAIT from the last run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def choose_port(preferred: int) -> int:
    """The preferred port when nothing listens there, else any free one (0 stays 0)."""
    if preferred == 0 or port_is_free(preferred):
        return preferred
    return 0


def integration_supports_mqtt() -> bool:
    """Wi-Fi locks over MQTT arrive with an ``mqtt`` key in the manifest."""
    manifest = json.loads((INTEGRATION_DIR / "manifest.json").read_text())
    return bool(manifest.get("mqtt"))


def session_alive(session_id: int) -> list[int]:
    """Processes still in a child's session (its pid is the session id), as ``pgrep -s``."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name in parentheses may contain spaces; fields follow it.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == session_id and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def end_session(session_id: int, grace: float = 10.0) -> list[int]:
    """Wait until a child's session is empty; SIGKILL what is still there after ``grace``.

    Helpers (a browser's renderers, crash handler) may exit a moment after the
    process that started them. Waiting is on pidfds, not on a timer. Returns
    the pids that did not end by themselves (killed here, so none survive).
    """
    deadline = time.monotonic() + grace
    while alive := session_alive(session_id):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        poller = select.poll()
        fds = []
        for pid in alive:
            with contextlib.suppress(ProcessLookupError):
                fd = os.pidfd_open(pid)
                fds.append(fd)
                poller.register(fd, select.POLLIN)
        try:
            # Wakes when any of them ends; the loop looks at the session again.
            if fds:
                poller.poll(remaining * 1000)
        finally:
            for fd in fds:
                os.close(fd)
    stubborn = session_alive(session_id)
    for pid in stubborn:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if stubborn:
        _LOGGER.warning("Killed processes that outlived session %s: %s", session_id, stubborn)
    return stubborn


@dataclass(slots=True)
class StackState:
    """What a later start needs to know: the ports the entries were made for."""

    ports: Ports = field(default_factory=Ports)

    @classmethod
    def load(cls, path: Path) -> StackState | None:
        try:
            data = json.loads(path.read_text())
            return cls(ports=Ports(**data["ports"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"ports": asdict(self.ports)}, indent=2) + "\n")


class StandinsProcess:
    """``python -m demo.standins`` in its own session; its ready line has the ports."""

    def __init__(self, log_path: Path, *, bridge_port: int, broker_port: int, time_factor: float):
        self.log_path = log_path
        self.args = [
            sys.executable,
            "-m",
            "demo.standins",
            "--port",
            str(bridge_port),
            "--mqtt-port",
            str(broker_port),
            "--time-factor",
            str(time_factor),
            "--token",
            DEFAULT_TOKEN,
        ]
        self.process: subprocess.Popen[bytes] | None = None
        self.ready: dict[str, Any] = {}

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def spawn(self) -> None:
        with self.log_path.open("wb") as log:
            # Fixed argument list (this interpreter, this module): no shell, no user input.
            self.process = subprocess.Popen(  # noqa: S603
                self.args,
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )

    async def wait_ready(self, timeout: float = 30.0) -> dict[str, Any]:
        """The JSON line the process prints once every server listens."""
        assert self.process is not None
        assert self.process.stdout is not None
        stdout = self.process.stdout
        try:
            async with asyncio.timeout(timeout):
                line = await asyncio.get_running_loop().run_in_executor(None, stdout.readline)
        except TimeoutError as err:
            raise HassError(f"the stand-ins did not start in {timeout:.0f} s") from err
        if not line:
            tail = self.log_path.read_text(errors="replace").splitlines()[-20:]
            raise HassError("the stand-ins exited:\n" + "\n".join(tail))
        self.ready = json.loads(line)
        return self.ready

    def stop(self, timeout: float = 15.0) -> int | None:
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            # SIGINT: the Wi-Fi lock disconnects, the broker and the bridge close.
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()
        return process.returncode


@dataclass(slots=True)
class SetupReport:
    """What ``start()`` did, for the demo's summary and for timings."""

    onboarded_now: bool = False
    created: list[str] = field(default_factory=list)
    reconfigured: list[str] = field(default_factory=list)
    confirmed_discoveries: int = 0
    timings: dict[str, float] = field(default_factory=dict)


class DemoStack:
    """The stand-ins and a configured Home Assistant; ``await start()``, then ``stop()``."""

    def __init__(
        self,
        state_dir: Path,
        *,
        ports: Ports | None = None,
        time_factor: float = 1.0,
        log_level: str = "info",
        remember_ports: bool = True,
    ) -> None:
        self.state_dir = state_dir
        self.config_dir = state_dir / "config"
        self.time_factor = time_factor
        self.log_level = log_level
        self.remember_ports = remember_ports
        self._requested_ports = ports
        self.previous = StackState.load(state_dir / STATE_FILE) if remember_ports else None
        self.ports = Ports()
        self.standins: StandinsProcess | None = None
        self.hass: HassProcess | None = None
        self.report = SetupReport()
        self.token = DEFAULT_TOKEN
        self.bridge_url = ""
        self.broker_url = ""
        self.hass_url = ""

    # -- start -------------------------------------------------------------------

    def _wanted_ports(self) -> Ports:
        # Fixed defaults, so bookmarks and printed commands stay valid; when one
        # is taken the entries are reconfigured to the free port used instead.
        return self._requested_ports if self._requested_ports is not None else Ports()

    async def start(self, session: aiohttp.ClientSession) -> HassClient:
        """Everything up and configured; the logged-in client of the demo user."""
        started = time.monotonic()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        wanted = self._wanted_ports()
        self.standins = StandinsProcess(
            self.state_dir / STANDINS_LOG,
            bridge_port=choose_port(wanted.bridge),
            broker_port=choose_port(wanted.broker),
            time_factor=self.time_factor,
        )
        self.standins.spawn()
        ready = await self.standins.wait_ready()
        self.bridge_url = ready["bridge_url"]
        self.broker_url = ready["broker_url"]
        self.token = ready["token"]
        hass_port = choose_port(wanted.hass) or free_port()
        self.ports = Ports(hass=hass_port, bridge=ready["bridge_port"], broker=ready["broker_port"])
        self.report.timings["standins"] = time.monotonic() - started

        prepare_config_dir(self.config_dir, hass_port, log_level=self.log_level)
        self.hass = HassProcess(self.config_dir, hass_port)
        self.hass_url = self.hass.url
        self.hass.start()
        await self.hass.wait_http(session)
        self.report.timings["hass_http"] = time.monotonic() - started

        client = HassClient(session, self.hass_url)
        ran_core_config = await self._onboard_or_login(client)
        await client.wait_running()
        await client.confirm_http_settings()
        self.report.timings["hass_running"] = time.monotonic() - started

        await self._ensure_nuki_entry(client)
        await self._ensure_mqtt_entry(client)
        if integration_supports_mqtt():
            await self._confirm_nuki_discoveries(client)
        if ran_core_config:
            await self._remove_onboarding_extras(client)
        await self._ensure_dashboard(client)
        if self.remember_ports:
            StackState(ports=self.ports).save(self.state_dir / STATE_FILE)
        self.report.timings["ready"] = time.monotonic() - started
        return client

    async def _onboard_or_login(self, client: HassClient) -> bool:
        steps = await client.onboarding_steps()
        if not steps.get("user", False):
            await client.create_owner(USERNAME, PASSWORD, USER_DISPLAY_NAME)
            self.report.onboarded_now = True
        else:
            await client.login(USERNAME, PASSWORD)
        return await client.finish_onboarding(steps)

    def _port_changed(self, which: str) -> bool:
        if self.previous is None:
            # No record of the ports the entries were made for: refresh them.
            return True
        return bool(getattr(self.previous.ports, which) != getattr(self.ports, which))

    async def _ensure_nuki_entry(self, client: HassClient) -> None:
        entries = [e for e in await client.entries(DOMAIN) if e.get("source") != "ignore"]
        host, port = "127.0.0.1", self.ports.bridge
        if not entries:
            result = await client.run_flow(
                DOMAIN,
                {
                    "host": host,
                    "port": port,
                    "token": self.token,
                    "token_mode": TokenMode.ENCRYPTED,
                },
            )
            if result.get("type") != "create_entry":
                raise HassError(f"the Nuki flow ended with {result}")
            self.report.created.append(f"Nuki bridge {result.get('title')}")
            return
        if self._port_changed("bridge"):
            # An empty token keeps the stored one in this integration's reconfigure step.
            result = await client.run_flow(
                DOMAIN,
                {"host": host, "port": port, "token_mode": TokenMode.ENCRYPTED},
                entry_id=entries[0]["entry_id"],
            )
            if result.get("reason") != "reconfigure_successful":
                raise HassError(f"reconfiguring the Nuki entry ended with {result}")
            await client.wait_entry_loaded(entries[0]["entry_id"])
            self.report.reconfigured.append(f"Nuki bridge at port {port}")

    async def _ensure_mqtt_entry(self, client: HassClient) -> None:
        entries = [e for e in await client.entries("mqtt") if e.get("source") != "ignore"]
        if not entries:
            result = await self._run_mqtt_flow(client, None)
            if result.get("type") != "create_entry":
                raise HassError(f"the MQTT flow ended with {result}")
            self.report.created.append(f"MQTT broker {self.broker_url}")
        elif self._port_changed("broker"):
            result = await self._run_mqtt_flow(client, entries[0]["entry_id"])
            if result.get("reason") != "reconfigure_successful":
                raise HassError(f"reconfiguring the MQTT entry ended with {result}")
            await client.wait_entry_loaded(entries[0]["entry_id"])
            self.report.reconfigured.append(f"MQTT broker at port {self.ports.broker}")
        await self._ignore_protocol_repair(client)

    @staticmethod
    async def _ignore_protocol_repair(client: HassClient) -> None:
        """Home Assistant 2026.11 asks to move to MQTT 5 (repair ``protocol_5_migration``).

        That is about the demo's embedded broker, which speaks MQTT 3.1.1 only,
        not about the newcomer's set-up: answered as Repairs > Ignore would.
        Releases without the repair refuse the command for an unknown issue.
        """
        async with client.websocket() as ws:
            with contextlib.suppress(HassCommandError):
                await ws.call(
                    "repairs/ignore_issue",
                    domain="mqtt",
                    issue_id="protocol_5_migration",
                    ignore=True,
                )

    async def _run_mqtt_flow(self, client: HassClient, entry_id: str | None) -> dict[str, Any]:
        """The MQTT broker form, answered as a user would for the embedded broker.

        Home Assistant 2026.x asks for the protocol (default MQTT 5) and has a
        section of other settings; the embedded broker speaks MQTT 3.1.1.
        """
        form = await client.start_flow("mqtt", entry_id=entry_id)
        fields = {field["name"] for field in form.get("data_schema", [])}
        data: dict[str, Any] = {"broker": "127.0.0.1", "port": self.ports.broker}
        if "protocol" in fields:
            data["protocol"] = EMBEDDED_BROKER_PROTOCOL
        if "other_settings" in fields:
            data["other_settings"] = {
                "set_client_cert": False,
                "set_ca_cert": "off",
                "transport": "tcp",
            }
        result = await client.submit_flow(form["flow_id"], data)
        if result.get("type") == "form":
            raise HassError(f"the MQTT flow refused the input: {result.get('errors')}")
        return result

    async def _confirm_nuki_discoveries(self, client: HassClient, timeout: float = 15.0) -> None:
        """Confirm the Wi-Fi locks' MQTT discovery flows, as a user would click them.

        Discovery follows the MQTT entry's set-up by a moment (retained
        ``nuki/+/deviceType``), so wait for it unless an MQTT-made entry exists.
        """
        if any(e.get("source") == "mqtt" for e in await client.entries(DOMAIN)):
            return
        handled: set[str] = set()
        async with client.websocket() as ws:
            discovered = await ws.subscribe_events("config_entry_discovered")
            deadline = time.monotonic() + timeout
            while True:
                for flow in await ws.call("config_entries/flow/progress"):
                    if (
                        flow.get("handler") != DOMAIN
                        or flow["context"].get("source") != "mqtt"
                        or flow["flow_id"] in handled
                    ):
                        continue
                    handled.add(flow["flow_id"])
                    result = await client.submit_flow(flow["flow_id"], {})
                    if result.get("type") in ("create_entry", "abort"):
                        self.report.confirmed_discoveries += 1
                    if result.get("type") == "create_entry":
                        self.report.created.append(f"Nuki Wi-Fi lock {result.get('title')}")
                    else:
                        # A form that wants more than a click: left for the user.
                        _LOGGER.warning("Nuki MQTT discovery needs input: %s", result)
                if handled or time.monotonic() > deadline:
                    return
                with contextlib.suppress(TimeoutError):
                    await discovered.next(timeout=max(0.1, deadline - time.monotonic()))

    async def _ensure_dashboard(self, client: HassClient) -> None:
        """A "Nuki" dashboard with the locks and their sensors, made as a user would in the UI.

        Home Assistant 2026.x's overview groups devices by area, and the demo's
        devices have none: without it a newcomer has to look for the locks.
        """
        async with client.websocket() as ws:
            dashboards = await ws.call("lovelace/dashboards/list")
            if any(d.get("url_path") == DASHBOARD_PATH for d in dashboards):
                return
            entities = [
                e
                for e in await ws.call("config/entity_registry/list")
                if e.get("platform") == DOMAIN and not e.get("disabled_by")
            ]
            locks = sorted(e["entity_id"] for e in entities if e["entity_id"].startswith("lock."))
            others = sorted(
                e["entity_id"] for e in entities if not e["entity_id"].startswith("lock.")
            )
            await ws.call(
                "lovelace/dashboards/create",
                url_path=DASHBOARD_PATH,
                title="Nuki",
                icon="mdi:lock-smart",
                show_in_sidebar=True,
                require_admin=False,
                mode="storage",
            )
            cards = [{"type": "entities", "title": "Locks", "entities": locks}]
            if others:
                cards.append({"type": "entities", "title": "Sensors", "entities": others})
            await ws.call(
                "lovelace/config/save",
                url_path=DASHBOARD_PATH,
                config={"views": [{"title": "Nuki", "path": "nuki", "cards": cards}]},
            )
        self.report.created.append(f"dashboard /{DASHBOARD_PATH}")

    async def _remove_onboarding_extras(self, client: HassClient) -> None:
        """Entries onboarding made by itself (weather, translation ...): not for offline use."""
        for entry in await client.entries():
            if entry["domain"] in ONBOARDING_EXTRAS:
                with contextlib.suppress(HassError):
                    await client.delete_entry(entry["entry_id"])

    # -- stop ----------------------------------------------------------------------

    def pids(self) -> list[int]:
        return [
            pid
            for pid in (
                self.hass.pid if self.hass else None,
                self.standins.pid if self.standins else None,
            )
            if pid is not None
        ]

    def stop(self) -> list[int]:
        """Home Assistant first (it takes its callback off the bridge), then the stand-ins.

        Returns the pids of anything left in the children's sessions (none expected).
        """
        pids = self.pids()
        if self.hass is not None:
            self.hass.stop()
        if self.standins is not None:
            self.standins.stop()
        return [left for pid in pids for left in end_session(pid)]
