"""The stand-in's discovery switch over a real broker, and the ``nuki mqtt`` commands."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

import pytest

from nukilocal.cli import mqtt as mqtt_cli
from nukilocal.const import LockState
from nukilocal.exceptions import NukiCommandRefusedError, NukiError
from nukilocal.mqtt.protocol import DiscoveryMessage, DiscoverySuffix, Message, discovery_topic
from nukilocal.sim.devices import SimSmartLock
from nukilocal.sim.wifilock import discovery_configs
from tests.lib.mqtt.conftest import LOCK_ID, ClientFactory, WifiLockFactory
from tests.support.mosquitto import Mosquitto


async def test_discovery_published_and_cleared_once(
    broker_url: str, make_wifilock: WifiLockFactory, make_client: ClientFactory
) -> None:
    sim = await make_wifilock(broker_url)
    client = await make_client(broker_url, watch_discovery=True)
    seen: asyncio.Queue[DiscoveryMessage] = asyncio.Queue()

    def record(message: Message) -> None:
        if isinstance(message, DiscoveryMessage):
            seen.put_nowait(message)

    client.add_message_listener(record)
    for _ in DiscoverySuffix:
        await asyncio.wait_for(seen.get(), 10)
    assert {m.suffix for m in client.discovery_configs(LOCK_ID)} == set(DiscoverySuffix)
    expected = discovery_configs(LOCK_ID, "Front door")
    published = {topic: payload for topic, payload, retained in sim.published if retained}
    for suffix, payload in expected.items():
        assert published[discovery_topic(LOCK_ID, suffix)] == payload

    before = len(sim.published)
    await sim.set_discovery(False)
    await sim.set_discovery(False)
    for _ in DiscoverySuffix:
        cleared = await asyncio.wait_for(seen.get(), 10)
        assert cleared.config is None
    assert client.discovery_configs(LOCK_ID) == []
    clears = [record for record in list(sim.published)[before:] if record[1] == ""]
    assert len(clears) == len(DiscoverySuffix)
    assert all(retained for _topic, _payload, retained in clears)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nuki")
    subparsers = parser.add_subparsers(dest="command", required=True)
    mqtt_cli.register(subparsers)
    return parser


async def _run(*argv: str) -> int:
    args = _parser().parse_args(list(argv))
    result: int = await args.func(args)
    return result


async def test_cli_actions(
    mosquitto: Mosquitto,
    sim_lock: SimSmartLock,
    make_wifilock: WifiLockFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await make_wifilock(mosquitto.url())
    url = mosquitto.url()
    assert await _run("mqtt", "unlock", "--broker", url, "--lock", "3C8862ED") == 0
    assert sim_lock.state is LockState.UNLOCKED
    # With one lock on the broker --lock may be left out.
    assert await _run("mqtt", "full-lock", "--broker", url) == 0
    assert sim_lock.state is LockState.LOCKED
    out = capsys.readouterr().out
    assert "Command carried out" in out
    assert "3C8862ED Front door: locked" in out
    sim_lock.jam()
    with pytest.raises(NukiCommandRefusedError, match="Motor blocked"):
        await _run("mqtt", "open", "--broker", url, "--lock", "3c8862ed")


async def test_cli_lock_n_go_with_unlatch(
    mosquitto: Mosquitto, sim_lock: SimSmartLock, make_wifilock: WifiLockFactory
) -> None:
    sim_lock.lock_n_go_seconds = 0.5
    await make_wifilock(mosquitto.url())
    assert await _run("mqtt", "lock-n-go", "--unlatch", "--broker", mosquitto.url()) == 0
    await sim_lock.wait_for_state(LockState.LOCKED, timeout=5)


async def test_cli_without_locks(mosquitto: Mosquitto) -> None:
    with pytest.raises(NukiError, match="--lock"):
        await _run("mqtt", "lock", "--broker", mosquitto.url())


async def test_cli_watch_env_broker(mosquitto: Mosquitto, make_wifilock: WifiLockFactory) -> None:
    await make_wifilock(mosquitto.url())
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "nukilocal.cli",
        "mqtt",
        "watch",
        env={**os.environ, "NUKI_MQTT_URL": mosquitto.url(), "COLUMNS": "200"},
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    seen = ""
    try:
        while "3C8862ED Front door: locked" not in seen:
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            assert line, f"watch ended early: {seen!r}"
            seen += line.decode()
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 30)
    assert "connected to broker" in seen
    assert process.returncode == 0


async def test_cli_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    assert await _run("mqtt", "credentials", "--wifi-password", "secret") == 0
    out = capsys.readouterr().out
    assert "user:     nuki" in out
    assert "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b" in out
    assert "mosquitto_passwd" in out


def test_cli_rejects_bad_lock_id() -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["mqtt", "lock", "--lock", "xyz"])
