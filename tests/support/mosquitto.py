"""Start and stop a real Mosquitto broker on a free loopback port.

Plain code, no pytest: the library tests and the Home Assistant tests both use
it. Readiness is detected from Mosquitto's own log line, not by sleeping.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from tests.support.net import free_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
MOSQUITTO_PUB = shutil.which("mosquitto_pub") or "/usr/bin/mosquitto_pub"
MOSQUITTO_SUB = shutil.which("mosquitto_sub") or "/usr/bin/mosquitto_sub"
_READY_MARKER = b"running"


def available() -> bool:
    return Path(MOSQUITTO).exists()


class Mosquitto:
    """One Mosquitto process; ``users`` switches anonymous access off."""

    def __init__(
        self,
        *,
        users: dict[str, str] | None = None,
        port: int | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.users = dict(users or {})
        self._dir = Path(tempfile.mkdtemp(prefix="nuki-mosquitto-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.log: list[str] = []
        self._reader: threading.Thread | None = None
        self._write_config()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def url(self, username: str | None = None, password: str | None = None) -> str:
        auth = f"{username}:{password}@" if username is not None else ""
        return f"mqtt://{auth}{self.host}:{self.port}"

    def _write_config(self) -> None:
        lines = [
            f"listener {self.port} {self.host}",
            "persistence false",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
        ]
        if os.geteuid() == 0:
            # As root Mosquitto switches to user "mosquitto", who cannot read
            # the password file in our private temporary directory.
            lines.append("user root")
        if self.users:
            password_file = self._dir / "passwd"
            password_file.touch(mode=0o600)
            for user, password in self.users.items():
                subprocess.run(
                    [MOSQUITTO_PASSWD, "-b", str(password_file), user, password],
                    check=True,
                    capture_output=True,
                )
            lines += ["allow_anonymous false", f"password_file {password_file}"]
        else:
            lines.append("allow_anonymous true")
        (self._dir / "mosquitto.conf").write_text("\n".join(lines) + "\n")

    def start(self, timeout: float = 10.0) -> None:
        if self.process is not None:
            raise RuntimeError("already running")
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self._dir / "mosquitto.conf")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        if self.process is None or self.process.stdout is None:
            raise RuntimeError("not started")
        stream = self.process.stdout
        os.set_blocking(stream.fileno(), False)
        deadline = time.monotonic() + timeout
        buffer = b""
        with selectors.DefaultSelector() as selector:
            selector.register(stream, selectors.EVENT_READ)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    text = buffer.decode(errors="replace")
                    raise TimeoutError(f"mosquitto did not start: {text}")
                selector.select(remaining)
                chunk = os.read(stream.fileno(), 65536)
                if not chunk and self.process.poll() is not None:
                    raise RuntimeError(
                        f"mosquitto exited with {self.process.returncode}: "
                        f"{buffer.decode(errors='replace')}"
                    )
                buffer += chunk
                if _READY_MARKER in buffer:
                    self.log.extend(buffer.decode(errors="replace").splitlines())
                    os.set_blocking(stream.fileno(), True)
                    # Keep reading, or a full pipe would block the broker.
                    self._reader = threading.Thread(
                        target=self._read_log, args=(stream,), daemon=True
                    )
                    self._reader.start()
                    return

    def _read_log(self, stream: IO[bytes]) -> None:
        with contextlib.suppress(OSError, ValueError):
            for line in stream:
                self.log.append(line.decode(errors="replace").rstrip())

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate this process (by its own pid) and reap it."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        if self._reader is not None:
            self._reader.join(timeout)
            self._reader = None
        if process.stdout is not None:
            process.stdout.close()

    def restart(self) -> None:
        """Stop and start again on the same port: retained messages are gone."""
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Mosquitto:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()


@contextlib.contextmanager
def running_mosquitto(users: dict[str, str] | None = None) -> Iterator[Mosquitto]:
    broker = Mosquitto(users=users)
    try:
        broker.start()
        yield broker
    finally:
        broker.cleanup()
